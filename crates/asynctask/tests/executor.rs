//! Executors: serial order (A13), bounded pool rejection (A14, P3), queued
//! cancellation freeing slots (P4), interruption never leaking between tasks
//! on a pooled thread (D5, P5, F8), panics never killing threads.

use looper_asynctask::{
    spawn, CancellationToken, Executor, GetError, RejectReason, SerialExecutor, TaskState,
    ThreadPool, Work,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn a13_serial_executor_runs_one_at_a_time_in_submission_order() {
    let serial = SerialExecutor::new("a13").unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let running = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let (order, running) = (order.clone(), running.clone());
            spawn(&serial, move |_| {
                assert_eq!(
                    running.fetch_add(1, Ordering::SeqCst),
                    0,
                    "two tasks ran at once"
                );
                order.lock().unwrap().push(i);
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap()
        })
        .collect();
    for h in &handles {
        h.get().unwrap();
    }
    serial.shutdown();
    assert_eq!(
        *order.lock().unwrap(),
        (0..50).collect::<Vec<_>>(),
        "submission order"
    );
}

#[test]
fn a13_serial_executor_skips_tasks_cancelled_while_queued_and_goes_on_after_a_panic() {
    let serial = SerialExecutor::new("a13b").unwrap();
    let (open, wait) = crossbeam_channel::bounded::<()>(1);
    let first = spawn(&serial, move |_| -> Result<(), _> {
        wait.recv().unwrap();
        panic!("first task panics")
    })
    .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let skipped = spawn(&serial, move |_| {
        r.fetch_add(1, Ordering::SeqCst);
        Ok(())
    })
    .unwrap();
    let last = spawn(&serial, |_| Ok("still serving")).unwrap();
    assert!(skipped.cancel(false));
    open.send(()).unwrap();
    assert_eq!(
        last.get().unwrap(),
        "still serving",
        "a panic must not stop the queue"
    );
    assert!(matches!(first.get(), Err(GetError::Failed(_))));
    serial.shutdown();
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "the cancelled task never ran"
    );
}

fn blocked_pool(threads: usize, capacity: usize) -> (ThreadPool, crossbeam_channel::Sender<()>) {
    let pool = ThreadPool::builder()
        .threads(threads)
        .queue_capacity(capacity)
        .name("bounded")
        .build()
        .unwrap();
    let (open, wait) = crossbeam_channel::unbounded::<()>();
    let (started_tx, started_rx) = crossbeam_channel::unbounded::<()>();
    for _ in 0..threads {
        let (wait, started) = (wait.clone(), started_tx.clone());
        pool.execute(Work::new(move || {
            started.send(()).unwrap();
            wait.recv().unwrap();
        }))
        .unwrap();
    }
    for _ in 0..threads {
        started_rx.recv().unwrap(); // every thread is busy
    }
    (pool, open)
}

#[test]
fn a14_p3_a_full_pool_rejects_with_an_error_that_returns_the_work() {
    let (pool, open) = blocked_pool(2, 3);
    for _ in 0..3 {
        pool.execute(Work::new(|| ())).unwrap();
    }
    assert_eq!(pool.queued(), 3);
    let err = pool.execute(Work::new(|| ())).unwrap_err();
    assert_eq!(err.reason(), RejectReason::Full { capacity: 3 });
    assert!(err.to_string().contains("queue is full"), "{err}");
    assert!(err.into_work().is_some(), "the refused work comes back");
    let rejected_task = spawn(&pool, |_| Ok(()));
    assert!(rejected_task.is_err(), "spawn reports the rejection too");
    for _ in 0..2 {
        open.send(()).unwrap();
    }
    pool.shutdown();
    assert_eq!(pool.queued(), 0);
}

#[test]
fn p4_a_task_cancelled_while_queued_frees_its_slot_at_once() {
    let (pool, open) = blocked_pool(1, 1);
    let queued = spawn(&pool, |_| Ok(1)).unwrap();
    assert!(pool.execute(Work::new(|| ())).is_err(), "the queue is full");
    assert!(queued.cancel(false));
    assert_eq!(pool.queued(), 0, "the cancelled task gave its slot back");
    let next = spawn(&pool, |_| Ok(2)).unwrap();
    open.send(()).unwrap();
    assert_eq!(next.get().unwrap(), 2);
    assert!(matches!(queued.get(), Err(GetError::Cancelled)));
    pool.shutdown();
}

