//! Targets 5, 6 and 7: `looper_asynctask` against hand-written baselines.
//!
//! * Round trip (5): on a running looper, an empty task is executed on a
//!   pool of one thread; the time from `execute_on` to its
//!   `on_post_execute` is one sample, and that callback starts the next task.
//!   Baseline: the same two hops by hand, a crossbeam channel to one worker
//!   thread and `Looper::post` back to the loop.
//! * Pool throughput (5): tiny tasks (each returns its index) executed from
//!   the looper thread on a two-thread `ThreadPool` until the last
//!   `on_post_execute`; baseline: a crossbeam channel feeding two worker
//!   threads, each posting its result back with `Looper::post`.
//! * Cancellation (6): a background step blocks in `Context::sleep(10 s)`;
//!   another thread calls `TaskHandle::cancel(true)`; the sample is the time
//!   from that call until the sleep has returned on the worker. Baseline: a
//!   thread in `park_timeout(10 s)` woken by `unpark`, timed the same way.
//! * Progress (7): 1M `publish_progress` calls in one background step under
//!   `ProgressPolicy::Latest`, timed on the worker, sampling every 1024 calls
//!   how many messages wait in the looper's queue (the task is its only
//!   client); then the default policy (`Every`), from the start of the
//!   background step until `on_post_execute` (which follows the last update),
//!   against one thread posting as many closures with `Looper::post`.

use looper::{Looper, LooperBuilder};
use looper_asynctask::{AsyncTask, ProgressPolicy, TaskHandle, ThreadPool};
use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::mpsc::{channel, sync_channel, SyncSender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send>;

/// Runs `setup` on a fresh looper thread, then the loop, until a callback
/// sends the result (and quits the looper).
fn on_looper<T: Send + 'static>(setup: impl FnOnce(Looper, SyncSender<T>) + Send + 'static) -> T {
    let (tx, rx) = sync_channel::<T>(1);
    let join = thread::spawn(move || {
        let local = LooperBuilder::new()
            .prepare()
            .expect("fresh thread has no looper");
        setup(local.looper(), tx);
        local.run();
    });
    let out = rx.recv().expect("looper scenario reports");
    join.join().expect("looper scenario thread exits");
    out
}

fn finish<T>(looper: &Looper, done: &SyncSender<T>, value: T) {
    let _ = done.send(value);
    let _ = looper.quit();
}

fn new_pool(threads: usize) -> Arc<ThreadPool> {
    Arc::new(
        ThreadPool::builder()
            .threads(threads)
            .queue_capacity(usize::MAX)
            .name("bench-pool")
            .build()
            .expect("pool starts"),
    )
}

/// Runs on the looper thread: one empty task, then the next from its callback.
fn task_step(
    looper: Looper,
    pool: Arc<ThreadPool>,
    mut samples: Vec<u64>,
    left: usize,
    done: SyncSender<Vec<u64>>,
) {
    let t0 = Instant::now();
    let p = pool.clone();
    let task = AsyncTask::<(), (), ()>::builder(|_, _| Ok(()))
        .on_post_execute(move |_| {
            samples.push(t0.elapsed().as_nanos() as u64);
            if left <= 1 {
                finish(&looper, &done, samples);
            } else {
                task_step(looper, p, samples, left - 1, done);
            }
        })
        .build();
    assert!(task.execute_on(&*pool, ()).is_ok(), "task executes");
}

pub(crate) fn round_trip_task(n: usize) -> Vec<u64> {
    let pool = new_pool(1);
    let p = pool.clone();
    let samples =
        on_looper(move |looper, done| task_step(looper, p, Vec::with_capacity(n), n, done));
    pool.shutdown();
    samples
}

/// Runs on the looper thread: one hand-written round trip, then the next.
fn baseline_step(
    looper: Looper,
    jobs: crossbeam_channel::Sender<Job>,
    mut samples: Vec<u64>,
    left: usize,
    done: SyncSender<Vec<u64>>,
) {
    let t0 = Instant::now();
    let to_worker = jobs.clone();
    let back = looper.clone();
    let _ = to_worker.send(Box::new(move || {
        let reply = move || {
            samples.push(t0.elapsed().as_nanos() as u64);
            if left <= 1 {
                finish(&looper, &done, samples);
            } else {
                baseline_step(looper, jobs, samples, left - 1, done);
            }
        };
        let _ = back.post(reply);
    }));
}

