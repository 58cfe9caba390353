//! Time as the looper sees it.
//!
//! Every due time in a looper is read from one [`Clock`]. Production code uses
//! [`SystemClock`] (the monotonic [`Instant`] clock); tests use a
//! [`ManualClock`] that never moves by itself and is advanced explicitly, so
//! delayed behaviour is tested without sleeping (SEMANTICS X4).
//!
//! A clock that does not advance by itself must tell the loopers that read it
//! when it moves: [`Clock::subscribe`] hands it a waker per looper, and the
//! manual clock calls every waker on each advance so a looper blocked in
//! [`LocalLooper::run`](crate::LocalLooper::run) re-checks its queue.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A wake-up callback a looper hands to its clock (see [`Clock::subscribe`]).
pub type ClockWaker = Box<dyn Fn() + Send + Sync>;

/// The source of "now" for a looper.
///
/// Implementations must be monotonic: `now()` never returns an instant earlier
/// than a previous call did.
///
/// ```
/// use looper::{Clock, SystemClock};
/// let clock = SystemClock;
/// let a = clock.now();
/// assert!(clock.now() >= a);
/// assert!(clock.advances_by_itself());
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant.
    fn now(&self) -> Instant;

    /// Whether time passes without anybody acting on the clock.
    ///
    /// A looper waiting for a delayed message on a clock that advances by
    /// itself blocks with a timeout; on one that does not, it blocks until a
    /// post or a [`subscribe`](Clock::subscribe)d waker wakes it.
    fn advances_by_itself(&self) -> bool {
        true
    }

    /// Registers a waker to call whenever the clock moves other than by the
    /// passing of real time. Clocks that advance by themselves ignore it.
    fn subscribe(&self, waker: ClockWaker) {
        drop(waker);
    }

    /// The clock as a [`ManualClock`], if it is one. Test helpers use this to
    /// step a looper's virtual time; every other clock keeps the default
    /// `None`.
    ///
    /// ```
    /// use looper::{Clock, ManualClock, SystemClock};
    /// assert!(SystemClock.as_manual().is_none());
    /// assert!(ManualClock::new().as_manual().is_some());
    /// ```
    fn as_manual(&self) -> Option<&ManualClock> {
        None
    }
}

/// The real monotonic clock ([`Instant::now`]); the default for every looper.
///
/// ```
/// use looper::{Clock, SystemClock};
/// assert!(SystemClock.now() <= std::time::Instant::now());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to: virtual time for deterministic tests.
///
/// Clones share the same time. Advancing it wakes every looper that reads it,
/// so a looper blocked in `run` on another thread dispatches what became due.
///
/// ```
/// use looper::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_millis(250));
/// assert_eq!(clock.now() - start, Duration::from_millis(250));
/// assert!(!clock.advances_by_itself());
/// ```
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualState>>,
}

struct ManualState {
    now: Instant,
    wakers: Vec<Arc<dyn Fn() + Send + Sync>>,
}

impl ManualClock {
    /// A manual clock reading the current real instant, frozen there.
    pub fn new() -> Self {
        Self::starting_at(Instant::now())
    }

    /// A manual clock frozen at `start`.
    ///
    /// ```
    /// use looper::{Clock, ManualClock};
    /// let t = std::time::Instant::now();
    /// assert_eq!(ManualClock::starting_at(t).now(), t);
    /// ```
    pub fn starting_at(start: Instant) -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ManualState {
                now: start,
                wakers: Vec::new(),
            })),
        }
    }

    /// Moves time forward by `by` and wakes the loopers reading this clock.
    ///
    /// An advance that would overflow [`Instant`] saturates at the largest
    /// instant that can be represented from here.
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        state.now = checked_forward(state.now, by);
        Self::wake_all(state);
    }

    /// Moves time forward to `to`; an instant at or before the current time
    /// leaves the clock unchanged (a clock never runs backwards).
    ///
    /// ```
    /// use looper::{Clock, ManualClock};
    /// use std::time::Duration;
    /// let clock = ManualClock::new();
    /// let start = clock.now();
    /// clock.advance_to(start + Duration::from_secs(1));
    /// clock.advance_to(start); // ignored: the past
    /// assert_eq!(clock.now(), start + Duration::from_secs(1));
    /// ```
    pub fn advance_to(&self, to: Instant) {
        let mut state = self.lock();
        if to > state.now {
            state.now = to;
        }
        Self::wake_all(state);
    }

    fn wake_all(state: std::sync::MutexGuard<'_, ManualState>) {
        // Wakers end in user code (a looper's wake hook), which may read this
        // clock: call them after releasing the lock, or that read deadlocks.
        let wakers = state.wakers.clone();
        drop(state);
        for waker in &wakers {
            waker();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        // A panic while holding this lock cannot leave the state half-written
        // (every write is a single assignment), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn checked_forward(from: Instant, by: Duration) -> Instant {
    if let Some(t) = from.checked_add(by) {
        return t;
    }
    // Halve the step until it fits: the result is within a factor of two of
    // the largest representable instant, which is "forever" for any test.
    let mut step = by;
    let mut t = from;
    while step > Duration::ZERO {
        if let Some(next) = t.checked_add(step) {
            t = next;
        } else {
            step /= 2;
        }
    }
    t
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("ManualClock")
            .field("now", &state.now)
            .field("subscribers", &state.wakers.len())
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.lock().now
    }

    fn advances_by_itself(&self) -> bool {
        false
    }

    fn subscribe(&self, waker: ClockWaker) {
        self.lock().wakers.push(Arc::from(waker));
    }

    fn as_manual(&self) -> Option<&ManualClock> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x4_manual_clock_never_moves_by_itself() {
        let clock = ManualClock::new();
        let a = clock.now();
        std::hint::black_box(0..1000).for_each(drop);
        assert_eq!(clock.now(), a, "manual clock moved without advance");
    }

    #[test]
    fn x4_manual_clock_advance_saturates_instead_of_panicking() {
        let clock = ManualClock::new();
        let before = clock.now();
        clock.advance(Duration::MAX);
        assert!(
            clock.now() > before,
            "a huge advance must still move forward"
        );
        clock.advance(Duration::MAX);
    }

    #[test]
    fn x4_manual_clock_wakes_subscribers() {
        let clock = ManualClock::new();
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let h = hits.clone();
        clock.subscribe(Box::new(move || {
            h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        clock.advance(Duration::from_millis(1));
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
