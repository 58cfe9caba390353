//! Idling across threads (issue 5): `wait_for_idle` on the looper thread
//! and `IdleWatcher` from elsewhere see tasks on any executor, not just the
//! looper's queue. No sleeps: background steps block on channels the test
//! (or the looper) opens.
#![cfg(feature = "test-util")]

mod common;

use common::STUCK;
use looper::{LooperBuilder, ManualClock};
use looper_asynctask::executor::ManualExecutor;
use looper_asynctask::testing::{wait_for_idle, IdleWatcher, TaskStage};
use looper_asynctask::{spawn, AsyncTask, Context, Status, ThreadPool};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// Short: only used where the wait is expected to time out.
const SHORT: Duration = Duration::from_millis(30);

#[test]
fn idle_waits_for_a_pool_task_then_for_its_on_post_execute() {
    let local = looper::Looper::prepare().unwrap();
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let log = Rc::new(RefCell::new(Vec::<String>::new()));
    let (l1, l2) = (log.clone(), log.clone());
    let looper = local.looper();
    let task = AsyncTask::builder(move |(), ctx: &Context<u32>| {
        // Ask the UI thread to open the gate, then block on it: only a
        // waiter that keeps dispatching while the task runs gets past this.
        let (open, gate) = crossbeam_channel::bounded::<()>(1);
        looper.post(move || open.send(()).unwrap()).unwrap();
        gate.recv().unwrap();
        ctx.publish_progress(1);
        Ok(7)
    })
    .on_progress_update(move |p| l1.borrow_mut().push(format!("progress {p}")))
    .on_post_execute(move |r| l2.borrow_mut().push(format!("post {r}")))
    .build();
    task.execute_on(&pool, ()).unwrap();

    let dispatched = wait_for_idle(&local, STUCK).expect("the task finishes");
    assert_eq!(
        *log.borrow(),
        ["progress 1", "post 7"],
        "idle only after on_post_execute returned"
    );
    assert_eq!(
        dispatched, 3,
        "the gate opener, the progress and the result"
    );
    assert_eq!(task.status(), Status::Finished, "the task is finished (A1)");
}

#[test]
fn idle_timeout_names_the_busy_task_and_the_pending_messages() {
    let clock = ManualClock::new();
    let local = LooperBuilder::new().clock(clock.clone()).prepare().unwrap();
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let (started_tx, started) = crossbeam_channel::bounded::<()>(1);
    let (release, gate) = crossbeam_channel::bounded::<()>(1);
    let task = AsyncTask::builder(move |(), _ctx: &Context| {
        started_tx.send(()).unwrap();
        gate.recv().unwrap();
        Ok(())
    })
    .build();
    task.execute_on(&pool, ()).unwrap();
    let id = task.handle().id();
    started.recv_timeout(STUCK).expect("the step started");
    local
        .looper()
        .post_delayed(|| (), Duration::from_secs(5))
        .unwrap();

    let err = wait_for_idle(&local, SHORT).expect_err("the task is blocked");
    assert_eq!(err.busy.tasks.len(), 1, "one busy task: {err}");
    assert_eq!(err.busy.tasks[0].id, id, "the blocked task is named: {err}");
    assert_eq!(err.busy.tasks[0].stage, TaskStage::Running, "{err}");
    assert_eq!(err.busy.pending_messages, 1, "{err}");
    assert_eq!(err.busy.next_due_in, Some(Duration::from_secs(5)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("task #{id} running on its executor"))
            && text.contains("1 pending message, the next due in 5s"),
        "the message says what is busy: {text}"
    );

    release.send(()).unwrap();
    wait_for_idle(&local, STUCK).expect("idle once the step returned");
    assert_eq!(
        local.pending_count(),
        1,
        "idling does not run the future delayed message"
    );
}

#[test]
fn idle_does_not_wait_for_future_delayed_messages_on_a_manual_clock() {
    let clock = ManualClock::new();
    let local = LooperBuilder::new().clock(clock.clone()).prepare().unwrap();
    let ran = Rc::new(RefCell::new(Vec::new()));
    let (r1, r2) = (ran.clone(), ran.clone());
    local.post(move || r1.borrow_mut().push("now")).unwrap();
    local
        .post_delayed(
            move || r2.borrow_mut().push("later"),
            Duration::from_millis(100),
        )
        .unwrap();

    assert_eq!(wait_for_idle(&local, STUCK), Ok(1), "only what is due runs");
    assert_eq!(
        *ran.borrow(),
        ["now"],
        "the delayed message waits for the clock"
    );
    assert_eq!(local.advance_by(Duration::from_millis(100)), Ok(1));
    assert_eq!(*ran.borrow(), ["now", "later"], "stepping time runs it");
}

