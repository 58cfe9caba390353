//! Looper internals shared by both halves: the queue under its lock, the
//! clock, the wake protocol, configuration.
//!
//! # Waking
//!
//! The looper thread (or the host loop pumping it) announces that it is
//! about to sleep by setting `needs_wake`; an enqueue bumps `epoch` and, if
//! `needs_wake` was set, clears it and wakes the thread (and calls the host's
//! wake hook). Both sides use sequentially consistent operations on the two
//! atomics, so either the sleeper sees the new epoch or the poster sees the
//! flag: no lost wake-ups, and no syscall per post while the looper is busy.

use crate::clock::Clock;
use crate::job::{Job, JobKind};
use crate::queue::{Head, Key, Kind, Queue, FRONT};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::{Thread, ThreadId};
use std::time::{Duration, Instant};

/// What a looper does when a dispatched message panics (SEMANTICS L7).
///
/// ```
/// use looper::{LooperBuilder, PanicPolicy};
/// let local = LooperBuilder::new().panic_policy(PanicPolicy::CatchAndLog).prepare().unwrap();
/// local.looper().post(|| panic!("reported, not fatal")).unwrap();
/// local.looper().post(|| println!("still running")).unwrap();
/// assert_eq!(local.dispatch_pending(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PanicPolicy {
    /// The panic unwinds out of `run`/`pump` (Android's behaviour). The
    /// panicking message is gone, everything else stays queued, and the
    /// looper can be run again.
    #[default]
    Propagate,
    /// The panic is caught, reported as a `tracing` error event with the
    /// panic message, and the loop goes on with the next message.
    CatchAndLog,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuitMode {
    Now,
    Safely,
}

pub(crate) type WakeHook = Arc<dyn Fn() + Send + Sync>;
pub(crate) type SendIdle = Arc<Mutex<Box<dyn FnMut() -> bool + Send>>>;

pub(crate) struct Config {
    pub(crate) name: Option<String>,
    pub(crate) slow_dispatch: Option<Duration>,
    pub(crate) panic_policy: PanicPolicy,
    pub(crate) spin: bool,
    pub(crate) timer_margin: Duration,
    pub(crate) quit_allowed: bool,
}

pub(crate) struct State {
    pub(crate) queue: Queue<Job>,
    pub(crate) quit: Option<QuitMode>,
    /// Keys of local closures removed by another thread, to drop on the
    /// looper thread (where the `!Send` closures live).
    pub(crate) orphans: Vec<u64>,
    pub(crate) idle: Vec<(u64, SendIdle)>,
    pub(crate) next_barrier: u32,
    pub(crate) barriers: HashMap<u32, Key>,
}

pub(crate) struct Shared {
    pub(crate) id: u64,
    state: Mutex<State>,
    pub(crate) clock: Arc<dyn Clock>,
    origin: Instant,
    thread: Thread,
    pub(crate) epoch: AtomicU64,
    pub(crate) needs_wake: AtomicBool,
    wake_hook: RwLock<Option<WakeHook>>,
    pub(crate) config: Config,
}

static NEXT_LOOPER_ID: AtomicU64 = AtomicU64::new(1);
pub(crate) static NEXT_IDLE_ID: AtomicU64 = AtomicU64::new(1);

