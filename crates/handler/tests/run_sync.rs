//! `run_sync` (H8 adapted, with the hang fixed) and `execute_or_send_message`
//! (H9).

use looper::{Looper, LooperBuilder, ManualClock, PanicPolicy};
use looper_handler::{Delivery, Handler, HandlerThread, RunSyncError};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Spins (yielding) until `cond` holds; panics after a generous bound.
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::yield_now();
    }
}

#[test]
fn h8_runs_inline_on_the_loopers_own_thread() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    let value = h.run_sync(|| 7, Some(Duration::ZERO)).unwrap();
    assert_eq!(value, 7, "H8: inline, even with a zero timeout");
    assert_eq!(local.dispatch_pending(), 0, "H8: nothing was queued");
}

#[test]
fn h8_inline_inside_a_message_never_deadlocks() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    let inner = h.clone();
    let got = Arc::new(std::sync::Mutex::new(None));
    let g = got.clone();
    h.post(move || *g.lock().unwrap() = Some(inner.run_sync(|| "nested", None)))
        .unwrap();
    local.dispatch_pending();
    assert_eq!(
        *got.lock().unwrap(),
        Some(Ok("nested")),
        "H8: run_sync from the looper thread runs inline"
    );
}

#[test]
fn h8_returns_the_value_computed_on_the_looper_thread() {
    let thread = HandlerThread::spawn("h8-worker").unwrap();
    let looper_thread = thread.thread_id().unwrap();
    let ran_on = thread
        .handler()
        .run_sync(|| std::thread::current().id(), None)
        .unwrap();
    assert_eq!(
        ran_on, looper_thread,
        "H8: the closure ran on the looper thread"
    );
    assert!(thread.quit());
    thread.join().unwrap();
}

#[test]
fn h8_quit_before_the_post_fails_at_once() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    local.looper().quit().unwrap();
    let err = std::thread::spawn(move || h.run_sync(|| (), None).unwrap_err())
        .join()
        .unwrap();
    assert_eq!(
        err,
        RunSyncError::Quit,
        "H8: refused post is an error, not a wait"
    );
}

#[test]
fn h8_quit_while_queued_wakes_the_waiter_instead_of_hanging() {
    let local = Looper::prepare().unwrap();
    let looper = local.looper();
    let h = Handler::new(&looper);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let waiter = {
        let h = h.clone();
        std::thread::spawn(move || h.run_sync(move || r.store(true, Ordering::SeqCst), None))
    };
    wait_until("the run_sync post", || h.has_messages_or_callbacks());
    looper.quit().unwrap(); // drops the queued closure and its reply sender
    assert_eq!(
        waiter.join().unwrap(),
        Err(RunSyncError::Dropped),
        "H8 fixed: the waiter learns the closure was dropped"
    );
    assert!(!ran.load(Ordering::SeqCst), "the closure never ran");
}

#[test]
fn h8_timeout_removes_a_closure_that_has_not_started() {
    let clock = ManualClock::new(); // the looper is never pumped during the wait
    let local = LooperBuilder::new().clock(clock).prepare().unwrap();
    let h = Handler::new(&local.looper());
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let h2 = h.clone();
    let result = std::thread::spawn(move || {
        h2.run_sync(
            move || r.store(true, Ordering::SeqCst),
            Some(Duration::from_millis(5)),
        )
    })
    .join()
    .unwrap();
    assert_eq!(
        result,
        Err(RunSyncError::Timeout),
        "H8: timeout is an error"
    );
    assert_eq!(
        local.dispatch_pending(),
        0,
        "the timed-out closure was removed"
    );
    assert!(!ran.load(Ordering::SeqCst), "and never runs");
}

#[test]
fn h8_a_panic_is_reported_to_the_waiter_and_the_looper_keeps_its_policy() {
    let (thread, ()) = HandlerThread::builder("h8-panic")
        .looper(LooperBuilder::new().panic_policy(PanicPolicy::CatchAndLog))
        .spawn_with(|_| ())
        .unwrap();
    let err = thread
        .handler()
        .run_sync(|| -> u8 { panic!("inside run_sync") }, None)
        .unwrap_err();
    assert_eq!(
        err,
        RunSyncError::Panicked,
        "H8: the waiter hears about the panic"
    );
    let after = thread.handler().run_sync(|| 1, None);
    assert_eq!(after, Ok(1), "CatchAndLog kept the looper running");
    thread.quit();
    thread.join().unwrap();
}

#[test]
fn h9_execute_or_send_dispatches_inline_on_the_looper_thread() {
    let local = Looper::prepare().unwrap();
    let seen = Rc::new(Cell::new(0));
    let s = seen.clone();
    let h = Handler::builder(&local)
        .handle_message(move |m| s.set(m.what))
        .build();
    let how = h.execute_or_send_message(h.obtain_message(3)).unwrap();
    assert_eq!(how, Delivery::Inline, "H9: inline on the looper thread");
    assert_eq!(seen.get(), 3, "H9: delivered before returning");
    assert_eq!(local.dispatch_pending(), 0, "nothing queued");
}

#[test]
fn h9_execute_or_send_queues_from_another_thread() {
    let local = Looper::prepare().unwrap();
    let seen = Rc::new(Cell::new(0));
    let s = seen.clone();
    let h = Handler::builder(&local)
        .handle_message(move |m| s.set(m.what))
        .build();
    let h2 = h.clone();
    let how = std::thread::spawn(move || h2.execute_or_send_message(h2.obtain_message(6)).unwrap())
        .join()
        .unwrap();
    assert!(
        matches!(how, Delivery::Queued(_)),
        "H9: queued off the looper thread"
    );
    assert_eq!(seen.get(), 0, "not yet delivered");
    local.dispatch_pending();
    assert_eq!(seen.get(), 6, "H9: delivered by the loop");
}
