//! The main demo: a terminal "UI thread" running five background tasks.
//!
//! The main thread is a looper. Its UI state (`Screen`) is an
//! `Rc<RefCell<_>>` that never leaves it — the compiler would refuse to send
//! it anywhere. Five `AsyncTask`s run on a small thread pool and report back
//! through the looper's queue:
//!
//! 1. `a.iso` downloads and finishes (`on_post_execute`).
//! 2. `b.iso` is cancelled by the UI at 40% with interruption: its
//!    interruptible sleep returns at once and it ends in `on_cancelled`.
//! 3. `checksum` publishes a million progress values with the `Latest`
//!    policy: the UI sees a handful of messages, and always the last value.
//! 4. `flaky` panics half-way: the task ends *failed* and `on_failed` says so.
//! 5. `thumbnails` belongs to a "gallery screen" (`TaskScope`) that the user
//!    closes after 150 ms: the task is cancelled and none of its callbacks
//!    ever runs afterwards.
//!
//! A `HandlerThread` ("clock") ticks every 200 ms by posting to the UI
//! thread through a `Handler`, as another subsystem would.
//!
//! Run: `cargo run --release --example demo`

use looper::{LocalLooper, Looper};
use looper_asynctask::{AsyncTask, ProgressPolicy, TaskScope, ThreadPool};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The UI state: lives on the looper thread only.
struct Screen {
    started: Instant,
    rows: BTreeMap<&'static str, String>,
    finished: usize,
    checksum_updates: u64,
}

impl Screen {
    fn set(&mut self, name: &'static str, status: String) {
        let line = format!(
            "[{:>7.3}s] {name:<10} {status}",
            self.started.elapsed().as_secs_f64()
        );
        println!("{line}");
        self.rows.insert(name, status);
    }
}

fn bar(done: u32, total: u32) -> String {
    let filled = (done * 20 / total) as usize;
    format!(
        "[{}{}] {:>3}%",
        "#".repeat(filled),
        ".".repeat(20 - filled),
        done * 100 / total
    )
}

const TASKS: usize = 5;

