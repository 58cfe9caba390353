//! The `test-util` stepping helpers (issue 5, looper part; SEMANTICS X4).
#![cfg(feature = "test-util")]

mod common;

use common::{manual_looper, Log};
use looper::{Clock, Looper, StepError, RUNAWAY_LIMIT};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

#[test]
fn x4_delayed_chain_advanced_by_250ms_runs_both_at_their_due_times() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let start = clock.now();
    let log: Log<(&str, Duration)> = Log::new();
    let (lo, l) = (looper.clone(), log.clone());
    looper
        .post_delayed(
            move || {
                l.push(("first", lo.now() - start));
                let (lo2, l2) = (lo.clone(), l.clone());
                lo.post_delayed(move || l2.push(("second", lo2.now() - start)), 100 * MS)
                    .unwrap();
            },
            100 * MS,
        )
        .unwrap();
    assert_eq!(local.advance_by(250 * MS), Ok(2));
    assert_eq!(
        log.get(),
        [("first", 100 * MS), ("second", 200 * MS)],
        "each link ran at its own due time, in order"
    );
    assert_eq!(
        clock.now() - start,
        250 * MS,
        "the clock ends exactly at start + 250 ms"
    );
    assert_eq!(local.pending_count(), 0);
}

#[test]
fn x4_advance_by_leaves_later_messages_pending_and_includes_the_boundary() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post_delayed(log.rec("at 10"), 10 * MS).unwrap();
    looper.post_delayed(log.rec("at 11"), 11 * MS).unwrap();
    let start = clock.now();
    assert_eq!(
        local.advance_by(10 * MS),
        Ok(1),
        "a message due exactly at the end runs"
    );
    assert_eq!(log.get(), ["at 10"]);
    assert_eq!(local.next_scheduled_time(), Some(start + 11 * MS));
    assert_eq!(
        local.advance_by(Duration::ZERO),
        Ok(0),
        "zero window runs what is due"
    );
}

#[test]
fn x4_run_due_runs_everything_due_now_without_moving_time() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let (lo, l) = (looper.clone(), log.clone());
    looper
        .post(move || {
            l.push("a");
            lo.post(l.rec("posted by a")).unwrap();
        })
        .unwrap();
    looper.post_delayed(log.rec("later"), MS).unwrap();
    let before = clock.now();
    assert_eq!(local.run_due(), Ok(2));
    assert_eq!(log.get(), ["a", "posted by a"]);
    assert_eq!(clock.now(), before, "virtual time never moves by itself");
}

#[test]
fn x4_run_one_runs_exactly_one() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper.post(log.rec(1)).unwrap();
    looper.post(log.rec(2)).unwrap();
    assert!(local.run_one());
    assert_eq!(log.get(), [1]);
    assert!(local.run_one());
    assert!(!local.run_one(), "nothing left due");
    assert_eq!(log.get(), [1, 2]);
}

#[test]
fn x4_advance_to_next_steps_one_due_time_at_a_time() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let start = clock.now();
    looper.post_delayed(log.rec("b"), 20 * MS).unwrap();
    looper.post_delayed(log.rec("a1"), 10 * MS).unwrap();
    looper.post_delayed(log.rec("a2"), 10 * MS).unwrap();
    assert_eq!(local.advance_to_next(), Ok(Some(start + 10 * MS)));
    assert_eq!(log.get(), ["a1", "a2"], "both due at 10 ms ran");
    assert_eq!(local.advance_to_next(), Ok(Some(start + 20 * MS)));
    assert_eq!(
        local.advance_to_next(),
        Ok(None),
        "nothing scheduled: clock unmoved"
    );
    assert_eq!(clock.now(), start + 20 * MS);
    assert_eq!(log.get(), ["a1", "a2", "b"]);
}

#[test]
fn x4_run_until_idle_advances_through_everything_scheduled() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let start = clock.now();
    looper
        .post_delayed(log.rec("1s"), Duration::from_secs(1))
        .unwrap();
    looper
        .post_delayed(log.rec("5s"), Duration::from_secs(5))
        .unwrap();
    looper
        .post_delayed(log.rec("never"), Duration::MAX)
        .unwrap();
    assert_eq!(
        local.last_scheduled_time(),
        Some(start + Duration::from_secs(5))
    );
    assert_eq!(local.run_until_idle(), Ok(2));
    assert_eq!(log.get(), ["1s", "5s"]);
    assert_eq!(
        clock.now(),
        start + Duration::from_secs(5),
        "stops at the last due time"
    );
    assert_eq!(local.pending_count(), 1, "the never-due job stays pending");
    assert_eq!(local.last_scheduled_time(), None);
    assert_eq!(local.next_scheduled_time(), None);
}

#[test]
fn x4_run_until_idle_fails_on_a_message_that_reposts_itself_forever() {
    fn tick(looper: Looper) {
        let again = looper.clone();
        looper.post_delayed(move || tick(again), MS).unwrap();
    }
    let (local, _clock) = manual_looper();
    tick(local.looper());
    let err = local.run_until_idle().unwrap_err();
    assert_eq!(
        err,
        StepError::Runaway {
            dispatched: RUNAWAY_LIMIT,
            pending: 1
        },
        "bounded instead of looping forever"
    );
    assert!(err.to_string().contains("re-posts itself"), "{err}");
}

#[test]
fn x4_stepping_time_on_a_system_clock_is_an_error_not_a_panic() {
    let local = Looper::prepare().unwrap();
    assert!(local.manual_clock().is_none());
    assert_eq!(local.advance_by(MS), Err(StepError::NotManualClock));
    assert_eq!(local.advance_to_next(), Err(StepError::NotManualClock));
    assert_eq!(local.run_until_idle(), Err(StepError::NotManualClock));
    let msg = StepError::NotManualClock.to_string();
    assert!(msg.contains("ManualClock"), "{msg}");
    local.looper().post(|| ()).unwrap();
    assert_eq!(local.run_due(), Ok(1), "run_due works on any clock");
}

#[test]
fn x4_stepping_honours_barriers_idle_handlers_and_quit() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let idle = Log::new();
    let i = idle.clone();
    looper.add_idle_handler(move || {
        i.push("idle");
        true
    });
    let b = looper.post_sync_barrier().unwrap();
    looper.post_delayed(log.rec("stalled"), MS).unwrap();
    assert_eq!(
        local.run_until_idle(),
        Ok(0),
        "a stalled queue has nothing scheduled"
    );
    assert!(idle.get().is_empty(), "Q8: no idle handlers while stalled");
    looper.remove_sync_barrier(b).unwrap();
    assert_eq!(local.run_until_idle(), Ok(1));
    assert_eq!(
        idle.get(),
        ["idle", "idle"],
        "once per idle period: waiting for the 1 ms message, then after it"
    );
    looper.post(log.rec("kept")).unwrap();
    looper.post_delayed(log.rec("dropped"), MS).unwrap();
    looper.quit_safely().unwrap();
    assert_eq!(local.run_until_idle(), Ok(1));
    assert_eq!(log.get(), ["stalled", "kept"]);
}

#[test]
fn x4_manual_clock_reached_through_the_looper() {
    let (local, clock) = manual_looper();
    let via_looper = local.manual_clock().expect("built with a ManualClock");
    via_looper.advance(7 * MS);
    let now: Instant = clock.now();
    assert_eq!(local.looper().now(), now, "clones share time");
}
