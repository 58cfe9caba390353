//! Idle handlers (SEMANTICS Q8, P18) and sync barriers (Q9, P14).

mod common;

use common::{capture_tracing, manual_looper, Log};
use looper::{BarrierError, Budget, Job, Next, Schedule};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

fn counter() -> (Arc<AtomicUsize>, impl Fn() -> usize) {
    let c = Arc::new(AtomicUsize::new(0));
    let r = c.clone();
    (c, move || r.load(SeqCst))
}

#[test]
fn q8_idle_handler_runs_once_per_idle_period_in_pump() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let (c, count) = counter();
    looper.add_idle_handler(move || {
        c.fetch_add(1, SeqCst);
        true
    });
    local.dispatch_pending();
    assert_eq!(count(), 1, "Q8: ran when the pump found nothing left");
    for _ in 0..5 {
        local.dispatch_pending();
    }
    assert_eq!(
        count(),
        1,
        "P18: a host pumping every frame does not spin it"
    );
    looper.post(|| ()).unwrap();
    local.dispatch_pending();
    assert_eq!(count(), 2, "Q8: a dispatch starts a new idle period");
}

#[test]
fn q8_idle_handler_runs_once_per_wait_in_run() {
    let (tx, rx) = mpsc::channel::<usize>();
    let (htx, hrx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let (local, clock) = manual_looper();
        let n = Arc::new(AtomicUsize::new(0));
        local.add_idle_handler(move || {
            tx.send(n.fetch_add(1, SeqCst) + 1).unwrap();
            true
        });
        htx.send((local.looper(), clock)).unwrap();
        local.run();
    });
    let (looper, clock) = hrx.recv().unwrap();
    assert_eq!(rx.recv().unwrap(), 1, "Q8: ran before the first block");
    // Wake-ups that deliver nothing (a delayed post, a clock move short of
    // it, a removal) stay in the same idle period.
    let token = looper.post_delayed(|| (), 10 * MS).unwrap();
    clock.advance(MS);
    assert!(looper.remove(token));
    let (dtx, drx) = mpsc::channel();
    looper.post(move || dtx.send(()).unwrap()).unwrap();
    drx.recv().unwrap();
    assert_eq!(
        rx.recv().unwrap(),
        2,
        "Q8: the next idle period after a dispatch"
    );
    looper.quit().unwrap();
    worker.join().unwrap();
    assert_eq!(
        rx.try_recv().ok(),
        None,
        "P18: once per idle period, no spinning"
    );
}

#[test]
fn q8_returning_false_removes_the_handler_and_remove_works() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let (c, count) = counter();
    looper.add_idle_handler(move || {
        c.fetch_add(1, SeqCst);
        false
    });
    let (c2, count2) = counter();
    let id = looper.add_idle_handler(move || {
        c2.fetch_add(1, SeqCst);
        true
    });
    local.dispatch_pending();
    looper.post(|| ()).unwrap();
    local.dispatch_pending();
    assert_eq!(count(), 1, "Q8: false removes the handler");
    assert_eq!(count2(), 2, "Q8: true keeps it");
    assert!(looper.remove_idle_handler(id));
    assert!(
        !looper.remove_idle_handler(id),
        "second removal reports false"
    );
    looper.post(|| ()).unwrap();
    local.dispatch_pending();
    assert_eq!(count2(), 2, "a removed handler does not run");
}

#[test]
fn q8_local_idle_handler_may_capture_non_send_state() {
    let (local, _clock) = manual_looper();
    let hits = std::rc::Rc::new(std::cell::Cell::new(0));
    let h = hits.clone();
    let id = local.add_idle_handler(move || {
        h.set(h.get() + 1);
        true
    });
    local.dispatch_pending();
    assert_eq!(hits.get(), 1);
    assert!(
        local.looper().remove_idle_handler(id),
        "removable on the looper thread"
    );
}

#[test]
fn q8_panicking_idle_handler_is_logged_and_removed() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let (c, count) = counter();
    looper.add_idle_handler(move || {
        c.fetch_add(1, SeqCst);
        panic!("idle boom")
    });
    let (_, logs) = capture_tracing(|| local.dispatch_pending());
    assert!(
        logs.contains("idle handler panicked") && logs.contains("idle boom"),
        "{logs}"
    );
    looper.post(|| ()).unwrap();
    local.dispatch_pending();
    assert_eq!(count(), 1, "Q8: a panicking handler is removed");
}

#[test]
fn q8_idle_handler_that_posts_is_followed_by_a_recheck() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let (lo, l) = (looper.clone(), log.clone());
    let mut once = true;
    looper.add_idle_handler(move || {
        if std::mem::take(&mut once) {
            lo.post(l.rec("posted by idle")).unwrap();
        }
        true
    });
    let pump = local.pump(Budget::unlimited());
    assert_eq!(
        pump.next,
        Next::Now,
        "Q8: the queue is re-checked after idle handlers"
    );
    local.dispatch_pending();
    assert_eq!(log.get(), ["posted by idle"]);
}

