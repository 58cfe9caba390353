//! Queue ordering and removal: SEMANTICS Q1-Q7 (Q8/Q9 in
//! `idle_and_barriers.rs`).
//!
//! Q6 (a message enqueued twice, or without a target) is impossible by
//! construction: `enqueue` takes the `Job` by value, so a second enqueue of
//! the same job is a use-after-move compile error (see the `compile_fail`
//! doctest on `looper::Job`), and every job carries its own dispatch code.

mod common;

use common::{manual_looper, Log};
use looper::{Job, Looper, Schedule};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

#[test]
fn q1_delay_is_measured_on_the_looper_clock() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post_delayed(log.rec("10ms"), 10 * MS).unwrap();
    looper
        .post_delayed(log.rec("zero delay"), Duration::ZERO)
        .unwrap();
    assert_eq!(
        local.dispatch_pending(),
        1,
        "Q1: a zero delay is due at once"
    );
    clock.advance(9 * MS);
    assert_eq!(local.dispatch_pending(), 0, "Q1: not due 1 ms early");
    clock.advance(MS);
    assert_eq!(
        local.dispatch_pending(),
        1,
        "Q1: due exactly at now + delay"
    );
    assert_eq!(log.get(), ["zero delay", "10ms"]);
}

#[test]
fn q2_ascending_due_time_and_fifo_ties() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let t0 = looper.now();
    looper.post_delayed(log.rec("b@20"), 20 * MS).unwrap();
    looper.post_at(log.rec("a@10"), t0 + 10 * MS).unwrap();
    looper.post_delayed(log.rec("c@20"), 20 * MS).unwrap();
    looper.post_at(log.rec("d@20"), t0 + 20 * MS).unwrap();
    looper.post(log.rec("now1")).unwrap();
    looper
        .post_delayed(log.rec("now2"), Duration::ZERO)
        .unwrap();
    looper.post_at(log.rec("now3"), t0).unwrap();
    clock.advance(20 * MS);
    local.dispatch_pending();
    assert_eq!(
        log.get(),
        ["now1", "now2", "now3", "a@10", "b@20", "c@20", "d@20"],
        "Q2: by due time, then by post order"
    );
}

#[test]
fn q3_front_posts_run_lifo_before_everything_due() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(log.rec("due")).unwrap();
    looper
        .post_at(log.rec("past"), looper.now() - 5 * MS)
        .unwrap();
    looper.post_at_front(log.rec("front1")).unwrap();
    looper.post_at_front(log.rec("front2")).unwrap();
    local
        .post_at_front({
            let l = log.clone();
            move || l.push("front3 (local)")
        })
        .unwrap();
    clock.advance(MS);
    local.dispatch_pending();
    assert_eq!(
        log.get(),
        ["front3 (local)", "front2", "front1", "past", "due"],
        "Q3: front posts LIFO, ahead of already-due messages"
    );
}

#[test]
fn q4_schedule_front_through_enqueue_is_front_of_queue() {
    // Android's `sendMessageAtTime(m, 0)`: there is no "time 0" Instant in
    // Rust, so Q4 is `Schedule::Front`, the same code path as post_at_front.
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(log.rec("queued")).unwrap();
    looper
        .enqueue(Job::closure(log.rec("front")), Schedule::Front)
        .unwrap();
    local.dispatch_pending();
    assert_eq!(log.get(), ["front", "queued"], "Q4");
}

#[test]
fn q5_run_blocks_until_the_head_is_due_on_the_manual_clock() {
    let (tx, rx) = mpsc::channel();
    let (htx, hrx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let (local, clock) = manual_looper();
        htx.send((local.looper(), clock)).unwrap();
        local.run();
    });
    let (looper, clock) = hrx.recv().unwrap();
    let t = tx.clone();
    looper
        .post_delayed(move || t.send("delayed@10").unwrap(), 10 * MS)
        .unwrap();
    clock.advance(5 * MS);
    // Posted at 5 ms, due at once: must overtake the message due at 10 ms.
    let t = tx.clone();
    looper.post(move || t.send("marker@5").unwrap()).unwrap();
    assert_eq!(
        rx.recv().unwrap(),
        "marker@5",
        "Q5: the 10 ms message is not due yet"
    );
    clock.advance(5 * MS);
    assert_eq!(
        rx.recv().unwrap(),
        "delayed@10",
        "Q5: the clock advance woke the looper"
    );
    looper.quit().unwrap();
    worker.join().unwrap();
}

#[test]
fn q7_is_idle_iff_empty_or_head_in_the_future() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    assert!(looper.is_idle(), "Q7: empty queue is idle");
    looper.post_delayed(|| (), 10 * MS).unwrap();
    assert!(looper.is_idle(), "Q7: head in the future is idle");
    clock.advance(10 * MS);
    assert!(!looper.is_idle(), "Q7: head due is not idle");
    local.dispatch_pending();
    assert!(looper.is_idle());
    let l = looper.clone();
    let from_other_thread = thread::spawn(move || l.is_idle()).join().unwrap();
    assert!(from_other_thread, "Q7: callable from any thread");
}

#[test]
fn removal_by_token_is_exact_and_effective_at_return() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let a = looper.post(log.rec("a")).unwrap();
    let b = looper.post_delayed(log.rec("b"), 5 * MS).unwrap();
    let c = looper.post_at_front(log.rec("c")).unwrap();
    assert!(a.sequence() < b.sequence() && b.sequence() < c.sequence());
    assert!(looper.contains(b));
    assert!(looper.remove(b), "removing a pending job");
    assert!(!looper.contains(b));
    let taken = looper.take(c).expect("take hands the job back");
    assert!(taken.is_closure());
    clock.advance(10 * MS);
    local.dispatch_pending();
    assert_eq!(log.get(), ["a"], "removed jobs never run");
    assert!(!looper.remove(a), "a job that ran is not found");
}

#[test]
fn removal_by_predicate_and_any() {
    struct Tagged(u32);
    impl looper::Dispatch for Tagged {
        fn dispatch(self: Box<Self>) {}
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send> {
            self
        }
    }
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    for i in 0..6 {
        looper
            .enqueue(Job::message(Box::new(Tagged(i))), Schedule::Now)
            .unwrap();
    }
    looper.post(|| ()).unwrap();
    let is_even = |j: &Job| {
        j.as_dispatch()
            .and_then(|d| d.as_any().downcast_ref::<Tagged>())
            .is_some_and(|t| t.0 % 2 == 0)
    };
    assert!(looper.any(is_even));
    assert_eq!(looper.remove_if(is_even), 3, "three even messages removed");
    assert!(!looper.any(is_even), "effective when remove_if returns");
    assert_eq!(looper.pending_count(), 4);
    let barrier = looper.post_sync_barrier().unwrap();
    assert_eq!(
        looper.remove_if(|_| true),
        4,
        "predicates never see barriers"
    );
    assert_eq!(looper.pending_count(), 1, "the barrier stays");
    looper.remove_sync_barrier(barrier).unwrap();
    assert_eq!(local.dispatch_pending(), 0);
}

#[test]
fn next_due_reports_the_head() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    assert_eq!(looper.next_due(), None, "empty");
    let t0 = looper.now();
    looper.post_delayed(|| (), 30 * MS).unwrap();
    looper.post_delayed(|| (), 20 * MS).unwrap();
    assert_eq!(looper.next_due(), Some(t0 + 20 * MS));
    clock.advance(25 * MS);
    assert_eq!(
        looper.next_due(),
        Some(looper.now()),
        "due now reads as now"
    );
    assert_eq!(local.next_deadline(), looper.next_due());
    let _ = Looper::current();
}
