//! Target 1 (ping-pong latency) and the idle-wake part of target 4.
//!
//! # Ping-pong design
//!
//! Two loops of the implementation under test, A and B, each on its own
//! thread. A closure running on A reads the clock and posts a closure to B;
//! that closure (running on B) posts a closure back to A, which reads the
//! clock again: one round trip in which *both* hops go through the
//! implementation under test. The one-way latency sample is half the round
//! trip. The closure on A then starts the next round trip, so the loops are
//! never fed faster than they answer. The first `WARMUP` samples are dropped.
//!
//! The limits are measured the same way without a queue: park/unpark flips an
//! atomic turn counter and unparks the other thread; busy-spin does the same
//! and spins on the counter instead of parking.

use crate::impls::{pin, Exec};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const WARMUP: usize = 50;

/// Where the two threads of a ping-pong run.
#[derive(Debug, Clone, Copy)]
pub enum Placement {
    /// Each thread pinned to a different CPU.
    AcrossCores,
    /// Both threads pinned to the same CPU.
    OneCore,
}

impl Placement {
    fn cores(self) -> (Option<usize>, Option<usize>) {
        match self {
            Placement::AcrossCores => (Some(0), Some(1)),
            Placement::OneCore => (Some(0), Some(0)),
        }
    }
}

/// One-way latency samples (ns) of `iters` round trips through `E`.
pub fn pingpong<E: Exec>(placement: Placement, iters: usize) -> Vec<u64> {
    let (core_a, core_b) = placement.cores();
    let a = E::spawn(core_a);
    let b = E::spawn(core_b);
    let (done_tx, done_rx) = channel();
    let total = iters + WARMUP;
    let (ea, eb) = (a.exec.clone(), b.exec.clone());
    a.exec
        .post(move || round_trip(ea, eb, Vec::with_capacity(total), total, done_tx));
    let samples = done_rx.recv().expect("ping-pong finishes");
    a.stop();
    b.stop();
    samples[WARMUP..].to_vec()
}

/// Runs on A: starts one round trip A -> B -> A, then the next.
fn round_trip<E: Exec>(a: E, b: E, mut samples: Vec<u64>, left: usize, done: Sender<Vec<u64>>) {
    let t0 = Instant::now();
    let to_b = b.clone();
    to_b.post(move || {
        let to_a = a.clone();
        to_a.post(move || {
            samples.push((t0.elapsed().as_nanos() / 2) as u64);
            if left <= 1 {
                let _ = done.send(samples);
            } else {
                round_trip(a, b, samples, left - 1, done);
            }
        });
    });
}

const STOP: u64 = u64::MAX;

/// One-way latency of the raw limit: a turn counter handed back and forth,
/// waiting by `park` (`spin == false`) or by spinning on the counter.
pub fn pingpong_limit(placement: Placement, iters: usize, spin: bool) -> Vec<u64> {
    let (core_a, core_b) = placement.cores();
    thread::spawn(move || {
        pin(core_a);
        let turn = Arc::new(AtomicU64::new(0));
        let me = thread::current();
        let t = turn.clone();
        let b = thread::spawn(move || {
            pin(core_b);
            let mut expect = 1;
            loop {
                let v = wait_until(&t, spin, |v| v == expect || v == STOP);
                if v == STOP {
                    break;
                }
                t.store(v + 1, SeqCst);
                me.unpark();
                expect += 2;
            }
        });
        let bt = b.thread().clone();
        let mut samples = Vec::with_capacity(iters + WARMUP);
        // A spinning thread that shares its core with another process waits
        // out whole time slices; cap the wall time so the run stays short.
        let started = Instant::now();
        for i in 0..(iters + WARMUP) as u64 {
            if started.elapsed() > Duration::from_secs(1) && samples.len() > WARMUP {
                break;
            }
            let t0 = Instant::now();
            turn.store(2 * i + 1, SeqCst);
            bt.unpark();
            wait_until(&turn, spin, |v| v == 2 * i + 2);
            samples.push((t0.elapsed().as_nanos() / 2) as u64);
        }
        turn.store(STOP, SeqCst);
        bt.unpark();
        b.join().expect("limit thread B exits");
        samples[WARMUP..].to_vec()
    })
    .join()
    .expect("limit thread A exits")
}

fn wait_until(turn: &AtomicU64, spin: bool, done: impl Fn(u64) -> bool) -> u64 {
    loop {
        let v = turn.load(SeqCst);
        if done(v) {
            return v;
        }
        if spin {
            std::hint::spin_loop();
        } else {
            thread::park();
        }
    }
}

/// Post -> run latency (ns) of an idle loop on CPU 0 woken by posts from a
/// thread on CPU 1 that sleeps `gap` between posts.
pub fn wake_latency<E: Exec>(posts: usize, gap: Duration) -> Vec<u64> {
    let looped = E::spawn(Some(0));
    let exec = looped.exec.clone();
    let samples = thread::spawn(move || {
        pin(Some(1));
        let (tx, rx) = channel();
        for _ in 0..posts + WARMUP {
            thread::sleep(gap);
            let tx = tx.clone();
            let t0 = Instant::now();
            exec.post(move || {
                let _ = tx.send(t0.elapsed().as_nanos() as u64);
            });
        }
        drop(tx);
        rx.iter().collect::<Vec<u64>>()
    })
    .join()
    .expect("poster thread exits");
    looped.stop();
    samples[WARMUP.min(samples.len())..].to_vec()
}

/// The park/unpark limit of [`wake_latency`]: a parked thread on CPU 0
/// woken by `unpark` from CPU 1, latency from the unpark call to the wake.
/// The poster waits until each stamp was taken before the next gap, so a
/// late wake-up is measured rather than overwritten by the next stamp.
pub fn wake_latency_limit(posts: usize, gap: Duration) -> Vec<u64> {
    let stamp = Arc::new(AtomicU64::new(0));
    let origin = Instant::now();
    let (tx, rx) = channel();
    let s = stamp.clone();
    let sleeper = thread::spawn(move || {
        pin(Some(0));
        loop {
            match s.swap(0, SeqCst) {
                STOP => break,
                0 => thread::park(),
                v => {
                    let _ = tx.send((origin.elapsed().as_nanos() as u64).saturating_sub(v));
                }
            }
        }
    });
    let st = sleeper.thread().clone();
    thread::spawn(move || {
        pin(Some(1));
        for _ in 0..posts + WARMUP {
            thread::sleep(gap);
            // Nanoseconds since origin, never 0 (0 means "taken").
            stamp.store(origin.elapsed().as_nanos() as u64 + 1, SeqCst);
            st.unpark();
            while stamp.load(SeqCst) != 0 {
                thread::yield_now();
            }
        }
        stamp.store(STOP, SeqCst);
        st.unpark();
    })
    .join()
    .expect("unparker exits");
    sleeper.join().expect("sleeper exits");
    let samples: Vec<u64> = rx.iter().collect();
    samples[WARMUP.min(samples.len())..].to_vec()
}