pub(crate) fn round_trip_baseline(n: usize) -> Vec<u64> {
    let (tx, rx) = crossbeam_channel::unbounded::<Job>();
    let worker = thread::spawn(move || {
        for job in rx {
            job();
        }
    });
    let samples =
        on_looper(move |looper, done| baseline_step(looper, tx, Vec::with_capacity(n), n, done));
    worker.join().expect("baseline worker exits");
    samples
}

/// Tasks per second for `n` tiny tasks on a pool of `threads`.
pub(crate) fn pool_throughput(n: usize, threads: usize) -> f64 {
    let pool = new_pool(threads);
    let p = pool.clone();
    let secs = on_looper(move |looper, done| {
        let start = Instant::now();
        let count = Rc::new(Cell::new(0usize));
        for i in 0..n {
            let (count, looper, done) = (count.clone(), looper.clone(), done.clone());
            let task = AsyncTask::<u64, (), u64>::builder(|x, _| Ok(x))
                .on_post_execute(move |r| {
                    black_box(r);
                    count.set(count.get() + 1);
                    if count.get() == n {
                        finish(&looper, &done, start.elapsed().as_secs_f64());
                    }
                })
                .build();
            assert!(task.execute_on(&*p, i as u64).is_ok(), "task executes");
        }
    });
    pool.shutdown();
    n as f64 / secs
}

/// The same through a crossbeam channel to `threads` workers and `Looper::post` back.
pub(crate) fn pool_baseline(n: usize, threads: usize) -> f64 {
    let (tx, rx) = crossbeam_channel::unbounded::<Job>();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || {
                for job in rx {
                    job();
                }
            })
        })
        .collect();
    let secs = on_looper(move |looper, done| {
        let start = Instant::now();
        // Results arrive as `Send` closures, so the count lives in a
        // thread-local of the looper thread.
        thread_local! { static COUNT: Cell<usize> = const { Cell::new(0) }; }
        COUNT.with(|c| c.set(0));
        for i in 0..n as u64 {
            let (back, done) = (looper.clone(), done.clone());
            let _ = tx.send(Box::new(move || {
                let r = black_box(i);
                let l = back.clone();
                let _ = back.post(move || {
                    black_box(r);
                    let c = COUNT.with(|c| {
                        c.set(c.get() + 1);
                        c.get()
                    });
                    if c == n {
                        finish(&l, &done, start.elapsed().as_secs_f64());
                    }
                });
            }));
        }
        drop(tx);
    });
    for w in workers {
        w.join().expect("baseline worker exits");
    }
    n as f64 / secs
}

/// cancel(true) -> `Context::sleep` returned, per sample (ns).
pub(crate) fn cancel_latency(n: usize) -> Vec<u64> {
    let pool = new_pool(1);
    let (ltx, lrx) = sync_channel(1);
    let looper_thread = thread::spawn(move || {
        let local = LooperBuilder::new()
            .prepare()
            .expect("fresh thread has no looper");
        let _ = ltx.send(local.looper());
        local.run();
    });
    let looper = lrx.recv().expect("looper starts");
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let (ready_tx, ready_rx) = channel();
        let (woke_tx, woke_rx) = channel::<Instant>();
        let (handle_tx, handle_rx) = channel::<TaskHandle<()>>();
        let p = pool.clone();
        let posted = looper.post(move || {
            let task = AsyncTask::<(), (), ()>::builder(move |_, ctx| {
                let _ = ready_tx.send(());
                let slept = ctx.sleep(Duration::from_secs(10));
                let _ = woke_tx.send(Instant::now());
                slept?;
                Ok(())
            })
            .build();
            assert!(task.execute_on(&*p, ()).is_ok(), "task executes");
            let _ = handle_tx.send(task.handle());
        });
        assert!(posted.is_ok(), "looper accepts the post");
        let handle = handle_rx.recv().expect("task handle");
        ready_rx.recv().expect("background step starts");
        // Let the worker actually block before interrupting it.
        thread::sleep(Duration::from_micros(300));
        let t0 = Instant::now();
        handle.cancel(true);
        let woke = woke_rx.recv().expect("sleep returns");
        samples.push(woke.saturating_duration_since(t0).as_nanos() as u64);
    }
    let _ = looper.quit();
    looper_thread.join().expect("looper exits");
    pool.shutdown();
    samples
}