impl Shared {
    pub(crate) fn new(clock: Arc<dyn Clock>, config: Config, hook: Option<WakeHook>) -> Arc<Self> {
        let origin = origin_before(clock.now());
        let shared = Arc::new(Shared {
            id: NEXT_LOOPER_ID.fetch_add(1, SeqCst),
            state: Mutex::new(State {
                queue: Queue::default(),
                quit: None,
                orphans: Vec::new(),
                idle: Vec::new(),
                next_barrier: 0,
                barriers: HashMap::new(),
            }),
            clock,
            origin,
            thread: std::thread::current(),
            epoch: AtomicU64::new(0),
            needs_wake: AtomicBool::new(false),
            wake_hook: RwLock::new(hook),
            config,
        });
        if !shared.clock.advances_by_itself() {
            let weak = Arc::downgrade(&shared);
            shared.clock.subscribe(Box::new(move || {
                if let Some(s) = weak.upgrade() {
                    s.notify();
                }
            }));
        }
        shared
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // User code never runs under this lock except removal predicates;
        // a predicate that panics leaves the queue consistent (each removal
        // completes before the next predicate call), so poisoning is ignored.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Clock reading as queue ticks: nanoseconds since the looper's origin,
    /// plus one so that 0 stays reserved for front entries.
    #[inline]
    pub(crate) fn now_ticks(&self) -> u64 {
        self.ticks_of(self.clock.now())
    }

    #[inline]
    pub(crate) fn ticks_of(&self, t: Instant) -> u64 {
        match t.checked_duration_since(self.origin) {
            Some(d) => (d.as_nanos().min(u128::from(u64::MAX - 2)) as u64) + 1,
            None => 1,
        }
    }

    /// The instant a tick stands for; `None` for "never due".
    pub(crate) fn instant_of(&self, ticks: u64) -> Option<Instant> {
        match ticks {
            u64::MAX => None,
            FRONT => Some(self.origin),
            t => self.origin.checked_add(Duration::from_nanos(t - 1)),
        }
    }

    /// Announces new work: wakes the looper thread and the host if it said it
    /// is about to sleep (see the module docs for the protocol).
    #[inline]
    pub(crate) fn notify(&self) {
        self.epoch.fetch_add(1, SeqCst);
        if self.needs_wake.load(SeqCst) && self.needs_wake.swap(false, SeqCst) {
            self.wake();
        }
    }

    #[cold]
    fn wake(&self) {
        self.thread.unpark();
        let hook = self
            .wake_hook
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook();
        }
    }

    /// Quits with `mode` (ignoring `quit_allowed`; callers check it): drops
    /// what the mode says, rejects later posts, wakes the looper thread.
    pub(crate) fn quit(&self, mode: QuitMode) {
        let s = self;
        let now = s.now_ticks();
        let dropped: Vec<Job> = {
            let mut guard = s.lock();
            let st = &mut *guard;
            if st.quit.is_some() {
                return; // first call wins (L8)
            }
            st.quit = Some(mode);
            let dropped = match mode {
                QuitMode::Now => st.queue.drain_all(),
                QuitMode::Safely => st
                    .queue
                    .remove_if(|kind, when, _| kind != Kind::Barrier && when > now),
            };
            let queue = &st.queue;
            st.barriers.retain(|_, key| queue.contains(*key));
            dropped
                .into_iter()
                .map(|job| Shared::disown(st, job))
                .collect()
        };
        tracing::debug!(
            looper = s.id,
            ?mode,
            dropped = dropped.len(),
            "looper quitting"
        );
        drop(dropped);
        s.notify();
        // Make sure a sleeping looper sees the quit even if it is not parked
        // on `needs_wake` right now (for example spinning).
        s.thread.unpark();
    }

    pub(crate) fn set_wake_hook(&self, hook: Option<WakeHook>) {
        *self.wake_hook.write().unwrap_or_else(|e| e.into_inner()) = hook;
    }

    pub(crate) fn thread_id(&self) -> ThreadId {
        self.thread.id()
    }

    pub(crate) fn head(&self) -> Head {
        let now = self.now_ticks();
        self.lock().queue.head(now)
    }

    /// Takes local keys out of a removed job so the looper thread drops the
    /// closure; returns the job for the caller to drop outside the lock.
    pub(crate) fn disown(state: &mut State, job: Job) -> Job {
        if let JobKind::Local(k) = job.kind {
            state.orphans.push(k);
        }
        job
    }
}

/// How far before its creation a looper's tick scale starts (about 146
/// years): deadlines in the past keep their relative order down to there.
const PAST_RANGE: Duration = Duration::from_nanos(1 << 62);

/// The origin of a looper's tick scale: `PAST_RANGE` before `now`, or as far
/// back as the platform's `Instant` can go. Instants before the origin all
/// map to the same tick (still due at once, but FIFO among themselves).
fn origin_before(now: Instant) -> Instant {
    if let Some(t) = now.checked_sub(PAST_RANGE) {
        return t;
    }
    let mut step = PAST_RANGE;
    let mut t = now;
    while step > Duration::ZERO {
        match t.checked_sub(step) {
            Some(earlier) => t = earlier,
            None => step /= 2,
        }
    }
    t
}
