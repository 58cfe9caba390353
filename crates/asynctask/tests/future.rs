//! The FutureTask side of a task (F*), through `spawn`: a task without UI.
//! Behaviours follow openjdk's FutureTask and its TCK FutureTaskTest,
//! re-expressed for this API (F1 states as `TaskState`, exceptions as
//! `GetError` values).

use looper_asynctask::{run_with_timeout, spawn, GetError, Status, TaskState, ThreadPool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn pool() -> ThreadPool {
    ThreadPool::builder()
        .threads(2)
        .name("future-test")
        .build()
        .unwrap()
}

fn gate() -> (
    crossbeam_channel::Sender<()>,
    crossbeam_channel::Receiver<()>,
) {
    crossbeam_channel::bounded(1)
}

#[test]
fn f1_states_move_from_running_to_a_terminal_state_once() {
    let pool = pool();
    let (open, wait) = gate();
    let task = spawn(&pool, move |_| {
        wait.recv().unwrap();
        Ok(1)
    })
    .unwrap();
    assert_eq!(task.state(), TaskState::Running);
    assert!(!task.is_done());
    open.send(()).unwrap();
    task.get().unwrap();
    assert_eq!(task.state(), TaskState::Succeeded);
    assert!(!task.cancel(true), "a done task cannot be cancelled");
    assert_eq!(
        task.state(),
        TaskState::Succeeded,
        "terminal states never change"
    );
    assert_eq!(
        task.status(),
        Status::Finished,
        "a headless task finishes with its step"
    );
}

#[test]
fn f2_cancel_in_each_stage() {
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let (open, wait) = gate();
    let (started_tx, started_rx) = gate();
    let running = spawn(&pool, move |_| {
        started_tx.send(()).unwrap();
        wait.recv().unwrap();
        Ok(())
    })
    .unwrap();
    let queued = spawn(&pool, |_| Ok(())).unwrap();
    started_rx.recv().unwrap();
    assert!(queued.cancel(false), "queued: true");
    assert!(!queued.cancel(false), "repeated: false");
    assert!(running.cancel(false), "running: true");
    assert!(
        matches!(running.get(), Err(GetError::Cancelled)),
        "waiters see cancelled at once"
    );
    open.send(()).unwrap();
    pool.shutdown();
    assert_eq!(
        running.state(),
        TaskState::Cancelled,
        "the later result is ignored (F4)"
    );
    assert_eq!(queued.state(), TaskState::Cancelled);
}

#[test]
fn f3_a_task_runs_at_most_once() {
    let pool = pool();
    let runs = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..100)
        .map(|_| {
            let r = runs.clone();
            spawn(&pool, move |_| {
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap()
        })
        .collect();
    handles.iter().for_each(|h| h.get().unwrap());
    pool.shutdown();
    assert_eq!(runs.load(Ordering::SeqCst), 100);
}

#[test]
fn f5_get_reports_value_failure_cancellation_and_timeout() {
    let pool = pool();
    assert_eq!(spawn(&pool, |_| Ok(4)).unwrap().get().unwrap(), 4);
    let failed = spawn(&pool, |_| -> Result<(), _> { Err("nope".into()) }).unwrap();
    match failed.get() {
        Err(GetError::Failed(e)) => assert_eq!(e.error().unwrap().to_string(), "nope"),
        other => panic!("expected Failed, got {other:?}"),
    }
    let (_open, wait) = gate();
    let slow = spawn(&pool, move |ctx| {
        ctx.recv(&wait)?;
        Ok(())
    })
    .unwrap();
    assert!(
        matches!(slow.get_timeout(Duration::ZERO), Err(GetError::Timeout)),
        "zero timeout: at once"
    );
    assert!(slow.cancel(true));
    assert!(matches!(slow.get(), Err(GetError::Cancelled)));
    pool.shutdown();
}

#[test]
fn f6_on_done_runs_once_after_waiters_were_released() {
    let pool = pool();
    let (open, wait) = gate();
    let task = spawn(&pool, move |_| {
        wait.recv().unwrap();
        Ok(2)
    })
    .unwrap();
    let (done_tx, done_rx) = crossbeam_channel::unbounded();
    let t = task.clone();
    task.on_done(move || done_tx.send(t.try_result().is_some()).unwrap());
    open.send(()).unwrap();
    assert!(
        done_rx.recv().unwrap(),
        "the result was available inside on_done"
    );
    pool.shutdown();
    assert!(done_rx.try_recv().is_err(), "exactly once");
    let (tx, rx) = crossbeam_channel::bounded(1);
    task.on_done(move || tx.send(()).unwrap());
    assert!(
        rx.try_recv().is_ok(),
        "on an already-done task it runs at once"
    );
}

#[test]
fn f7_debug_uses_futuretasks_vocabulary() {
    let pool = pool();
    let ok = spawn(&pool, |_| Ok(1)).unwrap();
    ok.get().unwrap();
    assert!(format!("{ok:?}").contains("Completed normally"));
    let bad = spawn(&pool, |_| -> Result<(), _> { Err("broken".into()) }).unwrap();
    let _ = bad.get();
    assert!(format!("{bad:?}").contains(
        "Completed exceptionally: An error occurred while executing doInBackground(): broken"
    ));
    let (_open, wait) = gate();
    let pending = spawn(&pool, move |ctx| {
        ctx.recv(&wait)?;
        Ok(())
    })
    .unwrap();
    assert!(format!("{pending:?}").contains("Not completed"));
    pending.cancel(true);
    assert!(format!("{pending:?}").contains("Cancelled"));
    pool.shutdown();
}

#[test]
fn f9_run_with_timeout_returns_in_time_or_cancels() {
    let pool = pool();
    assert_eq!(
        run_with_timeout(&pool, Duration::from_secs(60), |_| Ok(3)).unwrap(),
        3
    );
    let (stopped_tx, stopped_rx) = gate();
    let r = run_with_timeout(&pool, Duration::from_millis(5), move |ctx| {
        let slept = ctx.sleep(Duration::from_secs(3600));
        stopped_tx.send(()).unwrap();
        slept?;
        Ok(())
    });
    assert!(matches!(r, Err(GetError::Timeout)));
    stopped_rx.recv().unwrap(); // the cancel reached the sleeping step
    let failed = run_with_timeout(&pool, Duration::from_secs(60), |_| -> Result<(), _> {
        Err("cause".into())
    });
    assert!(
        matches!(failed, Err(GetError::Failed(_))),
        "the cause is rethrown as a value"
    );
    pool.shutdown();
}

#[test]
fn f10_state_and_try_result() {
    let pool = pool();
    let (open, wait) = gate();
    let task = spawn(&pool, move |_| {
        wait.recv().unwrap();
        Ok("v")
    })
    .unwrap();
    assert!(task.try_result().is_none(), "no result while running");
    open.send(()).unwrap();
    assert_eq!(task.get().unwrap(), "v");
    assert_eq!(task.try_result().unwrap().unwrap(), "v");
    assert_eq!(task.state(), TaskState::Succeeded);
    pool.shutdown();
}

#[test]
fn async_result_of_a_headless_task() {
    let pool = pool();
    let (open, wait) = gate();
    let task = spawn(&pool, move |_| {
        wait.recv().unwrap();
        Ok(9)
    })
    .unwrap();
    let fut = task.result_async();
    let waiter = std::thread::spawn(move || pollster::block_on(fut));
    open.send(()).unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), 9);
    pool.shutdown();
}