fn main() {
    // Task panics are caught and reported through `on_failed`; keep the
    // default hook's backtrace out of the demo's output.
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("?");
        println!("  (panic on {}: {message})", thread.name().unwrap_or("?"));
    }));
    let local = Looper::prepare().expect("the main thread has no looper yet");
    let pool = ThreadPool::builder()
        .threads(4)
        .name("demo-worker")
        .build()
        .expect("threads can be spawned");
    let screen = Rc::new(RefCell::new(Screen {
        started: Instant::now(),
        rows: BTreeMap::new(),
        finished: 0,
        checksum_updates: 0,
    }));
    println!("looper demo: a UI thread with five background tasks\n");

    // Called by every final callback; the last one quits the loop.
    let finish = {
        let screen = screen.clone();
        let looper = local.looper();
        Rc::new(move || {
            let mut s = screen.borrow_mut();
            s.finished += 1;
            if s.finished == TASKS {
                looper.quit_safely().expect("the demo looper may quit");
            }
        })
    };

    // 1 and 2: downloads, 20 chunks of 15 ms each.
    for name in ["a.iso", "b.iso"] {
        let (s1, s2, s3, s4) = (
            screen.clone(),
            screen.clone(),
            screen.clone(),
            screen.clone(),
        );
        let (f1, f2) = (finish.clone(), finish.clone());
        let this: Rc<RefCell<Option<looper_asynctask::TaskHandle<u32>>>> = Rc::default();
        let this_for_progress = this.clone();
        let task = AsyncTask::builder(|chunks: u32, ctx| {
            for i in 1..=chunks {
                ctx.sleep(Duration::from_millis(15))?; // returns at once on cancel(true)
                ctx.publish_progress(i);
            }
            Ok(chunks * 64) // KiB
        })
        .on_pre_execute(move || s1.borrow_mut().set(name, bar(0, 20)))
        .on_progress_update(move |done: u32| {
            s2.borrow_mut().set(name, bar(done, 20));
            if name == "b.iso" && done == 8 {
                // The user presses "cancel" on the UI thread.
                let handle = this_for_progress.borrow();
                let cancelled = handle.as_ref().is_some_and(|h| h.cancel(true));
                s2.borrow_mut()
                    .set(name, format!("cancel(true) -> {cancelled}"));
            }
        })
        .on_post_execute(move |kib| {
            s3.borrow_mut().set(name, format!("done, {kib} KiB"));
            f1();
        })
        .on_cancelled(move |partial| {
            s4.borrow_mut()
                .set(name, format!("cancelled (result: {partial:?})"));
            f2();
        })
        .build();
        *this.borrow_mut() = Some(task.handle());
        task.execute_on(&pool, 20)
            .expect("the pool accepts the task");
    }

    // 3: a flood of progress, coalesced.
    {
        let (s1, s2) = (screen.clone(), screen.clone());
        let f = finish.clone();
        AsyncTask::builder(|n: u64, ctx| {
            let mut sum = 0u64;
            for i in 1..=n {
                sum = sum.wrapping_add(i.wrapping_mul(0x9E37_79B9));
                ctx.publish_progress(i);
            }
            Ok(sum)
        })
        .progress_policy(ProgressPolicy::Latest)
        .on_progress_update(move |_latest: u64| s1.borrow_mut().checksum_updates += 1)
        .on_post_execute(move |sum| {
            let updates = s2.borrow().checksum_updates;
            s2.borrow_mut().set(
                "checksum",
                format!("done ({sum:#x}); 1000000 progress values reached the UI as {updates} message(s)"),
            );
            f();
        })
        .build()
        .execute_on(&pool, 1_000_000)
        .expect("the pool accepts the task");
    }

    // 4: a task that panics half-way.
    {
        let (s1, s2) = (screen.clone(), screen.clone());
        let f = finish.clone();
        AsyncTask::builder(|steps: u32, ctx| {
            for i in 1..=steps {
                ctx.sleep(Duration::from_millis(10))?;
                ctx.publish_progress(i);
                if i == steps / 2 {
                    panic!("disk full at step {i}");
                }
            }
            Ok(())
        })
        .on_progress_update(move |i: u32| s1.borrow_mut().set("flaky", bar(i, 10)))
        .on_failed(move |error| {
            s2.borrow_mut().set("flaky", format!("FAILED: {error}"));
            f();
        })
        .build()
        .execute_on(&pool, 10)
        .expect("the pool accepts the task");
    }

    // 5: a screen that owns a task, closed after 150 ms.
    {
        let gallery = TaskScope::new();
        let s1 = screen.clone();
        AsyncTask::builder(|count: u32, ctx| {
            for i in 1..=count {
                ctx.sleep(Duration::from_millis(40))?;
                ctx.publish_progress(i);
            }
            Ok(count)
        })
        .on_progress_update(move |i: u32| s1.borrow_mut().set("thumbnails", bar(i, 50)))
        .on_post_execute(|_| unreachable!("the gallery closes long before 50 thumbnails"))
        .on_cancelled(|_| unreachable!("a dropped scope delivers no callback at all"))
        .scope(&gallery)
        .build()
        .execute_on(&pool, 50)
        .expect("the pool accepts the task");
        let s2 = screen.clone();
        let f = finish.clone();
        local
            .post_delayed(
                move || {
                    drop(gallery); // the user closes the gallery screen
                    s2.borrow_mut().set(
                        "thumbnails",
                        "gallery closed: task cancelled, no callbacks from now on".into(),
                    );
                    f();
                },
                Duration::from_millis(150),
            )
            .expect("the looper is running");
    }

    // Another subsystem: a clock thread posting ticks to the UI thread.
    let clock = looper_handler::HandlerThread::spawn("clock").expect("threads can be spawned");
    start_ticks(&local, clock.handler().clone(), screen.clone());

    local.run();
    clock.quit();
    clock.join().expect("the clock thread did not panic");
    pool.shutdown();
    println!(
        "\nall {TASKS} tasks reported back in {:.3}s; the UI state never left the main thread.",
        screen.borrow().started.elapsed().as_secs_f64()
    );
}

/// The clock thread's handler posts a tick to the UI thread every 200 ms.
fn start_ticks(local: &LocalLooper, clock: looper_handler::Handler, screen: Rc<RefCell<Screen>>) {
    // A typed channel into the UI looper: the sender is Send, the callback
    // holds the !Send screen.
    let ticks = looper_handler::channel::<u32>(local)
        .attach(move |n| screen.borrow_mut().set("clock", format!("tick {n}")));
    fn tick(clock: looper_handler::Handler, ticks: looper_handler::Sender<u32>, n: u32) {
        if ticks.send(n).is_err() {
            return; // the UI looper quit
        }
        let again = clock.clone();
        let _ = clock.post_delayed(
            move || tick(again, ticks, n + 1),
            Duration::from_millis(200),
        );
    }
    let first = clock.clone();
    clock
        .post(move || tick(first, ticks, 1))
        .expect("the clock thread is running");
}
