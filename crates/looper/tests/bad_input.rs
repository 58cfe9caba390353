//! Bad input: every case has a defined, documented answer and never panics
//! or hangs (issue 2, "Bad input").

mod common;

use common::{manual_looper, Log};
use looper::{run_current, Due, Looper, LooperError};
use std::thread;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

#[test]
fn duration_max_is_never_due_stays_pending_and_is_removable() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let never = looper
        .post_delayed(log.rec("never"), Duration::MAX)
        .unwrap();
    let huge = looper
        .post_delayed(log.rec("huge"), Duration::from_secs(u64::MAX / 2))
        .unwrap();
    clock.advance(Duration::from_secs(100 * 365 * 24 * 3600));
    assert_eq!(local.dispatch_pending(), 0, "never-due jobs do not run");
    assert!(
        looper.contains(never) && looper.contains(huge),
        "they stay pending"
    );
    assert_eq!(looper.next_due(), None, "and are no deadline");
    assert!(looper.is_idle());
    assert!(
        matches!(looper.dump().entries[0].due, Due::Never),
        "dump says never"
    );
    assert!(looper.remove(never), "removable");
    assert!(log.get().is_empty());
    looper.quit_safely().unwrap();
    assert!(
        !looper.contains(huge),
        "quit_safely drops never-due jobs (not due)"
    );
    local.run();
    assert!(log.get().is_empty());
}

#[test]
fn duration_max_jobs_are_dropped_at_quit() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let dropped = std::sync::Arc::new(());
    let d = dropped.clone();
    looper.post_delayed(move || drop(d), Duration::MAX).unwrap();
    looper.quit().unwrap();
    local.run();
    assert_eq!(
        std::sync::Arc::strong_count(&dropped),
        1,
        "the closure was dropped"
    );
}

#[test]
fn deadlines_in_the_past_are_due_at_once_ordered_by_their_time() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let now = looper.now();
    looper.post(log.rec("now")).unwrap();
    looper.post_at(log.rec("-1ms"), now - MS).unwrap();
    looper
        .post_at(log.rec("-1h"), now - Duration::from_secs(3600))
        .unwrap();
    looper.post_at(log.rec("-10ms"), now - 10 * MS).unwrap();
    assert!(!looper.is_idle(), "past deadlines are due");
    local.dispatch_pending();
    assert_eq!(
        log.get(),
        ["-1h", "-10ms", "-1ms", "now"],
        "ordered by their past time"
    );
}

#[test]
fn unknown_foreign_and_double_removed_tokens_are_false() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let token = looper.post_delayed(|| (), MS).unwrap();
    assert!(looper.remove(token));
    assert!(!looper.remove(token), "double removal is false");
    assert!(looper.take(token).is_none());
    assert!(!looper.contains(token));
    // A token from another looper never matches here, even with the same slot.
    let foreign = thread::spawn(|| {
        let (other, _c) = manual_looper();
        other.looper().post_delayed(|| (), MS).unwrap()
    })
    .join()
    .unwrap();
    let mine = looper.post_delayed(|| (), MS).unwrap();
    assert!(!looper.remove(foreign), "foreign token is false");
    assert!(!looper.contains(foreign));
    assert!(looper.contains(mine), "and removed nothing of ours");
    // A slot reused by a later job does not make an old token valid.
    assert!(looper.remove(mine));
    let reuse = looper.post_delayed(|| (), MS).unwrap();
    assert!(
        !looper.remove(mine),
        "stale token after slot reuse is false"
    );
    assert!(looper.contains(reuse));
}

#[test]
fn quit_twice_is_ok_and_prepare_twice_is_already_prepared() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    assert_eq!(looper.quit(), Ok(()));
    assert_eq!(looper.quit(), Ok(()), "quit twice is a no-op");
    assert_eq!(looper.quit_safely(), Ok(()), "quit_safely after quit too");
    assert_eq!(Looper::prepare().unwrap_err(), LooperError::AlreadyPrepared);
    assert_eq!(
        looper::LooperBuilder::new().prepare().unwrap_err(),
        LooperError::AlreadyPrepared
    );
}

#[test]
fn run_on_a_thread_without_a_looper_is_no_looper() {
    let r = thread::spawn(run_current).join().expect("no panic");
    assert_eq!(r, Err(LooperError::NoLooper));
    assert_eq!(
        LooperError::NoLooper.to_string(),
        "No Looper; Looper.prepare() wasn't called on this thread."
    );
}

#[test]
fn removing_a_sync_barrier_twice_is_a_barrier_error() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let b = looper.post_sync_barrier().unwrap();
    assert_eq!(looper.remove_sync_barrier(b), Ok(()));
    let err = looper.remove_sync_barrier(b).unwrap_err();
    let _: &dyn std::error::Error = &err;
    assert!(
        looper.remove_sync_barrier(b).is_err(),
        "still an error, still no panic"
    );
}

#[test]
fn quitting_the_main_looper_is_quit_not_allowed() {
    // A looper built like the main one (quit not allowed), without taking
    // the process-wide main slot that `looper_lifecycle.rs` tests.
    let local = looper::LooperBuilder::new()
        .quit_allowed(false)
        .prepare()
        .unwrap();
    assert_eq!(local.looper().quit(), Err(LooperError::QuitNotAllowed));
    assert_eq!(
        local.looper().quit_safely(),
        Err(LooperError::QuitNotAllowed)
    );
    assert!(!local.looper().is_quitting());
}

#[test]
fn advancing_a_manual_clock_by_duration_max_saturates() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    looper
        .post_delayed(log.rec("1s"), Duration::from_secs(1))
        .unwrap();
    clock.advance(Duration::MAX);
    clock.advance(Duration::MAX);
    assert_eq!(local.dispatch_pending(), 1, "everything finite became due");
    assert_eq!(log.get(), ["1s"]);
}
