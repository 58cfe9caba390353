//! Progress policies (A6, D6, P6; PERFORMANCE target 7): every update by
//! default, latest-only coalescing with at most one pending UI message, and
//! SwingWorker-style batches; the last value always precedes the result.

mod common;

use common::Ui;
use looper_asynctask::{AsyncTask, Context, ProgressPolicy, Status, ThreadPool};
use std::cell::RefCell;
use std::rc::Rc;

const N: u32 = 20_000;

fn pool() -> ThreadPool {
    ThreadPool::builder()
        .threads(1)
        .name("progress-test")
        .build()
        .unwrap()
}

fn counting(
    n: u32,
) -> impl FnOnce((), &Context<u32>) -> Result<u32, looper_asynctask::BoxError> + Send {
    move |(), ctx| {
        for i in 0..n {
            ctx.publish_progress(i);
        }
        Ok(n)
    }
}

#[test]
fn d6_every_update_is_delivered_by_default() {
    let ui = Ui::new();
    let pool = pool();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let task = AsyncTask::builder(counting(1000))
        .on_progress_update(move |p| s.borrow_mut().push(p))
        .build();
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", || task.status() == Status::Finished);
    assert_eq!(*seen.borrow(), (0..1000).collect::<Vec<_>>());
}

/// Stepped on a `ManualExecutor`: the whole background step runs before the
/// UI dispatches anything, so the queue length is exact, not a bound.
#[cfg(feature = "test-util")]
#[test]
fn p6_latest_policy_keeps_at_most_one_pending_ui_message() {
    let ui = Ui::new();
    let exec = looper_asynctask::executor::ManualExecutor::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::new(RefCell::new(Vec::new()));
    let (s, l) = (seen.clone(), log.clone());
    let task = AsyncTask::builder(counting(N))
        .progress_policy(ProgressPolicy::Latest)
        .on_progress_update(move |p| s.borrow_mut().push(p))
        .on_post_execute(move |r| l.borrow_mut().push(r))
        .build();
    task.execute_on(&exec, ()).unwrap();
    assert!(exec.run_next(), "all published without the UI running");
    assert_eq!(task.try_result().map(Result::unwrap), Some(N));
    assert_eq!(
        ui.local.looper().pending_count(),
        2,
        "{N} publishes leave one progress message, plus the final one"
    );
    assert_eq!(ui.local.dispatch_pending(), 2);
    assert_eq!(task.status(), Status::Finished);
    assert_eq!(
        *seen.borrow(),
        [N - 1],
        "only the latest value, delivered once"
    );
    assert_eq!(*log.borrow(), [N]);
}

#[test]
fn p6_latest_policy_delivers_increasing_values_ending_with_the_last_while_ui_runs() {
    let ui = Ui::new();
    let pool = pool();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let done_at = Rc::new(RefCell::new(None));
    let (s, s2, d) = (seen.clone(), seen.clone(), done_at.clone());
    let task = AsyncTask::builder(counting(N))
        .progress_policy(ProgressPolicy::Latest)
        .on_progress_update(move |p| s.borrow_mut().push(p))
        .on_post_execute(move |_| *d.borrow_mut() = Some(s2.borrow().len()))
        .build();
    task.execute_on(&pool, ()).unwrap();
    ui.run_until("finish", || task.status() == Status::Finished);
    let seen = seen.borrow();
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "values arrive in publish order"
    );
    assert_eq!(
        seen.last(),
        Some(&(N - 1)),
        "the last value is always delivered"
    );
    assert_eq!(
        *done_at.borrow(),
        Some(seen.len()),
        "…before on_post_execute"
    );
}

/// Stepped on a `ManualExecutor`, like the latest-policy test above.
#[cfg(feature = "test-util")]
#[test]
fn batches_deliver_every_value_in_order_in_few_messages() {
    let ui = Ui::new();
    let exec = looper_asynctask::executor::ManualExecutor::new();
    let batches = Rc::new(RefCell::new(Vec::new()));
    let b = batches.clone();
    let task = AsyncTask::builder(counting(N))
        .on_progress_batch(move |v| b.borrow_mut().push(v))
        .build();
    task.execute_on(&exec, ()).unwrap();
    assert!(exec.run_next());
    assert_eq!(
        ui.local.looper().pending_count(),
        2,
        "one batch message for {N} values, plus the final one"
    );
    assert_eq!(ui.local.dispatch_pending(), 2);
    assert_eq!(task.status(), Status::Finished);
    let batches = batches.borrow();
    let all: Vec<u32> = batches.iter().flatten().copied().collect();
    assert_eq!(
        all,
        (0..N).collect::<Vec<_>>(),
        "nothing lost, nothing reordered"
    );
    assert_eq!(batches.len(), 1, "a single batch");
}

#[test]
fn a6_coalesced_progress_before_cancel_is_still_delivered() {
    let ui = Ui::new();
    let pool = pool();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let cancelled = Rc::new(RefCell::new(false));
    let (s, c) = (seen.clone(), cancelled.clone());
    let (published_tx, published_rx) = crossbeam_channel::bounded(1);
    let (go_tx, go_rx) = crossbeam_channel::bounded::<()>(1);
    let task = AsyncTask::builder(move |(), ctx: &Context<u32>| {
        ctx.publish_progress(1);
        published_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        ctx.publish_progress(2);
        Ok(())
    })
    .progress_policy(ProgressPolicy::Latest)
    .on_progress_update(move |p| s.borrow_mut().push(p))
    .on_cancelled(move |_| *c.borrow_mut() = true)
    .build();
    task.execute_on(&pool, ()).unwrap();
    published_rx.recv().unwrap();
    task.cancel(false);
    go_tx.send(()).unwrap();
    ui.run_until("finish", || task.status() == Status::Finished);
    assert_eq!(*seen.borrow(), [1]);
    assert!(*cancelled.borrow());
}
