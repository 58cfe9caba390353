//! TaskScope: dropping a scope cancels its tasks and no UI callback of
//! theirs runs afterwards (P1 solved by construction).

mod common;

use common::Ui;
use looper_asynctask::{AsyncTask, Context, Status, TaskScope, TaskState, ThreadPool};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

#[test]
fn p1_dropping_a_scope_cancels_its_tasks_and_silences_their_callbacks() {
    let ui = Ui::new();
    let pool = ThreadPool::builder().threads(2).build().unwrap();
    let screen = TaskScope::new();
    let calls = Rc::new(RefCell::new(Vec::<String>::new()));
    let (started_tx, started_rx) = crossbeam_channel::unbounded();
    let mut tasks = Vec::new();
    for i in 0..4u32 {
        let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
        let started = started_tx.clone();
        let task = AsyncTask::builder(move |(), ctx: &Context<u32>| {
            ctx.publish_progress(i);
            started.send(()).unwrap();
            ctx.sleep(Duration::from_secs(3600))?;
            Ok(i)
        })
        .on_progress_update(move |p| c1.borrow_mut().push(format!("progress {p}")))
        .on_post_execute(move |r| c2.borrow_mut().push(format!("post {r}")))
        .on_cancelled(move |r| c3.borrow_mut().push(format!("cancelled {r:?}")))
        .scope(&screen)
        .build();
        task.execute_on(&pool, ()).unwrap();
        tasks.push(task);
    }
    // Two run (and published progress, still queued), two are queued.
    started_rx.recv().unwrap();
    started_rx.recv().unwrap();
    drop(screen);
    assert!(
        tasks.iter().all(|t| t.is_cancelled()),
        "every task was cancelled"
    );
    ui.run_until("all finish", || {
        tasks.iter().all(|t| t.status() == Status::Finished)
    });
    pool.shutdown();
    ui.drain();
    assert!(
        calls.borrow().is_empty(),
        "callbacks ran after the scope dropped: {:?}",
        calls.borrow()
    );
    assert!(tasks.iter().all(|t| t.state() == TaskState::Cancelled));
}

#[test]
fn p1_a_live_scope_does_not_interfere() {
    let ui = Ui::new();
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let screen = TaskScope::new();
    let got = Rc::new(RefCell::new(None));
    let g = got.clone();
    let task = AsyncTask::builder(|(), _: &Context| Ok(5))
        .on_post_execute(move |r| *g.borrow_mut() = Some(r))
        .scope(&screen)
        .build();
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", || task.status() == Status::Finished);
    assert_eq!(*got.borrow(), Some(5));
}

#[test]
fn p1_ui_state_captured_by_callbacks_is_released() {
    let ui = Ui::new();
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let screen = TaskScope::new();
    let state = Rc::new(());
    let s = state.clone();
    let (started_tx, started_rx) = crossbeam_channel::bounded(1);
    let task = AsyncTask::builder(move |(), ctx: &Context| {
        started_tx.send(()).unwrap();
        ctx.sleep(Duration::from_secs(3600))?;
        Ok(())
    })
    .on_post_execute(move |()| drop(s))
    .scope(&screen)
    .build();
    task.execute_on(&pool, ()).unwrap();
    started_rx.recv().unwrap();
    drop(screen);
    ui.run_until("finish", || task.status() == Status::Finished);
    pool.shutdown();
    ui.drain();
    assert_eq!(
        Rc::strong_count(&state),
        1,
        "the dropped screen's UI state was released"
    );
}
