//! Randomized test of the looper's queue against a reference model (issue 2):
//! a plain `Vec` sorted by (due time, post order) with front posts LIFO,
//! driven on a `ManualClock`. Covers Q1-Q4 ordering, removal by token, L8
//! quit / quit_safely and L9 rejection.

use looper::{Clock, LooperBuilder, ManualClock, Token};
use proptest::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    /// `post` (0) or `post_delayed` (ms); `local` uses the `!Send` path.
    Post {
        delay_ms: u64,
        local: bool,
    },
    /// `post_at(now + offset)`, offset possibly in the past.
    PostAt {
        offset_ms: i64,
    },
    /// `post_delayed(Duration::MAX)`: never due.
    PostNever,
    PostFront {
        local: bool,
    },
    /// Remove the token of the n-th post so far (modulo), if any.
    Remove(usize),
    /// Advance the clock, then `dispatch_pending`.
    AdvanceAndDispatch(u64),
    Quit,
    QuitSafely,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (prop_oneof![Just(0u64), 1u64..40], any::<bool>())
            .prop_map(|(delay_ms, local)| Op::Post { delay_ms, local }),
        3 => (-40i64..40).prop_map(|offset_ms| Op::PostAt { offset_ms }),
        1 => Just(Op::PostNever),
        2 => any::<bool>().prop_map(|local| Op::PostFront { local }),
        4 => any::<usize>().prop_map(Op::Remove),
        4 => (0u64..25).prop_map(Op::AdvanceAndDispatch),
        1 => Just(Op::Quit),
        1 => Just(Op::QuitSafely),
    ]
}

/// The reference: pending entries with their sort key.
#[derive(Default)]
struct Model {
    /// (class, when_ms, order, id): class 0 = front (order = -seq), 1 = timed,
    /// 2 = never due.
    pending: Vec<(u8, i64, i64, usize)>,
    seq: i64,
    now: i64,
    quit: bool,
}

impl Model {
    fn push(&mut self, class: u8, when: i64, id: usize) -> bool {
        if self.quit {
            return false;
        }
        self.seq += 1;
        let order = if class == 0 { -self.seq } else { self.seq };
        self.pending.push((class, when, order, id));
        self.pending.sort();
        true
    }

    fn remove(&mut self, id: usize) -> bool {
        let before = self.pending.len();
        self.pending.retain(|e| e.3 != id);
        before != self.pending.len()
    }

    fn due(e: &(u8, i64, i64, usize), now: i64) -> bool {
        e.0 == 0 || (e.0 == 1 && e.1 <= now)
    }

    fn dispatch_due(&mut self) -> Vec<usize> {
        let now = self.now;
        let (due, rest): (Vec<_>, Vec<_>) = self.pending.iter().partition(|e| Self::due(e, now));
        self.pending = rest;
        due.into_iter().map(|e| e.3).collect()
    }
}

fn run_case(ops: Vec<Op>) {
    let clock = ManualClock::new();
    let local = LooperBuilder::new()
        .clock(clock.clone())
        .slow_dispatch_threshold(None)
        .prepare()
        .unwrap();
    let looper = local.looper();
    let t0 = clock.now();
    let ran: Arc<Mutex<Vec<usize>>> = Arc::default();
    let mut model = Model::default();
    let mut expected_ran = Vec::new();
    let mut tokens: Vec<Option<Token>> = Vec::new(); // per post id
    let rec = |id: usize| {
        let ran = ran.clone();
        move || ran.lock().unwrap().push(id)
    };
    for (step, op) in ops.into_iter().enumerate() {
        let now = clock.now();
        let id = tokens.len();
        let posted = match op {
            Op::Post { delay_ms, local: l } => {
                let d = Duration::from_millis(delay_ms);
                let got = match (l, delay_ms) {
                    (true, _) => local.post_delayed(rec(id), d).ok(),
                    (false, 0) => looper.post(rec(id)).ok(),
                    (false, _) => looper.post_delayed(rec(id), d).ok(),
                };
                Some((got, model.push(1, model.now + delay_ms as i64, id)))
            }
            Op::PostAt { offset_ms } => {
                let at = if offset_ms >= 0 {
                    now + Duration::from_millis(offset_ms as u64)
                } else {
                    now - Duration::from_millis(offset_ms.unsigned_abs())
                };
                let got = match looper.post_at(rec(id), at) {
                    Ok(t) => Some(t),
                    Err(rejected) => {
                        // L9: the very closure comes back.
                        (rejected.into_job().into_closure().unwrap())();
                        let back = ran.lock().unwrap().pop();
                        assert_eq!(back, Some(id), "step {step}: rejected job is ours");
                        None
                    }
                };
                Some((got, model.push(1, model.now + offset_ms, id)))
            }
            Op::PostNever => {
                let got = looper.post_delayed(rec(id), Duration::MAX).ok();
                Some((got, model.push(2, 0, id)))
            }
            Op::PostFront { local: l } => {
                let got = if l {
                    local.post_at_front(rec(id)).ok()
                } else {
                    looper.post_at_front(rec(id)).ok()
                };
                Some((got, model.push(0, 0, id)))
            }
            Op::Remove(n) => {
                if !tokens.is_empty() {
                    let target = n % tokens.len();
                    let expect = model.remove(target);
                    let got = tokens[target].is_some_and(|t| looper.remove(t));
                    assert_eq!(got, expect, "step {step}: remove(post #{target})");
                }
                None
            }
            Op::AdvanceAndDispatch(ms) => {
                clock.advance(Duration::from_millis(ms));
                model.now += ms as i64;
                local.dispatch_pending();
                expected_ran.extend(model.dispatch_due());
                assert_eq!(
                    *ran.lock().unwrap(),
                    expected_ran,
                    "step {step}: dispatch order"
                );
                None
            }
            Op::Quit => {
                looper.quit().unwrap();
                if !model.quit {
                    model.pending.clear(); // L8: a later quit is a no-op
                }
                model.quit = true;
                None
            }
            Op::QuitSafely => {
                looper.quit_safely().unwrap();
                if !model.quit {
                    let now = model.now;
                    model.pending.retain(|e| Model::due(e, now));
                }
                model.quit = true;
                None
            }
        };
        if let Some((got, accepted)) = posted {
            assert_eq!(
                got.is_some(),
                accepted,
                "step {step}: accepted iff not quit (L9)"
            );
            tokens.push(got);
        }
        let queued = looper.pending_count();
        assert_eq!(queued, model.pending.len(), "step {step}: pending count");
    }
    assert_eq!(clock.now() - t0, Duration::from_millis(model.now as u64));
    if model.quit {
        local.run(); // drains what quit_safely kept, then returns
        expected_ran.extend(model.dispatch_due());
        assert!(
            model.pending.is_empty(),
            "everything kept by quit_safely is due"
        );
        assert_eq!(*ran.lock().unwrap(), expected_ran, "final drain order");
        assert_eq!(looper.pending_count(), 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn queue_matches_the_reference_model(ops in proptest::collection::vec(op(), 1..60)) {
        // One looper per thread: each case gets a fresh thread.
        let result = std::thread::spawn(move || run_case(ops)).join();
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    }
}
