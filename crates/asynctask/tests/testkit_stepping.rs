//! Stepping an AsyncTask deterministically (issue 5, SEMANTICS X4, A1, A3,
//! A6, A7, A8): a `ManualExecutor` runs the background step only when told,
//! and the looper dispatches one UI message per `run_one`, on a manual clock.
#![cfg(feature = "test-util")]

use looper::{Clock, LocalLooper, LooperBuilder, ManualClock};
use looper_asynctask::executor::ManualExecutor;
use looper_asynctask::{AsyncTask, Status, TaskState};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

fn ui() -> (LocalLooper, ManualClock) {
    let clock = ManualClock::new();
    let local = LooperBuilder::new()
        .clock(clock.clone())
        .prepare()
        .expect("one looper per test thread");
    (local, clock)
}

type Log = Rc<RefCell<Vec<String>>>;

fn counting_task(log: &Log) -> AsyncTask<u32, u32, u32> {
    let (pre, progress, post, cancelled) = (log.clone(), log.clone(), log.clone(), log.clone());
    AsyncTask::builder(|n: u32, ctx| {
        for i in 1..=n {
            ctx.publish_progress(i * 10);
        }
        Ok(n * 100)
    })
    .on_pre_execute(move || pre.borrow_mut().push("pre".into()))
    .on_progress_update(move |p| progress.borrow_mut().push(format!("progress {p}")))
    .on_post_execute(move |r| post.borrow_mut().push(format!("post {r}")))
    .on_cancelled(move |r| cancelled.borrow_mut().push(format!("cancelled {r:?}")))
    .build()
}

#[test]
fn a3_a6_a7_async_task_stepped_through_every_callback() {
    let (local, _clock) = ui();
    let exec = ManualExecutor::new();
    let log: Log = Rc::default();
    let task = counting_task(&log);

    task.execute_on(&exec, 3).unwrap();
    assert_eq!(
        *log.borrow(),
        ["pre"],
        "on_pre_execute runs inside execute (A3)"
    );
    assert_eq!(
        task.status(),
        Status::Running,
        "Running from execute on (A1)"
    );
    assert_eq!(exec.pending(), 1, "the background step waits for the test");
    assert_eq!(local.pending_count(), 0, "nothing reached the UI yet");

    assert!(
        exec.run_next(),
        "the background step ran on the test thread"
    );
    assert_eq!(exec.pending(), 0, "the executor is empty again");
    assert_eq!(
        task.state(),
        TaskState::Succeeded,
        "get() would answer already (A12)"
    );
    assert_eq!(
        task.status(),
        Status::Running,
        "but the UI has not been told (A1)"
    );
    assert_eq!(
        local.pending_count(),
        4,
        "three progress messages and the final one are queued (A6)"
    );

    for (i, want) in ["progress 10", "progress 20", "progress 30"]
        .iter()
        .enumerate()
    {
        assert!(local.run_one(), "progress message {i} was due");
        assert_eq!(
            log.borrow().last().map(String::as_str),
            Some(*want),
            "one update per run_one, in publish order"
        );
        assert_eq!(
            task.status(),
            Status::Running,
            "not finished after progress {i}"
        );
    }
    assert!(local.run_one(), "the final message was due");
    assert_eq!(
        *log.borrow(),
        [
            "pre",
            "progress 10",
            "progress 20",
            "progress 30",
            "post 300"
        ],
        "every callback, in Android's order"
    );
    assert_eq!(
        task.status(),
        Status::Finished,
        "Finished after on_post_execute (A1)"
    );
    assert!(!local.run_one(), "nothing is left on the UI thread");
}

#[test]
fn a8_cancel_between_background_and_post_execute_is_stepped_exactly() {
    let (local, _clock) = ui();
    let exec = ManualExecutor::new();
    let log: Log = Rc::default();
    let task = counting_task(&log);
    task.execute_on(&exec, 1).unwrap();
    exec.run_all();
    assert!(local.run_one(), "the progress update is delivered");

    // The step is over: cancel returns false yet wins over on_post_execute.
    assert!(!task.cancel(false), "too late to stop the result (A8)");
    assert_eq!(local.run_due(), Ok(1), "only the final message was left");
    assert_eq!(
        *log.borrow(),
        ["pre", "progress 10", "cancelled Some(100)"],
        "on_cancelled(Some(result)) instead of on_post_execute (A8)"
    );
}

#[test]
fn a9_task_cancelled_while_queued_on_the_manual_executor_never_runs() {
    let (local, _clock) = ui();
    let exec = ManualExecutor::new();
    let log: Log = Rc::default();
    let task = counting_task(&log);
    task.execute_on(&exec, 2).unwrap();
    assert!(task.cancel(true), "cancelled while queued");
    assert_eq!(exec.run_all(), 1, "the queued item is still dequeued (A13)");
    assert_eq!(local.run_due(), Ok(1), "only the final message");
    assert_eq!(
        *log.borrow(),
        ["pre", "cancelled None"],
        "no progress, no result: the step never ran (A9)"
    );
}

#[test]
fn x4_a_delayed_ui_post_from_a_callback_runs_at_its_virtual_due_time() {
    let (local, clock) = ui();
    let start = clock.now();
    let exec = ManualExecutor::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (s1, s2) = (seen.clone(), seen.clone());
    let looper = local.looper();
    let task = AsyncTask::builder(|(), _ctx: &looper_asynctask::Context| Ok("loaded"))
        .on_post_execute(move |r: &'static str| {
            s1.borrow_mut().push((r.to_string(), looper.now()));
            // A UI that hides a toast two seconds later.
            let (s, l) = (s2.clone(), looper.clone());
            LocalLooper::current()
                .unwrap()
                .post_delayed(
                    move || s.borrow_mut().push(("hide toast".into(), l.now())),
                    Duration::from_secs(2),
                )
                .unwrap();
        })
        .build();
    task.execute_on(&exec, ()).unwrap();
    clock.advance(Duration::from_millis(500)); // the step "took" 500 ms
    exec.run_all();
    assert_eq!(
        local.advance_by(Duration::from_secs(1)),
        Ok(1),
        "only the result ran"
    );
    assert_eq!(
        local.advance_by(Duration::from_secs(2)),
        Ok(1),
        "then the toast"
    );
    let seen = seen.borrow();
    assert_eq!(
        seen[0],
        ("loaded".into(), start + Duration::from_millis(500))
    );
    assert_eq!(
        seen[1],
        ("hide toast".into(), start + Duration::from_millis(2500)),
        "the delayed post ran exactly 2 s after on_post_execute, in virtual time"
    );
}
