//! Looper lifecycle: SEMANTICS L1-L11 (L12 message logging is replaced by the
//! per-dispatch tracing span, tested in `observability.rs`; L13 is dropped).

mod common;

use common::{manual_looper, Log};
use looper::{run_current, LocalLooper, Looper, LooperError, PanicPolicy};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

#[test]
fn l1_second_prepare_on_a_thread_is_already_prepared() {
    let first = Looper::prepare().expect("first prepare on a fresh thread");
    let second = Looper::prepare();
    assert_eq!(
        second.unwrap_err(),
        LooperError::AlreadyPrepared,
        "L1: one looper per thread"
    );
    assert_eq!(
        LooperError::AlreadyPrepared.to_string(),
        "Only one Looper may be created per thread"
    );
    assert_eq!(
        Looper::current(),
        Some(first.looper()),
        "the first looper stays current"
    );
}

#[test]
fn l2_current_is_none_before_prepare_and_stays_after_run() {
    assert!(Looper::current().is_none(), "L2: no looper before prepare");
    assert!(LocalLooper::current().is_none());
    let local = Looper::prepare().unwrap();
    let looper = local.looper();
    looper.quit().unwrap();
    local.run();
    assert_eq!(
        Looper::current(),
        Some(looper),
        "L2: current() survives run() returning"
    );
}

#[test]
fn l3_no_looper_on_a_fresh_thread_is_none_not_a_panic() {
    let (none, err) = thread::spawn(|| (Looper::current().is_none(), run_current()))
        .join()
        .expect("no panic on a thread without a looper");
    assert!(
        none,
        "L3: current() is None on a thread that never prepared"
    );
    assert_eq!(
        err,
        Err(LooperError::NoLooper),
        "L6: run_current without prepare"
    );
}

/// L4 and L5 share the process-wide main slot, so they live in one test.
#[test]
fn l4_l5_main_looper_slot_is_set_once_and_may_not_quit() {
    thread::spawn(|| {
        let main = Looper::prepare_main().expect("first prepare_main in this process");
        assert_eq!(Looper::main(), Some(main.looper()), "L4: main() returns it");
        assert!(Looper::main().unwrap().is_current_thread());
        assert_eq!(main.looper().quit(), Err(LooperError::QuitNotAllowed), "L5");
        assert_eq!(
            main.looper().quit_safely(),
            Err(LooperError::QuitNotAllowed),
            "L5"
        );
        assert!(
            !main.looper().is_quitting(),
            "a refused quit changes nothing"
        );
        assert_eq!(
            LooperError::QuitNotAllowed.to_string(),
            "Main thread not allowed to quit."
        );
        // Still accepts work after the refused quit.
        let log = Log::new();
        main.looper().post(log.rec(1)).unwrap();
        assert_eq!(main.dispatch_pending(), 1);
        assert_eq!(log.get(), [1]);
    })
    .join()
    .unwrap();
    let again = thread::spawn(|| Looper::prepare_main().map(|_| ()))
        .join()
        .unwrap();
    assert_eq!(
        again,
        Err(LooperError::MainAlreadyPrepared),
        "L4: second prepare_main"
    );
    #[cfg(feature = "test-util")]
    {
        let old = Looper::main().unwrap();
        Looper::clear_main_for_test();
        assert!(
            Looper::main().is_none(),
            "L4: the test reset empties the slot"
        );
        let new = thread::spawn(|| Looper::prepare_main().map(|l| l.looper()))
            .join()
            .unwrap()
            .expect("prepare_main works again after clear_main_for_test");
        assert_ne!(new, old);
        assert_eq!(Looper::main(), Some(new));
    }
}

#[test]
fn l6_run_without_prepare_is_no_looper() {
    assert_eq!(run_current(), Err(LooperError::NoLooper), "L6");
}

#[test]
fn l6_nested_run_dispatches_later_messages_before_the_outer_one_finishes() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let (l, lo) = (log.clone(), looper.clone());
    looper
        .post(move || {
            l.push("outer start");
            // Nested loop: runs "inner" and then the quit, and returns.
            LocalLooper::current().unwrap().run();
            l.push("outer end");
        })
        .unwrap();
    looper.post(log.rec("inner")).unwrap();
    looper.post(move || lo.quit_safely().unwrap()).unwrap();
    local.run();
    assert_eq!(
        log.get(),
        ["outer start", "inner", "outer end"],
        "L6: nesting allowed"
    );
}

#[test]
fn l7_panic_propagates_out_of_run_and_the_looper_runs_again() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(log.rec(1)).unwrap();
    looper.post(|| panic!("boom")).unwrap();
    looper.post(log.rec(2)).unwrap();
    let lo = looper.clone();
    looper.post(move || lo.quit_safely().unwrap()).unwrap();
    let err = catch_unwind(AssertUnwindSafe(|| local.run())).expect_err("L7: the panic unwinds");
    assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(
        log.get(),
        [1],
        "nothing after the panicking message ran yet"
    );
    assert_eq!(looper.pending_count(), 2, "L7: the rest of the queue stays");
    local.run();
    assert_eq!(log.get(), [1, 2], "L7: the looper runs again after a panic");
}

#[test]
fn l7_panic_propagates_out_of_pump_and_the_queue_stays() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(|| panic!("pump boom")).unwrap();
    looper.post(log.rec("after")).unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| local.dispatch_pending()));
    assert!(r.is_err(), "L7: the panic unwinds out of pump");
    assert_eq!(looper.pending_count(), 1);
    assert_eq!(local.dispatch_pending(), 1);
    assert_eq!(log.get(), ["after"]);
}

