//! Embedding in a host loop: pump budgets, `Next` answers, the wake hook and
//! `next_deadline` (issue 2, "Embedding").

mod common;

use common::{manual_looper, Log};
use looper::{Budget, LooperBuilder, ManualClock, Next, Pump};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

#[test]
fn pump_with_a_count_budget_answers_now_until_drained() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    for i in 0..5 {
        looper.post(log.rec(i)).unwrap();
    }
    let budget = Budget::unlimited().max_messages(2);
    assert_eq!(
        local.pump(budget),
        Pump {
            dispatched: 2,
            next: Next::Now
        }
    );
    assert_eq!(
        local.pump(budget),
        Pump {
            dispatched: 2,
            next: Next::Now
        }
    );
    assert_eq!(
        local.pump(budget),
        Pump {
            dispatched: 1,
            next: Next::Idle
        }
    );
    assert_eq!(log.get(), [0, 1, 2, 3, 4], "budgeted pumps keep the order");
}

#[test]
fn pump_with_a_time_budget_stops_once_the_clock_passed_it() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    for i in 0..4 {
        let (c, l) = (clock.clone(), log.clone());
        looper
            .post(move || {
                l.push(i);
                c.advance(3 * MS); // each message "takes" 3 ms
            })
            .unwrap();
    }
    let budget = Budget::unlimited().max_time(5 * MS);
    let pump = local.pump(budget);
    assert_eq!(
        pump,
        Pump {
            dispatched: 2,
            next: Next::Now
        },
        "stopped after 6 ms >= 5 ms"
    );
    assert_eq!(local.pump(budget).dispatched, 2);
    assert_eq!(log.get(), [0, 1, 2, 3]);
}

#[test]
fn pump_answers_at_idle_and_quit() {
    let (local, clock) = manual_looper();
    let looper = local.looper();
    assert_eq!(
        local.pump(Budget::unlimited()).next,
        Next::Idle,
        "nothing scheduled"
    );
    let due = looper.now() + 7 * MS;
    looper.post_at(|| (), due).unwrap();
    assert_eq!(local.pump(Budget::unlimited()).next, Next::At(due));
    assert_eq!(local.next_deadline(), Some(due));
    looper.post_delayed(|| (), Duration::MAX).unwrap();
    clock.advance(7 * MS);
    let pump = local.pump(Budget::unlimited());
    assert_eq!(
        pump,
        Pump {
            dispatched: 1,
            next: Next::Idle
        },
        "never-due is Idle, not At"
    );
    assert_eq!(local.next_deadline(), None);
    looper.quit().unwrap();
    assert_eq!(local.pump(Budget::unlimited()).next, Next::Quit);
}

#[test]
fn messages_posted_during_a_pump_wait_for_the_next_pump() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let (lo, l) = (looper.clone(), log.clone());
    looper
        .post(move || {
            l.push("first");
            lo.post(l.rec("reposted")).unwrap();
        })
        .unwrap();
    let pump = local.pump(Budget::unlimited());
    assert_eq!(
        pump,
        Pump {
            dispatched: 1,
            next: Next::Now
        },
        "the re-post waits"
    );
    assert_eq!(log.get(), ["first"]);
    assert_eq!(local.dispatch_pending(), 1);
    assert_eq!(log.get(), ["first", "reposted"]);
}

#[test]
fn a_front_post_during_a_pump_stops_it_to_keep_the_order() {
    let (local, _clock) = manual_looper();
    let looper = local.looper();
    let log = Log::new();
    let (lo, l) = (looper.clone(), log.clone());
    looper
        .post(move || {
            l.push("a");
            lo.post_at_front(l.rec("front")).unwrap();
        })
        .unwrap();
    looper.post(log.rec("b")).unwrap();
    assert_eq!(
        local.pump(Budget::unlimited()),
        Pump {
            dispatched: 1,
            next: Next::Now
        }
    );
    local.dispatch_pending();
    assert_eq!(log.get(), ["a", "front", "b"], "Q3 order kept across pumps");
}

/// The host loop sleeps on a channel; the wake hook feeds that channel.
#[test]
fn wake_hook_fires_when_another_thread_posts_while_the_host_sleeps() {
    let (wake_tx, wake_rx) = mpsc::channel::<()>();
    let local = LooperBuilder::new()
        .clock(ManualClock::new())
        .wake_hook(move || {
            let _ = wake_tx.send(());
        })
        .prepare()
        .unwrap();
    let looper = local.looper();
    assert_eq!(local.pump(Budget::unlimited()).next, Next::Idle);
    let (done_tx, done_rx) = mpsc::channel();
    let l = looper.clone();
    let poster = thread::spawn(move || {
        l.post(move || done_tx.send("ran on the host thread").unwrap())
            .unwrap();
    });
    wake_rx.recv().expect("the hook woke the sleeping host");
    poster.join().unwrap();
    assert_eq!(local.dispatch_pending(), 1);
    assert_eq!(done_rx.try_recv(), Ok("ran on the host thread"));
    while wake_rx.try_recv().is_ok() {}
    looper.post(|| ()).unwrap();
    local.pump(Budget::unlimited()); // -> host sleeps again
    let l = looper.clone();
    thread::spawn(move || l.post(|| ()).unwrap())
        .join()
        .unwrap();
    assert!(
        wake_rx.try_recv().is_ok(),
        "the hook fires again after the next pump"
    );
}

#[test]
fn wake_hook_fires_on_a_clock_advance_and_may_read_the_clock() {
    let (wake_tx, wake_rx) = mpsc::channel();
    let (local, clock) = manual_looper();
    let looper = local.looper();
    let l = looper.clone();
    // Reading the looper (and so the clock) inside the hook must not deadlock.
    local.set_wake_hook(Some(std::sync::Arc::new(move || {
        let _ = wake_tx.send(l.next_due());
    })));
    looper.post_delayed(|| (), 10 * MS).unwrap();
    let at = looper.now() + 10 * MS;
    assert_eq!(local.pump(Budget::unlimited()).next, Next::At(at));
    clock.advance(10 * MS);
    assert_eq!(wake_rx.recv().unwrap(), Some(at), "woken by the advance");
    assert_eq!(local.dispatch_pending(), 1);
}

#[test]
fn idle_handler_post_leaves_the_host_wakeable() {
    let (wake_tx, wake_rx) = mpsc::channel::<()>();
    let local = LooperBuilder::new()
        .clock(ManualClock::new())
        .wake_hook(move || {
            let _ = wake_tx.send(());
        })
        .prepare()
        .unwrap();
    let looper = local.looper();
    let lo = looper.clone();
    let mut first = true;
    looper.add_idle_handler(move || {
        if std::mem::take(&mut first) {
            lo.post_delayed(|| (), Duration::from_secs(1)).unwrap();
        }
        true
    });
    let pump = local.pump(Budget::unlimited());
    assert!(matches!(pump.next, Next::At(_)), "{pump:?}");
    while wake_rx.try_recv().is_ok() {}
    let l = looper.clone();
    thread::spawn(move || l.post(|| ()).unwrap())
        .join()
        .unwrap();
    assert!(
        wake_rx.try_recv().is_ok(),
        "a post from another thread after the pump must call the hook"
    );
}
