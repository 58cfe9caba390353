//! Rough, self-contained figures for PERFORMANCE.md targets 5 (pool
//! throughput), 6 (cancel -> interruptible sleep returns) and 7 (coalesced
//! progress cost), each beside its baseline in the same run. The workspace
//! bench crate (`looper-bench --only tasks`) is the reference harness; this
//! is a quick check that needs only this crate.
//!
//! `cargo run --release -p looper-asynctask --example measure`

use looper::Looper;
use looper_asynctask::{spawn, AsyncTask, Context, ProgressPolicy, ThreadPool};
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pool(threads: usize) -> ThreadPool {
    ThreadPool::builder()
        .threads(threads)
        .queue_capacity(usize::MAX)
        .build()
        .expect("pool starts")
}

/// Target 5: tiny tasks from the looper thread to the last on_post_execute.
fn tasks_per_sec(n: usize) -> f64 {
    let local = Looper::prepare().expect("fresh thread");
    let pool = pool(2);
    let count = Rc::new(Cell::new(0usize));
    let start = Instant::now();
    for i in 0..n {
        let (count, looper) = (count.clone(), local.looper());
        let task = AsyncTask::builder(|x: usize, _: &Context| Ok(x))
            .on_post_execute(move |_| {
                count.set(count.get() + 1);
                if count.get() == n {
                    looper.quit().expect("not main");
                }
            })
            .build();
        task.execute_on(&pool, i).expect("accepted");
    }
    local.run();
    n as f64 / start.elapsed().as_secs_f64()
}

/// Baseline for target 5: a crossbeam channel to two workers, each posting
/// its result back with `Looper::post`; the last one quits the loop.
fn baseline_per_sec(n: usize) -> f64 {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let local = Looper::prepare().expect("fresh thread");
    let (tx, rx) = crossbeam_channel::unbounded::<usize>();
    let ran = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (rx, looper, ran) = (rx.clone(), local.looper(), ran.clone());
            std::thread::spawn(move || {
                while let Ok(i) = rx.recv() {
                    let (ran, quit) = (ran.clone(), looper.clone());
                    let _ = looper.post(move || {
                        std::hint::black_box(i);
                        if ran.fetch_add(1, Ordering::Relaxed) + 1 == n {
                            let _ = quit.quit();
                        }
                    });
                }
            })
        })
        .collect();
    let start = Instant::now();
    for i in 0..n {
        tx.send(i).expect("workers live");
    }
    drop(tx);
    local.run();
    let secs = start.elapsed().as_secs_f64();
    for w in workers {
        w.join().expect("worker exits");
    }
    n as f64 / secs
}

/// Target 6: `cancel(true)` on another thread -> `Context::sleep` returned.
fn cancel_latency(samples: usize) -> Duration {
    let pool = pool(1);
    let mut v = Vec::with_capacity(samples);
    for _ in 0..samples {
        let (started_tx, started_rx) = crossbeam_channel::bounded(1);
        let (woke_tx, woke_rx) = crossbeam_channel::bounded(1);
        let task = spawn(&pool, move |ctx| {
            started_tx.send(()).expect("main waits");
            let _ = ctx.sleep(Duration::from_secs(10));
            woke_tx.send(Instant::now()).expect("main waits");
            Ok(())
        })
        .expect("accepted");
        started_rx.recv().expect("task starts");
        std::thread::sleep(Duration::from_micros(300)); // let it park
        let t0 = Instant::now();
        task.cancel(true);
        v.push(woke_rx.recv().expect("sleep returns") - t0);
    }
    median(v)
}

/// Baseline for target 6: `unpark` -> `park_timeout` returned, on one
/// long-lived thread.
fn park_latency(samples: usize) -> Duration {
    let (ready_tx, ready_rx) = crossbeam_channel::bounded(1);
    let (woke_tx, woke_rx) = crossbeam_channel::bounded(1);
    let t = std::thread::spawn(move || {
        for _ in 0..samples {
            ready_tx.send(()).expect("main waits");
            std::thread::park_timeout(Duration::from_secs(10));
            woke_tx.send(Instant::now()).expect("main waits");
        }
    });
    let mut v = Vec::with_capacity(samples);
    for _ in 0..samples {
        ready_rx.recv().expect("parks");
        std::thread::sleep(Duration::from_micros(300)); // let it park
        let t0 = Instant::now();
        t.thread().unpark();
        v.push(woke_rx.recv().expect("woken") - t0);
    }
    t.join().expect("exits");
    median(v)
}

/// Target 7: ns per `publish_progress` under `Latest`, and the UI messages
/// queued afterwards (the looper does not run meanwhile).
fn coalesced_publish(n: u64) -> (f64, usize) {
    let local = Looper::prepare().expect("fresh thread");
    let pool = pool(1);
    let task = AsyncTask::builder(move |(), ctx: &Context<u64>| {
        let start = Instant::now();
        for i in 0..n {
            ctx.publish_progress(i);
        }
        Ok(start.elapsed().as_nanos() as f64 / n as f64)
    })
    .progress_policy(ProgressPolicy::Latest)
    .on_progress_update(|p| {
        std::hint::black_box(p);
    })
    .build();
    task.execute_on(&pool, ()).expect("accepted");
    let ns = task.get().expect("ran");
    pool.shutdown();
    (ns, local.looper().pending_count())
}

fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().expect("measurement thread")
}

fn main() {
    let n = 100_000;
    let ours = on_thread(move || tasks_per_sec(n));
    let base = on_thread(move || baseline_per_sec(n));
    println!(
        "target 5 throughput: AsyncTask {:.0} k tasks/s, baseline {:.0} k/s, ratio {:.2}",
        ours / 1e3,
        base / 1e3,
        ours / base
    );
    let cancel = cancel_latency(300);
    let park = park_latency(300);
    println!(
        "target 6 cancel(true) -> sleep returns p50 {cancel:?}, unpark -> park p50 {park:?}, ratio {:.2}",
        cancel.as_secs_f64() / park.as_secs_f64()
    );
    let (ns, pending) = on_thread(|| coalesced_publish(1_000_000));
    println!("target 7 Latest: {ns:.1} ns per publish_progress, {pending} looper messages queued after 1M publishes");
}