#[test]
fn q8_p14_idle_handlers_do_not_run_while_stalled_by_a_barrier() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let (c, count) = counter();
    looper.add_idle_handler(move || {
        c.fetch_add(1, SeqCst);
        true
    });
    let barrier = looper.post_sync_barrier().unwrap();
    looper.post(|| ()).unwrap();
    let pump = local.pump(Budget::unlimited());
    assert_eq!(pump.dispatched, 0);
    assert_eq!(pump.next, Next::Idle, "stalled with no async message");
    assert_eq!(
        count(),
        0,
        "Q8: no idle handlers while a due barrier stalls the queue"
    );
    assert!(
        !looper.is_idle(),
        "Q7/P14: a stalled queue is not idle (as in Android)"
    );
    looper.remove_sync_barrier(barrier).unwrap();
    local.dispatch_pending();
    assert_eq!(count(), 1);
}

#[test]
fn q9_barrier_stalls_sync_while_async_flows_in_due_order() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(log.rec("sync before")).unwrap();
    let barrier = looper.post_sync_barrier().unwrap();
    looper.post(log.rec("sync after")).unwrap();
    let asy = |v| Job::closure(log.rec(v)).asynchronous(true);
    looper
        .enqueue(asy("async@5"), Schedule::Delayed(5 * MS))
        .unwrap();
    looper.enqueue(asy("async@0"), Schedule::Now).unwrap();
    local.dispatch_pending();
    assert_eq!(
        log.take(),
        ["sync before", "async@0"],
        "Q9: only async passes"
    );
    assert_eq!(
        local.pump(Budget::unlimited()).next,
        Next::At(looper.now() + 5 * MS)
    );
    clock.advance(5 * MS);
    local.dispatch_pending();
    assert_eq!(log.take(), ["async@5"], "Q9: async delivered in when order");
    looper.remove_sync_barrier(barrier).unwrap();
    local.dispatch_pending();
    assert_eq!(
        log.take(),
        ["sync after"],
        "Q9: removal releases the stalled message"
    );
}

#[test]
fn q9_future_barrier_lets_earlier_messages_run() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    clock.advance(MS);
    looper.post(log.rec("before")).unwrap();
    let b = looper.post_sync_barrier().unwrap();
    looper.post_delayed(log.rec("after"), MS).unwrap();
    clock.advance(MS);
    local.dispatch_pending();
    assert_eq!(log.take(), ["before"]);
    looper.remove_sync_barrier(b).unwrap();
    local.dispatch_pending();
    assert_eq!(log.take(), ["after"]);
}

#[test]
fn q9_barrier_tokens_count_up_and_double_removal_is_an_error() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let b0 = looper.post_sync_barrier().unwrap();
    let b1 = looper.post_sync_barrier().unwrap();
    assert_eq!((b0.get(), b1.get()), (0, 1), "Q9: tokens count up from 0");
    assert_eq!(looper.pending_count(), 2, "barriers count as pending");
    looper.remove_sync_barrier(b0).unwrap();
    let err: BarrierError = looper.remove_sync_barrier(b0).unwrap_err();
    assert!(
        err.to_string()
            .contains("synchronization  barrier token has not been posted"),
        "Q9: Android's message (two spaces): {err}"
    );
    looper.remove_sync_barrier(b1).unwrap();
    assert_eq!(local.dispatch_pending(), 0);
}

#[test]
fn q9_quit_safely_with_a_due_barrier_drops_the_stalled_messages() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(log.rec("before")).unwrap();
    let b = looper.post_sync_barrier().unwrap();
    looper.post(log.rec("stalled")).unwrap();
    looper
        .enqueue(
            Job::closure(log.rec("async")).asynchronous(true),
            Schedule::Now,
        )
        .unwrap();
    looper.quit_safely().unwrap();
    local.run(); // must return, not hang on the barrier (P14)
    assert_eq!(
        log.get(),
        ["before", "async"],
        "L8+Q9: stalled sync messages are dropped"
    );
    assert_eq!(looper.pending_count(), 0);
    assert!(
        looper.remove_sync_barrier(b).is_err(),
        "the barrier went with the quit"
    );
}

#[test]
fn q8_idle_handler_that_pumps_the_looper_does_not_reenter_itself() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let (c, count) = counter();
    let lo = looper.clone();
    looper.add_idle_handler(move || {
        c.fetch_add(1, SeqCst);
        // Post and pump from inside the handler: the nested pump dispatches
        // and would run the idle handlers again, this one included.
        lo.post(|| ()).unwrap();
        looper::LocalLooper::current().unwrap().dispatch_pending();
        false
    });
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| local.dispatch_pending()));
    assert!(r.is_ok(), "no RefCell/mutex re-entry panic");
    assert_eq!(
        count(),
        1,
        "the running handler was skipped by the nested pump"
    );
}