/// unpark -> `park_timeout` returned, timed the same way (ns).
pub(crate) fn unpark_latency(n: usize) -> Vec<u64> {
    let flag = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = channel();
    let (woke_tx, woke_rx) = channel::<Instant>();
    let f = flag.clone();
    let sleeper = thread::spawn(move || {
        for _ in 0..n {
            let _ = ready_tx.send(());
            while !f.swap(false, SeqCst) {
                thread::park_timeout(Duration::from_secs(10));
            }
            let _ = woke_tx.send(Instant::now());
        }
    });
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        ready_rx.recv().expect("sleeper ready");
        thread::sleep(Duration::from_micros(300));
        let t0 = Instant::now();
        flag.store(true, SeqCst);
        sleeper.thread().unpark();
        let woke = woke_rx.recv().expect("sleeper wakes");
        samples.push(woke.saturating_duration_since(t0).as_nanos() as u64);
    }
    sleeper.join().expect("sleeper exits");
    samples
}

/// What one `Latest`-policy progress run measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coalesced {
    pub(crate) ns_per_call: f64,
    pub(crate) max_pending: usize,
    pub(crate) delivered: usize,
    pub(crate) last_delivered: u64,
}

pub(crate) fn progress_latest(n: u64) -> Coalesced {
    let pool = new_pool(1);
    let p = pool.clone();
    let out = on_looper(move |looper, done| {
        let delivered = Rc::new(Cell::new((0usize, 0u64)));
        let d = delivered.clone();
        let watch = looper.clone();
        let task = AsyncTask::<(), u64, (f64, usize)>::builder(move |_, ctx| {
            let mut max_pending = 0;
            let t = Instant::now();
            for i in 0..n {
                ctx.publish_progress(i);
                if i % 1024 == 0 {
                    max_pending = max_pending.max(watch.pending_count());
                }
            }
            Ok((t.elapsed().as_nanos() as f64 / n as f64, max_pending))
        })
        .progress_policy(ProgressPolicy::Latest)
        .on_progress_update(move |v| d.set((d.get().0 + 1, v)))
        .on_post_execute(move |(ns_per_call, max_pending)| {
            let (count, last) = delivered.get();
            let out = Coalesced {
                ns_per_call,
                max_pending,
                delivered: count,
                last_delivered: last,
            };
            finish(&looper, &done, out);
        })
        .build();
        assert!(task.execute_on(&*p, ()).is_ok(), "task executes");
    });
    pool.shutdown();
    out
}

/// Updates per second through the default policy, and how many arrived.
pub(crate) fn progress_every(n: u64) -> (f64, u64) {
    let pool = new_pool(1);
    let p = pool.clone();
    let out = on_looper(move |looper, done| {
        let delivered = Rc::new(Cell::new(0u64));
        let d = delivered.clone();
        let task = AsyncTask::<(), u64, Instant>::builder(move |_, ctx| {
            let start = Instant::now();
            for i in 0..n {
                ctx.publish_progress(i);
            }
            Ok(start)
        })
        .on_progress_update(move |v| {
            black_box(v);
            d.set(d.get() + 1);
        })
        .on_post_execute(move |start| {
            let secs = start.elapsed().as_secs_f64();
            finish(&looper, &done, (n as f64 / secs, delivered.get()));
        })
        .build();
        assert!(task.execute_on(&*p, ()).is_ok(), "task executes");
    });
    pool.shutdown();
    out
}