#[test]
fn l7_catch_and_log_continues_with_the_next_message() {
    let local = looper::LooperBuilder::new()
        .clock(looper::ManualClock::new())
        .panic_policy(PanicPolicy::CatchAndLog)
        .prepare()
        .unwrap();
    let looper = local.looper();
    let log = Log::new();
    looper.post(|| panic!("caught")).unwrap();
    looper.post(log.rec("next")).unwrap();
    let lo = looper.clone();
    looper.post(move || lo.quit_safely().unwrap()).unwrap();
    local.run();
    assert_eq!(log.get(), ["next"], "L7 CatchAndLog: the loop went on");
}

#[test]
fn l8_quit_drops_everything_pending() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(log.rec("due")).unwrap();
    looper
        .post_delayed(log.rec("later"), Duration::from_secs(1))
        .unwrap();
    looper.quit().unwrap();
    assert_eq!(
        looper.pending_count(),
        0,
        "L8: quit removes all pending messages"
    );
    local.run();
    assert!(log.get().is_empty(), "L8: nothing runs after quit");
}

#[test]
fn l8_quit_safely_delivers_due_and_drops_future_judged_at_the_call() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(log.rec("due")).unwrap();
    looper.post_at_front(log.rec("front")).unwrap();
    looper
        .post_delayed(log.rec("later"), Duration::from_millis(10))
        .unwrap();
    looper.quit_safely().unwrap();
    // Time moving after the call does not rescue the dropped message.
    clock.advance(Duration::from_secs(1));
    local.run();
    assert_eq!(
        log.get(),
        ["front", "due"],
        "L8: only already-due messages delivered"
    );
    assert_eq!(looper.pending_count(), 0);
}

#[test]
fn l8_first_quit_wins_later_calls_are_no_ops() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(log.rec("due")).unwrap();
    looper.quit_safely().unwrap();
    assert_eq!(
        looper.quit(),
        Ok(()),
        "L8: a second quit is a no-op, not an error"
    );
    assert_eq!(
        looper.pending_count(),
        1,
        "the later quit() did not drop the due message"
    );
    local.run();
    assert_eq!(log.get(), ["due"]);
}

#[test]
fn l9_post_after_quit_hands_the_job_back() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    looper.quit().unwrap();
    let (tx, rx) = mpsc::channel();
    let rejected = looper.post(move || tx.send("ran").unwrap()).unwrap_err();
    assert!(rejected.to_string().contains("dead thread"), "{rejected}");
    let f = rejected
        .into_job()
        .into_closure()
        .expect("L9: the closure comes back");
    f();
    assert_eq!(
        rx.try_recv(),
        Ok("ran"),
        "the returned closure is the one posted"
    );
    let rc = std::rc::Rc::new(std::cell::Cell::new(0));
    let r = rc.clone();
    let local_rejected = local.post(move || r.set(7)).unwrap_err();
    (local_rejected.into_inner())();
    assert_eq!(rc.get(), 7, "L9: local (!Send) posts come back too");
    assert!(
        looper.post_sync_barrier().is_err(),
        "no barrier on a quit looper"
    );
}

#[test]
fn l9_posts_made_during_a_quit_safely_drain_are_rejected() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let (lo, l) = (looper.clone(), log.clone());
    looper
        .post(move || {
            let back = lo.post(l.rec("posted during drain")).unwrap_err();
            l.push("drain ran");
            // Run it ourselves: the rejection gave it back.
            (back.into_job().into_closure().unwrap())();
        })
        .unwrap();
    looper.quit_safely().unwrap();
    local.run();
    assert_eq!(
        log.get(),
        ["drain ran", "posted during drain"],
        "L9 during the drain"
    );
}

#[test]
fn l10_a_quit_looper_cannot_restart() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    looper.quit().unwrap();
    local.run();
    local.run(); // returns at once (L10)
    assert_eq!(
        local.pump(looper::Budget::unlimited()).next,
        looper::Next::Quit
    );
    assert!(looper.post(|| ()).is_err(), "L10: still refusing work");
    assert!(looper.is_quitting());
}

#[test]
fn l11_thread_identity() {
    let local = Looper::prepare().unwrap();
    let looper = local.looper();
    assert!(looper.is_current_thread(), "L11: true on the looper thread");
    assert_eq!(looper.thread_id(), thread::current().id());
    let l = looper.clone();
    let other = thread::spawn(move || l.is_current_thread()).join().unwrap();
    assert!(!other, "L11: false on another thread");
}

#[test]
fn l9_a_looper_whose_thread_exited_rejects_posts() {
    let (tx, rx) = mpsc::channel();
    let looper = thread::spawn(move || {
        let local = Looper::prepare().unwrap();
        local
            .looper()
            .post_delayed(move || tx.send(()).unwrap(), Duration::from_secs(1))
            .unwrap();
        local.looper()
    })
    .join()
    .unwrap();
    assert!(looper.is_quitting(), "the thread's exit quit its looper");
    assert_eq!(looper.pending_count(), 0, "pending jobs were dropped");
    assert!(rx.recv().is_err(), "the dropped job's sender is gone");
    assert!(
        looper.post(|| ()).is_err(),
        "L9: posts to a dead thread come back"
    );
}
