//! Deterministic stepping of a looper on a [`ManualClock`] (feature
//! `test-util`; SEMANTICS X4).
//!
//! # Guarantees
//!
//! * Virtual time never moves by itself: only [`LocalLooper::advance_by`],
//!   [`LocalLooper::advance_to_next`], [`LocalLooper::run_until_idle`] and
//!   direct calls on the [`ManualClock`] move it.
//! * Advancing dispatches each message at its own due time, in queue order:
//!   inside a message, `looper.now()` reads that message's due time (or
//!   later, if an earlier message advanced the clock itself). A message that
//!   posts another one due inside the window runs in the same call.
//! * Nothing here blocks or sleeps, and nothing loops forever: one call
//!   dispatches at most [`RUNAWAY_LIMIT`] messages and then fails with
//!   [`StepError::Runaway`] (a message that keeps re-posting itself).
//! * Stepping that needs to move time on a looper whose clock is not a
//!   [`ManualClock`] fails with [`StepError::NotManualClock`]; it never
//!   panics. [`LocalLooper::run_due`] and [`LocalLooper::run_one`] work on
//!   any clock.
//! * Idle handlers run when a step finds nothing due, at most once per idle
//!   period, as in [`LocalLooper::run`] (Q8). A panic in a message unwinds
//!   out of the stepping call under [`PanicPolicy::Propagate`](crate::PanicPolicy).
//!
//! ```
//! use looper::{Clock, LooperBuilder, ManualClock};
//! use std::time::Duration;
//!
//! let clock = ManualClock::new();
//! let local = LooperBuilder::new().clock(clock.clone()).prepare().unwrap();
//! let start = clock.now();
//! let looper = local.looper();
//! let l = looper.clone();
//! looper
//!     .post_delayed(
//!         move || {
//!             // At 100 ms: post the next link, due at 200 ms.
//!             l.post_delayed(|| (), Duration::from_millis(100)).unwrap();
//!         },
//!         Duration::from_millis(100),
//!     )
//!     .unwrap();
//! assert_eq!(local.advance_by(Duration::from_millis(250)), Ok(2));
//! assert_eq!(clock.now() - start, Duration::from_millis(250));
//! ```

use crate::local::Step;
use crate::queue::Head;
use crate::{Clock, LocalLooper, ManualClock};
use std::fmt;
use std::time::{Duration, Instant};

/// The most messages one stepping call dispatches before it gives up with
/// [`StepError::Runaway`]: far more than any sane test needs, small enough to
/// fail within a second when a message keeps re-posting itself.
pub const RUNAWAY_LIMIT: usize = 100_000;

/// Why a stepping call could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepError {
    /// The looper's clock is not a [`ManualClock`], so the helpers cannot
    /// move its time. Build the looper with
    /// `LooperBuilder::new().clock(ManualClock::new())`.
    NotManualClock,
    /// [`RUNAWAY_LIMIT`] messages ran in one call and more were still due:
    /// most likely a message that re-posts itself forever.
    Runaway {
        /// Messages dispatched by the call before it stopped.
        dispatched: usize,
        /// Entries still queued when it stopped.
        pending: usize,
    },
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::NotManualClock => f.write_str(
                "the looper's clock is not a ManualClock; build it with \
                 LooperBuilder::new().clock(ManualClock::new()) to step time",
            ),
            StepError::Runaway {
                dispatched,
                pending,
            } => write!(
                f,
                "stopped after dispatching {dispatched} messages in one call with \
                 {pending} still queued: a message probably re-posts itself forever"
            ),
        }
    }
}

impl std::error::Error for StepError {}

/// What one test step did.
enum Stepped {
    /// Dispatched one message.
    Ran,
    /// Nothing was due; the idle handlers ran.
    Idled,
    /// Nothing was due; this is the head.
    NothingDue(Head),
    /// The looper has quit and is drained.
    Quit,
}