#[test]
fn d5_p5_f8_interruption_never_leaks_into_the_next_task_on_the_same_thread() {
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let (started_tx, started_rx) = crossbeam_channel::bounded(1);
    let (go_tx, go_rx) = crossbeam_channel::bounded::<()>(1);
    let first = spawn(&pool, move |ctx| {
        started_tx.send(std::thread::current().id()).unwrap();
        go_rx.recv().unwrap();
        // Swallows the interrupt, as CTS's own task does (P5).
        Ok(ctx.is_interrupted())
    })
    .unwrap();
    let thread = started_rx.recv().unwrap();
    assert!(first.cancel(true));
    go_tx.send(()).unwrap();
    let second = spawn(&pool, |ctx| {
        let slept = ctx.sleep(Duration::from_millis(1));
        Ok((
            std::thread::current().id(),
            ctx.is_interrupted(),
            ctx.is_cancelled(),
            slept.is_ok(),
        ))
    })
    .unwrap();
    let (second_thread, interrupted, cancelled, slept) = second.get().unwrap();
    assert_eq!(second_thread, thread, "same pooled thread");
    assert!(
        !interrupted && !cancelled && slept,
        "the previous task's interrupt leaked"
    );
    pool.shutdown();
}

#[test]
fn a_panic_never_kills_a_pool_thread() {
    let pool = ThreadPool::builder()
        .threads(1)
        .name("sturdy")
        .build()
        .unwrap();
    pool.execute(Work::new(|| panic!("plain work panics")))
        .unwrap();
    let failed = spawn(&pool, |_| -> Result<(), _> { panic!("task panics") }).unwrap();
    let name = spawn(&pool, |_| {
        Ok(std::thread::current().name().map(String::from))
    })
    .unwrap();
    assert_eq!(
        name.get().unwrap().as_deref(),
        Some("sturdy #1"),
        "same named thread still serving"
    );
    assert_eq!(failed.state(), TaskState::Failed);
    assert_eq!(pool.threads(), 1);
    pool.shutdown();
    assert_eq!(pool.threads(), 0, "shutdown joins the threads");
}

#[test]
fn shutdown_runs_queued_work_and_then_rejects() {
    let (pool, open) = blocked_pool(1, 10);
    let queued = spawn(&pool, |_| Ok(5)).unwrap();
    open.send(()).unwrap();
    pool.shutdown();
    assert_eq!(
        queued.get().unwrap(),
        5,
        "queued work ran before shutdown returned"
    );
    let err = pool.execute(Work::new(|| ())).unwrap_err();
    assert_eq!(err.reason(), RejectReason::Shutdown);
}

#[test]
fn shutdown_now_fails_queued_tasks_instead_of_hanging_their_waiters() {
    let (pool, open) = blocked_pool(1, 10);
    let queued = spawn(&pool, |_| Ok(5)).unwrap();
    let pool = Arc::new(pool);
    let p = pool.clone();
    // shutdown_now drops the queue, then joins the still-blocked thread.
    let stopper = std::thread::spawn(move || p.shutdown_now());
    match queued.get() {
        Err(GetError::Failed(e)) => assert!(e.is_not_run(), "{e}"),
        other => panic!("a dropped task must fail, got {other:?}"),
    }
    open.send(()).unwrap();
    stopper.join().unwrap();
    assert_eq!(pool.threads(), 0);
}

#[test]
fn a_token_cancels_headless_work() {
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let outer = CancellationToken::new();
    let o = outer.clone();
    let (started_tx, started_rx) = crossbeam_channel::bounded(1);
    let task = spawn(&pool, move |ctx| {
        let linked = CancellationToken::linked(&[&o, ctx.token()]);
        started_tx.send(()).unwrap();
        linked.wait();
        Ok(())
    })
    .unwrap();
    started_rx.recv().unwrap();
    outer.cancel().unwrap();
    assert_eq!(task.get().unwrap(), ());
    pool.shutdown();
}

#[cfg(feature = "rayon")]
#[test]
fn rayon_pool_is_an_executor() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let task = spawn(&pool, |_| Ok(rayon::current_thread_index().is_some())).unwrap();
    assert!(task.get().unwrap(), "ran on a rayon thread");
    let failed = spawn(&pool, |_| -> Result<(), _> {
        panic!("caught, not an abort")
    })
    .unwrap();
    assert!(matches!(failed.get(), Err(GetError::Failed(_))));
}
