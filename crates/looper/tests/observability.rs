//! Observability: the per-dispatch span, the slow-dispatch warning, the
//! CatchAndLog panic report (L7) and `dump()` (issue 2, "tracing"). L12's
//! message logging is served by the `looper.dispatch` span.

mod common;

use common::{capture_tracing, Log};
use looper::{Due, LooperBuilder, ManualClock, PanicPolicy};
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

#[test]
fn every_dispatch_has_a_span_with_its_queue_delay() {
    let clock = ManualClock::new();
    let local = LooperBuilder::new().clock(clock.clone()).prepare().unwrap();
    let looper = local.looper();
    looper
        .post(|| tracing::info!("inside the message"))
        .unwrap();
    looper.post_at(|| (), looper.now() - 2 * MS).unwrap();
    let (n, logs) = capture_tracing(|| local.dispatch_pending());
    assert_eq!(n, 2);
    assert_eq!(
        logs.matches("looper.dispatch").count(),
        3,
        "one span per dispatch:\n{logs}"
    );
    assert!(
        logs.contains("queue_delay_ns=2000000"),
        "a 2 ms queue delay:\n{logs}"
    );
    let event_line = logs
        .lines()
        .find(|l| l.contains("inside the message"))
        .unwrap();
    assert!(
        event_line.contains("looper.dispatch"),
        "events inside run in the span: {event_line}"
    );
}

#[test]
fn slow_dispatch_warning_fires_past_the_threshold() {
    let clock = ManualClock::new();
    let local = LooperBuilder::new()
        .clock(clock.clone())
        .slow_dispatch_threshold(Some(16 * MS))
        .prepare()
        .unwrap();
    let looper = local.looper();
    let c = clock.clone();
    looper.post(move || c.advance(15 * MS)).unwrap();
    let (_, logs) = capture_tracing(|| local.dispatch_pending());
    assert!(
        !logs.contains("slow dispatch"),
        "15 ms is under 16 ms:\n{logs}"
    );
    let c = clock.clone();
    looper.post(move || c.advance(20 * MS)).unwrap();
    let (_, logs) = capture_tracing(|| local.dispatch_pending());
    let warn = logs
        .lines()
        .find(|l| l.contains("slow dispatch"))
        .expect("warning");
    assert!(
        warn.contains("WARN") && warn.contains("took_us=20000"),
        "{warn}"
    );
}

#[test]
fn slow_dispatch_warning_can_be_turned_off() {
    let clock = ManualClock::new();
    let local = LooperBuilder::new()
        .clock(clock.clone())
        .slow_dispatch_threshold(None)
        .prepare()
        .unwrap();
    let c = clock.clone();
    local
        .looper()
        .post(move || c.advance(Duration::from_secs(5)))
        .unwrap();
    let (_, logs) = capture_tracing(|| local.dispatch_pending());
    assert!(!logs.contains("slow dispatch"), "{logs}");
}

#[test]
fn l7_catch_and_log_reports_the_panic_as_a_tracing_error() {
    let local = LooperBuilder::new()
        .clock(ManualClock::new())
        .panic_policy(PanicPolicy::CatchAndLog)
        .prepare()
        .unwrap();
    let looper = local.looper();
    let log = Log::new();
    looper.post(|| panic!("reported panic {}", 42)).unwrap();
    looper.post(log.rec("after")).unwrap();
    let (n, logs) = capture_tracing(|| local.dispatch_pending());
    assert_eq!(n, 2, "both dispatched");
    assert_eq!(log.get(), ["after"], "L7: the loop continued");
    let line = logs
        .lines()
        .find(|l| l.contains("message panicked"))
        .expect("error event");
    assert!(
        line.contains("ERROR") && line.contains("reported panic 42"),
        "{line}"
    );
}

#[test]
fn dump_lists_entries_in_delivery_order() {
    let clock = ManualClock::new();
    let local = LooperBuilder::new()
        .name("ui")
        .clock(clock)
        .prepare()
        .unwrap();
    let looper = local.looper();
    let now = looper.now();
    let later = looper.post_delayed(|| (), 20 * MS).unwrap();
    let sooner = looper.post_delayed(|| (), 10 * MS).unwrap();
    let due = looper.post(|| ()).unwrap();
    let front = looper.post_at_front(|| ()).unwrap();
    let barrier = looper.post_sync_barrier().unwrap();
    let never = looper.post_delayed(|| (), Duration::MAX).unwrap();
    let dump = looper.dump();
    let seqs: Vec<u64> = dump.entries.iter().map(|e| e.sequence).collect();
    let expected = [
        front.sequence(),
        due.sequence(),
        barrier_seq(&dump),
        sooner.sequence(),
        later.sequence(),
        never.sequence(),
    ];
    assert_eq!(
        seqs, expected,
        "front, then due now (the barrier is due now too, posted later), then by due time:\n{dump}"
    );
    assert!(dump.entries[2].barrier && !dump.entries[1].barrier);
    assert_eq!(dump.entries[0].due, Due::Front);
    assert_eq!(dump.entries[3].due, Due::At(now + 10 * MS));
    assert_eq!(dump.entries[5].due, Due::Never);
    let text = dump.to_string();
    assert!(text.contains("\"ui\": 6 pending"), "{text}");
    assert!(
        text.contains("sync barrier #0") && text.contains("never"),
        "{text}"
    );
    looper.remove_sync_barrier(barrier).unwrap();
}

fn barrier_seq(dump: &looper::Dump) -> u64 {
    dump.entries
        .iter()
        .find(|e| e.barrier)
        .expect("a barrier in the dump")
        .sequence
}
