//! Pumping a looper from a host loop (GUI toolkit, game loop) instead of
//! running it.
//!
//! # Guarantees
//!
//! * [`LocalLooper::pump`] never blocks: it dispatches what was due when it
//!   began, within a [`Budget`], and answers [`Next`]: when to pump again.
//! * Messages posted during a pump wait for the next one, so a message that
//!   re-posts itself cannot starve the host.
//! * Once a pump returns, the first post from another thread (or removal,
//!   quit, or manual-clock advance) calls the wake hook, so a host sleeping
//!   until [`Next::At`] or indefinitely on [`Next::Idle`] is woken; posts
//!   while a pump runs do not call it (the pump's answer covers them).

use crate::local::{LocalLooper, Step};
use crate::queue::Head;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::{Duration, Instant};

/// Limits for one [`LocalLooper::pump`] call.
///
/// ```
/// use looper::Budget;
/// use std::time::Duration;
/// let b = Budget::unlimited().max_messages(64).max_time(Duration::from_millis(4));
/// assert_eq!(b, Budget { max_messages: Some(64), max_time: Some(Duration::from_millis(4)) });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Budget {
    /// Dispatch at most this many messages.
    pub max_messages: Option<usize>,
    /// Stop starting new messages once this much (looper-clock) time passed.
    pub max_time: Option<Duration>,
}

impl Budget {
    /// No limit but "what was due when the pump began".
    pub fn unlimited() -> Self {
        Budget::default()
    }

    /// Caps the number of messages.
    pub fn max_messages(mut self, n: usize) -> Self {
        self.max_messages = Some(n);
        self
    }

    /// Caps the time spent.
    pub fn max_time(mut self, d: Duration) -> Self {
        self.max_time = Some(d);
        self
    }
}

/// What a host loop should do after a pump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// More is due right now (the budget ran out): pump again soon.
    Now,
    /// Nothing is due before this instant: sleep until then or until the
    /// wake hook fires.
    At(Instant),
    /// Nothing is scheduled: sleep until the wake hook fires.
    Idle,
    /// The looper has quit and is drained: stop pumping it.
    Quit,
}

/// The result of one [`LocalLooper::pump`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pump {
    /// How many messages were dispatched.
    pub dispatched: usize,
    /// When to pump next.
    pub next: Next,
}

impl LocalLooper {
    /// Dispatches everything that was due when the call began, without
    /// blocking; returns how many messages ran. For hosts that own the loop.
    pub fn dispatch_pending(&self) -> usize {
        self.pump(Budget::unlimited()).dispatched
    }

    /// Dispatches what was due when the call began, within `budget`, without
    /// blocking, then says when to call again. Messages posted during the pump
    /// wait for the next one, so a message that re-posts itself cannot starve
    /// the host; if such a message would run before older ones (a front post,
    /// or a post at a past instant), the pump stops there to keep the order
    /// and answers [`Next::Now`]. Idle handlers run at the end if nothing is
    /// left due, at most once per idle period (until the next dispatch, so a
    /// host pumping every frame does not spin them, P18).
    ///
    /// ```
    /// use looper::{Budget, Next, Looper};
    /// let local = Looper::prepare().unwrap();
    /// for _ in 0..10 { local.looper().post(|| ()).unwrap(); }
    /// let pump = local.pump(Budget::unlimited().max_messages(4));
    /// assert_eq!(pump.dispatched, 4);
    /// assert_eq!(pump.next, Next::Now);
    /// assert_eq!(local.pump(Budget::unlimited()).next, Next::Idle);
    /// ```
    pub fn pump(&self, budget: Budget) -> Pump {
        let shared = self.shared().clone();
        shared.needs_wake.store(false, Relaxed);
        let start = shared.clock.now();
        let limit = shared.seq_now();
        let mut now = shared.ticks_of(start);
        let mut dispatched = 0;
        let mut exhausted = false;
        loop {
            if budget.max_messages.is_some_and(|m| dispatched >= m)
                || budget.max_time.is_some_and(|t| {
                    // A time budget needs a fresh reading; without one the
                    // loop reads the clock only when it must (see `step`).
                    now = now.max(shared.now_ticks());
                    shared
                        .instant_of(now)
                        .is_some_and(|n| n.saturating_duration_since(start) >= t)
                })
            {
                exhausted = true;
                break;
            }
            match self.step(&shared, now, limit) {
                Step::Dispatch(popped) => {
                    now = self.dispatch(&shared, popped, now);
                    dispatched += 1;
                }
                Step::Exit(rest) => {
                    self.drop_jobs(rest);
                    return Pump {
                        dispatched,
                        next: Next::Quit,
                    };
                }
                Step::Wait { .. } => break,
            }
        }
        // Say we may sleep before computing the answer, so that a post racing
        // with the host going to sleep still calls the wake hook.
        shared.needs_wake.store(true, SeqCst);
        let mut head = shared.head();
        if !exhausted
            && !matches!(head, Head::Due | Head::Stalled(_))
            && self.run_idle_handlers_once()
        {
            // A handler that posted consumed the flag (and called the hook
            // on this very thread); set it again so that the next post from
            // another thread while the host sleeps still wakes it.
            shared.needs_wake.store(true, SeqCst);
            head = shared.head();
        }
        let next = if exhausted && matches!(head, Head::Due) {
            Next::Now
        } else {
            match head {
                Head::Due => Next::Now,
                Head::Later(t) | Head::Stalled(Some(t)) => match shared.instant_of(t) {
                    Some(at) => Next::At(at),
                    None => Next::Idle,
                },
                Head::Stalled(None) | Head::Empty => Next::Idle,
            }
        };
        Pump { dispatched, next }
    }
}
