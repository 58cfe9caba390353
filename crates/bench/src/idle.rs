//! Target 4: what an idle loop costs.
//!
//! The loop thread reports its kernel thread id; the bench thread then reads
//! that thread's CPU time (`/proc/self/task/<tid>/schedstat`, nanoseconds)
//! and voluntary context switches (`/proc/self/task/<tid>/status`, one per
//! time the thread blocked) before and after a window, without touching the
//! loop. For the looper, a counting [`looper::Clock`] also counts clock
//! reads: every loop iteration reads the clock, so no reads means no
//! iterations.

use looper::{Clock, LooperBuilder};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A [`looper::SystemClock`] that counts how often it is read.
#[derive(Debug, Clone, Default)]
pub struct CountingClock(pub Arc<AtomicU64>);

impl Clock for CountingClock {
    fn now(&self) -> Instant {
        self.0.fetch_add(1, Relaxed);
        Instant::now()
    }
}

/// The kernel id of the calling thread, from the `/proc/thread-self` link.
fn own_tid() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// CPU nanoseconds and voluntary context switches of thread `tid` so far.
fn thread_usage(tid: u64) -> Option<(u64, u64)> {
    let sched = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    let cpu = sched.split_whitespace().next()?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).ok()?;
    let switches = status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))?
        .trim()
        .parse()
        .ok()?;
    Some((cpu, switches))
}

/// What one idle window cost.
#[derive(Debug, Clone, Copy)]
pub struct IdleCost {
    /// CPU time of the loop thread per second of wall time, in nanoseconds.
    pub cpu_ns_per_s: f64,
    /// Times the loop thread blocked (woke up and slept again) per second.
    pub wakeups_per_s: f64,
    /// Clock reads per second (looper only; `None` for the peers).
    pub clock_reads_per_s: Option<f64>,
}

/// What an idle looper costs over `window`, with optionally one message
/// pending `next` in the future.
pub fn looper_idle(window: Duration, next: Option<Duration>) -> Option<IdleCost> {
    let reads = Arc::new(AtomicU64::new(0));
    let clock = CountingClock(reads.clone());
    let (tx, rx) = sync_channel(1);
    let join = thread::spawn(move || {
        let local = LooperBuilder::new()
            .clock(clock)
            .prepare()
            .expect("fresh thread has no looper");
        if let Some(d) = next {
            assert!(
                local.looper().post_delayed(|| (), d).is_ok(),
                "post accepted"
            );
        }
        let _ = tx.send((local.looper(), own_tid()));
        local.run();
    });
    let (looper, tid) = rx.recv().expect("idle looper starts");
    let measured = measure(tid, window, || reads.load(Relaxed));
    let _ = looper.quit();
    join.join().expect("idle looper exits");
    measured
}

/// What a thread blocked in `crossbeam_channel::Receiver::recv` costs over
/// `window` (the reference: a blocked receive should cost nothing).
pub fn channel_idle(window: Duration) -> Option<IdleCost> {
    let (tx, rx) = sync_channel(1);
    let (msg_tx, msg_rx) = crossbeam_channel::unbounded::<()>();
    let join = thread::spawn(move || {
        let _ = tx.send(own_tid());
        while msg_rx.recv().is_ok() {}
    });
    let tid = rx.recv().expect("idle receiver starts");
    let measured = measure(tid, window, || 0).map(|c| IdleCost {
        clock_reads_per_s: None,
        ..c
    });
    drop(msg_tx);
    join.join().expect("idle receiver exits");
    measured
}

fn measure(tid: Option<u64>, window: Duration, reads: impl Fn() -> u64) -> Option<IdleCost> {
    let tid = tid?;
    // Let the loop finish its spin-then-park before the window opens.
    thread::sleep(Duration::from_millis(50));
    let (cpu0, sw0) = thread_usage(tid)?;
    let r0 = reads();
    let t0 = Instant::now();
    thread::sleep(window);
    let (cpu1, sw1) = thread_usage(tid)?;
    let r1 = reads();
    let secs = t0.elapsed().as_secs_f64();
    Some(IdleCost {
        cpu_ns_per_s: (cpu1 - cpu0) as f64 / secs,
        wakeups_per_s: (sw1 - sw0) as f64 / secs,
        clock_reads_per_s: Some((r1 - r0) as f64 / secs),
    })
}