#[test]
fn idle_sees_tasks_queued_on_a_manual_executor() {
    let local = looper::Looper::prepare().unwrap();
    let exec = ManualExecutor::new();
    let done = Rc::new(RefCell::new(false));
    let d = done.clone();
    let task = AsyncTask::builder(|(), _ctx: &Context| Ok(()))
        .on_post_execute(move |()| *d.borrow_mut() = true)
        .build();
    task.execute_on(&exec, ()).unwrap();

    let err = wait_for_idle(&local, SHORT).expect_err("nobody ran the executor");
    assert_eq!(err.busy.tasks[0].stage, TaskStage::Queued, "{err}");
    exec.run_all();
    wait_for_idle(&local, STUCK).expect("idle after the step and the result");
    assert!(*done.borrow(), "on_post_execute ran inside wait_for_idle");
}

#[test]
fn idle_tracks_spawn_called_on_the_looper_thread() {
    let local = looper::Looper::prepare().unwrap();
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let (release, gate) = crossbeam_channel::bounded::<()>(1);
    let handle = spawn(&pool, move |_ctx| {
        gate.recv().unwrap();
        Ok(3)
    })
    .unwrap();
    let err = wait_for_idle(&local, SHORT).expect_err("the spawned task is blocked");
    assert_eq!(err.busy.tasks[0].id, handle.id(), "{err}");
    release.send(()).unwrap();
    wait_for_idle(&local, STUCK).expect("idle once it returned");
    assert_eq!(
        handle.try_result().map(Result::unwrap),
        Some(3),
        "it finished"
    );
}

#[test]
fn watcher_on_another_thread_waits_for_a_task_on_a_looper_it_does_not_run() {
    let local = looper::Looper::prepare().unwrap();
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let watcher = IdleWatcher::new(&local);
    let (release, gate) = crossbeam_channel::bounded::<()>(1);
    let post_ran = Rc::new(RefCell::new(false));
    let p = post_ran.clone();
    let task = AsyncTask::builder(move |(), _ctx: &Context| {
        gate.recv().unwrap();
        Ok(())
    })
    .on_post_execute(move |()| *p.borrow_mut() = true)
    .build();
    task.execute_on(&pool, ()).unwrap();

    let id = task.handle().id();
    let remote = std::thread::spawn(move || {
        let early = watcher.wait(SHORT);
        release.send(()).unwrap();
        let late = watcher.wait(STUCK);
        watcher.looper().quit_safely().unwrap();
        (early, late)
    });
    local.run(); // the looper thread just runs, until the remote side quits it
    let (early, late) = remote.join().unwrap();
    let early = early.expect_err("blocked task: the remote wait times out");
    assert_eq!(early.busy.tasks[0].id, id, "the task is named: {early}");
    late.expect("the remote wait ends once the looper ran on_post_execute");
    assert!(
        *post_ran.borrow(),
        "on_post_execute ran before the remote saw idle"
    );
}

#[test]
fn watcher_never_mistakes_a_message_being_dispatched_for_idle() {
    let local = looper::Looper::prepare().unwrap();
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let watcher = IdleWatcher::new(&local);
    let (in_message, started) = crossbeam_channel::bounded::<()>(1);
    let (go, gate) = crossbeam_channel::bounded::<()>(1);
    let finished = Rc::new(RefCell::new(false));
    let f = finished.clone();
    // A message that blocks mid-dispatch, then starts a task: the queue is
    // empty and no task exists while it blocks, yet the looper is busy.
    local
        .post(move || {
            in_message.send(()).unwrap();
            gate.recv().unwrap();
            AsyncTask::builder(|(), _ctx: &Context| Ok(()))
                .on_post_execute(move |()| *f.borrow_mut() = true)
                .build()
                .execute_on(&pool, ())
                .unwrap();
        })
        .unwrap();
    let remote = std::thread::spawn(move || {
        started.recv().unwrap();
        let during = watcher.wait(SHORT);
        go.send(()).unwrap();
        let after = watcher.wait(STUCK);
        watcher.looper().quit_safely().unwrap();
        (during, after)
    });
    local.run();
    let (during, after) = remote.join().unwrap();
    let during = during.expect_err("a message is being dispatched: not idle");
    assert!(
        during.busy.not_seen_idle && during.to_string().contains("not gone idle"),
        "the error says the looper thread is busy: {during}"
    );
    after.expect("idle once the message and its task are done");
    assert!(
        *finished.borrow(),
        "the task started by the message finished first"
    );
}

#[test]
fn idle_after_quit_waits_only_for_background_steps() {
    let local = looper::Looper::prepare().unwrap();
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let (release, gate) = crossbeam_channel::bounded::<()>(1);
    let post_ran = Rc::new(RefCell::new(false));
    let p = post_ran.clone();
    let task = AsyncTask::builder(move |(), _ctx: &Context| {
        gate.recv().unwrap();
        Ok(())
    })
    .on_post_execute(move |()| *p.borrow_mut() = true)
    .build();
    task.execute_on(&pool, ()).unwrap();
    local.looper().quit().unwrap();
    // Released from another thread, before or during the wait: either way
    // the wait must end once the step returned, not hang on a final
    // callback that can never run.
    let releaser = std::thread::spawn(move || release.send(()).unwrap());
    wait_for_idle(&local, STUCK).expect("idle once the background step ended");
    releaser.join().unwrap();
    assert!(task.handle().is_done(), "the background step ended");
    assert!(!*post_ran.borrow(), "a quit looper runs no final callback");
}
