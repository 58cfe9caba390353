//! Configuring a looper before it is prepared.

use crate::clock::{Clock, SystemClock};
use crate::shared::{Config, PanicPolicy, WakeHook};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Builds a looper with non-default settings; [`prepare`](LooperBuilder::prepare)
/// binds it to the calling thread.
///
/// ```
/// use looper::{LooperBuilder, ManualClock, PanicPolicy};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let local = LooperBuilder::new()
///     .name("ui")
///     .clock(clock.clone())
///     .slow_dispatch_threshold(Some(Duration::from_millis(16)))
///     .panic_policy(PanicPolicy::CatchAndLog)
///     .prepare()
///     .unwrap();
/// assert_eq!(local.looper().name(), Some("ui"));
/// ```
pub struct LooperBuilder {
    clock: Arc<dyn Clock>,
    name: Option<String>,
    slow_dispatch: Option<Duration>,
    panic_policy: PanicPolicy,
    spin: bool,
    timer_margin: Duration,
    quit_allowed: bool,
    wake_hook: Option<WakeHook>,
}

impl fmt::Debug for LooperBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LooperBuilder")
            .field("clock", &self.clock)
            .field("name", &self.name)
            .field("slow_dispatch", &self.slow_dispatch)
            .field("panic_policy", &self.panic_policy)
            .field("spin", &self.spin)
            .field("timer_margin", &self.timer_margin)
            .field("quit_allowed", &self.quit_allowed)
            .field("wake_hook", &self.wake_hook.is_some())
            .finish()
    }
}

impl Default for LooperBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LooperBuilder {
    /// Defaults: [`SystemClock`], no name, no slow-dispatch warning,
    /// [`PanicPolicy::Propagate`], spin-before-park on, 100 µs timer margin.
    pub fn new() -> Self {
        LooperBuilder {
            clock: Arc::new(SystemClock),
            name: None,
            slow_dispatch: None,
            panic_policy: PanicPolicy::Propagate,
            spin: true,
            timer_margin: Duration::from_micros(100),
            quit_allowed: true,
            wake_hook: None,
        }
    }

    /// The clock every due time is read from (a [`ManualClock`](crate::ManualClock) in tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// A clock already shared behind an `Arc`.
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A name for tracing and dumps.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Warn (through `tracing`) when one dispatch takes at least this long on
    /// the looper's clock; `None` (the default) turns the warning off.
    ///
    /// Off by default because it costs two clock reads per dispatch (tens of
    /// nanoseconds each on virtual machines, a fifth of the throughput of
    /// trivial messages); a UI thread will usually want it, at 16 to 100 ms.
    pub fn slow_dispatch_threshold(mut self, threshold: Option<Duration>) -> Self {
        self.slow_dispatch = threshold;
        self
    }

    /// What a panicking message does to the loop (L7).
    pub fn panic_policy(mut self, policy: PanicPolicy) -> Self {
        self.panic_policy = policy;
        self
    }

    /// Whether the idle looper spins (then yields) for a few microseconds
    /// before parking. On (the default) it answers a post from another core
    /// in well under a microsecond; off, every wake-up is a futex round trip.
    pub fn spin_before_park(mut self, spin: bool) -> Self {
        self.spin = spin;
        self
    }

    /// How long before a delayed message's due time the looper stops parking
    /// and yields instead, so it fires on time despite the kernel's timer
    /// slack. Zero means "park all the way" (cheaper, ~50-100 µs late).
    pub fn timer_margin(mut self, margin: Duration) -> Self {
        self.timer_margin = margin;
        self
    }

    /// Whether `quit` is allowed (the main looper says no, L5).
    pub fn quit_allowed(mut self, allowed: bool) -> Self {
        self.quit_allowed = allowed;
        self
    }

    /// The hook to call when another thread posts while the host loop sleeps
    /// (see [`LocalLooper::set_wake_hook`](crate::LocalLooper::set_wake_hook)).
    pub fn wake_hook(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.wake_hook = Some(Arc::new(hook));
        self
    }

    pub(crate) fn into_parts(self) -> (Arc<dyn Clock>, Config, Option<WakeHook>) {
        (
            self.clock,
            Config {
                name: self.name,
                slow_dispatch: self.slow_dispatch,
                panic_policy: self.panic_policy,
                spin: self.spin,
                timer_margin: self.timer_margin,
                quit_allowed: self.quit_allowed,
            },
            self.wake_hook,
        )
    }
}