/// Counts dispatches in one stepping call and enforces [`RUNAWAY_LIMIT`].
struct Stepper<'a> {
    local: &'a LocalLooper,
    dispatched: usize,
}

impl Stepper<'_> {
    /// Runs everything due at the current clock reading (including what those
    /// messages post due now, and idle handlers once nothing is due).
    /// Returns the head left behind, or `None` if the looper quit.
    fn run_due(&mut self) -> Result<Option<Head>, StepError> {
        loop {
            if self.dispatched >= RUNAWAY_LIMIT {
                return Err(StepError::Runaway {
                    dispatched: self.dispatched,
                    pending: self.local.looper().pending_count(),
                });
            }
            match self.local.step_for_test(true) {
                Stepped::Ran => self.dispatched += 1,
                Stepped::Idled => {}
                Stepped::NothingDue(head) => return Ok(Some(head)),
                Stepped::Quit => return Ok(None),
            }
        }
    }
}

impl LocalLooper {
    /// The looper's clock as a [`ManualClock`], if it is one.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// assert!(local.manual_clock().is_none(), "the default clock is the system clock");
    /// ```
    pub fn manual_clock(&self) -> Option<ManualClock> {
        self.looper().shared.clock.as_manual().cloned()
    }

    /// One non-blocking step for the test helpers: dispatches the next due
    /// message if there is one; otherwise, if `idle` and the queue is not
    /// stalled, runs the idle handlers (once per idle period).
    fn step_for_test(&self, idle: bool) -> Stepped {
        let shared = self.shared().clone();
        match self.step(&shared, shared.now_ticks(), u64::MAX) {
            Step::Dispatch(popped) => {
                self.dispatch(&shared, popped, shared.now_ticks());
                Stepped::Ran
            }
            Step::Exit(rest) => {
                self.drop_jobs(rest);
                Stepped::Quit
            }
            Step::Wait { head, .. } => {
                if idle && !matches!(head, Head::Stalled(_)) && self.run_idle_handlers_once() {
                    Stepped::Idled
                } else {
                    Stepped::NothingDue(head)
                }
            }
        }
    }

    fn require_manual(&self) -> Result<ManualClock, StepError> {
        self.manual_clock().ok_or(StepError::NotManualClock)
    }

    /// Runs everything due now, including messages those post that are due
    /// now too, without moving the clock; then the idle handlers if they have
    /// not run in this idle period. Returns how many messages ran. Works on
    /// any clock.
    ///
    /// ```
    /// use looper::{LooperBuilder, ManualClock};
    /// let local = LooperBuilder::new().clock(ManualClock::new()).prepare().unwrap();
    /// let l = local.looper();
    /// local.looper().post(move || { l.post(|| ()).unwrap(); }).unwrap();
    /// assert_eq!(local.run_due(), Ok(2));
    /// ```
    pub fn run_due(&self) -> Result<usize, StepError> {
        let mut stepper = Stepper {
            local: self,
            dispatched: 0,
        };
        stepper.run_due()?;
        Ok(stepper.dispatched)
    }

    /// Runs exactly one due message, if any, without moving the clock or
    /// running idle handlers. Returns whether one ran. Works on any clock.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// local.looper().post(|| ()).unwrap();
    /// local.looper().post(|| ()).unwrap();
    /// assert!(local.run_one());
    /// assert_eq!(local.pending_count(), 1);
    /// ```
    pub fn run_one(&self) -> bool {
        matches!(self.step_for_test(false), Stepped::Ran)
    }

    /// Advances the manual clock by `by`, stopping at each due time inside
    /// the window to run what is due then, in order; ends with the clock
    /// exactly `by` later than at the call (saturating for huge durations).
    /// Returns how many messages ran.
    ///
    /// A message that posts another one due inside the window sees it run in
    /// this call, at its own due time.
    pub fn advance_by(&self, by: Duration) -> Result<usize, StepError> {
        let clock = self.require_manual()?;
        let end = clock.now().checked_add(by);
        let mut stepper = Stepper {
            local: self,
            dispatched: 0,
        };
        while let Some(head) = stepper.run_due()? {
            match self.due_instant(head) {
                Some(t) if end.map_or(true, |end| t <= end) => clock.advance_to(t),
                _ => break,
            }
        }
        match end {
            Some(end) => clock.advance_to(end),
            None => clock.advance(by),
        }
        // Only reachable if something became due exactly now through the
        // final move (never for a bounded window; kept for saturated ones).
        stepper.run_due()?;
        Ok(stepper.dispatched)
    }

    /// Runs what is due now; if nothing was, advances the manual clock to the
    /// next due message and runs what is due then. Returns the instant the
    /// clock reads afterwards, or `None` (clock unmoved) if nothing is
    /// scheduled: the queue is empty, stalled by a barrier, or holds only
    /// never-due entries.
    pub fn advance_to_next(&self) -> Result<Option<Instant>, StepError> {
        let clock = self.require_manual()?;
        let mut stepper = Stepper {
            local: self,
            dispatched: 0,
        };
        let Some(head) = stepper.run_due()? else {
            return Ok(None);
        };
        if stepper.dispatched > 0 {
            return Ok(Some(clock.now()));
        }
        match self.due_instant(head) {
            Some(t) => {
                clock.advance_to(t);
                stepper.run_due()?;
                Ok(Some(clock.now()))
            }
            None => Ok(None),
        }
    }

    /// Advances the manual clock from one due message to the next until
    /// nothing is scheduled (the queue is empty, stalled by a barrier, or
    /// holds only never-due entries) or the looper quit. Returns how many
    /// messages ran. Stops with [`StepError::Runaway`] after
    /// [`RUNAWAY_LIMIT`] messages, so a periodic message that re-posts
    /// itself forever fails instead of hanging.
    pub fn run_until_idle(&self) -> Result<usize, StepError> {
        let clock = self.require_manual()?;
        let mut stepper = Stepper {
            local: self,
            dispatched: 0,
        };
        while let Some(head) = stepper.run_due()? {
            match self.due_instant(head) {
                Some(t) => clock.advance_to(t),
                None => break,
            }
        }
        Ok(stepper.dispatched)
    }

    /// When the next deliverable message is due: the current instant if one
    /// is due now, `None` if nothing will be without a post (empty, stalled
    /// by a barrier, or only never-due entries).
    pub fn next_scheduled_time(&self) -> Option<Instant> {
        self.next_deadline()
    }

    /// The latest due time among pending messages (barriers and never-due
    /// entries excluded); messages already due count as due now.
    ///
    /// ```
    /// use looper::{LooperBuilder, ManualClock};
    /// use std::time::Duration;
    /// let clock = ManualClock::new();
    /// let local = LooperBuilder::new().clock(clock.clone()).prepare().unwrap();
    /// local.looper().post_delayed(|| (), Duration::from_secs(1)).unwrap();
    /// local.looper().post_delayed(|| (), Duration::from_secs(3)).unwrap();
    /// let now = local.looper().now();
    /// assert_eq!(local.last_scheduled_time(), Some(now + Duration::from_secs(3)));
    /// assert_eq!(local.next_scheduled_time(), Some(now + Duration::from_secs(1)));
    /// ```
    pub fn last_scheduled_time(&self) -> Option<Instant> {
        let shared = &self.looper().shared;
        let now = shared.clock.now();
        let last = shared.lock().queue.last_when()?;
        shared.instant_of(last).map(|t| t.max(now))
    }

    /// How many entries are queued (barriers included), as
    /// [`Looper::pending_count`](crate::Looper::pending_count).
    pub fn pending_count(&self) -> usize {
        self.looper().pending_count()
    }

    /// The instant a head left by `run_due` will next have something to run.
    fn due_instant(&self, head: Head) -> Option<Instant> {
        match head {
            Head::Later(t) | Head::Stalled(Some(t)) if t != u64::MAX => {
                self.looper().shared.instant_of(t)
            }
            _ => None,
        }
    }
}
