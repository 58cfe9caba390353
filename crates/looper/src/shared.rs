//! The cross-thread half of a looper: the [`Looper`] handle.
//!
//! # Guarantees
//!
//! * [`Looper`] is `Send + Sync + Clone`; every method may be called from any
//!   thread. Posting never blocks on the looper running a message: the queue
//!   lock is held only to insert or remove an entry, never while user code
//!   runs (except a removal predicate, which must not call into the looper).
//! * A post either queues the job and returns its [`Token`], or (after quit)
//!   returns the job inside [`Rejected`] (L9).
//! * A removal is effective when it returns: a removed job never runs.
//! * After `quit`, nothing new is queued; `quit` drops everything pending,
//!   `quit_safely` drops only what is not yet due (L8).
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
use crate::error::{BarrierError, LooperError, Rejected};
use crate::job::{BarrierToken, Job, JobKind, Schedule, Token};
use crate::local::LocalLooper;
use crate::queue::{Head, Key, Kind, Queue, FRONT};
use crate::LooperBuilder;
use std::collections::HashMap;
use std::fmt;
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
    next_barrier: u32,
    barriers: HashMap<u32, Key>,
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
static MAIN: RwLock<Option<Looper>> = RwLock::new(None);

impl Shared {
    pub(crate) fn new(clock: Arc<dyn Clock>, config: Config, hook: Option<WakeHook>) -> Arc<Self> {
        let origin = clock.now();
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

/// A handle to a looper: post to it, remove from it, quit it, from any thread.
///
/// `Looper` is `Send + Sync` and cheap to clone (an `Arc`). The loop itself
/// runs on the looper's own thread through [`LocalLooper`], which only that
/// thread can hold.
///
/// ```
/// use looper::Looper;
/// use std::sync::mpsc;
///
/// let local = Looper::prepare().unwrap();
/// let looper = local.looper();
/// let (tx, rx) = mpsc::channel();
/// let worker = std::thread::spawn(move || {
///     looper.post(move || tx.send("ran on the looper thread").unwrap()).unwrap();
///     looper.quit_safely().unwrap();
/// });
/// worker.join().unwrap();
/// local.run();
/// assert_eq!(rx.recv().unwrap(), "ran on the looper thread");
/// ```
#[derive(Clone)]
pub struct Looper {
    pub(crate) shared: Arc<Shared>,
}

impl PartialEq for Looper {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for Looper {}

impl fmt::Debug for Looper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.lock();
        f.debug_struct("Looper")
            .field("id", &self.shared.id)
            .field("name", &self.shared.config.name)
            .field("thread", &self.shared.thread_id())
            .field("pending", &st.queue.len())
            .field("quit", &st.quit)
            .finish()
    }
}

impl Looper {
    /// Prepares a looper with default settings on the calling thread (L1).
    ///
    /// Returns the thread-bound [`LocalLooper`] that runs it; `.looper()` on
    /// that gives the `Send` handle. A second prepare on one thread is
    /// [`LooperError::AlreadyPrepared`].
    pub fn prepare() -> Result<LocalLooper, LooperError> {
        LooperBuilder::new().prepare()
    }

    /// Prepares the process's main looper on the calling thread (L4): a looper
    /// that may not quit, reachable from anywhere through [`Looper::main`].
    ///
    /// ```
    /// use looper::{Looper, LooperError};
    /// let main = Looper::prepare_main().unwrap();
    /// assert_eq!(Looper::main(), Some(main.looper()));
    /// assert_eq!(main.looper().quit(), Err(LooperError::QuitNotAllowed));
    /// let again = std::thread::spawn(|| Looper::prepare_main().map(|_| ())).join().unwrap();
    /// assert_eq!(again, Err(LooperError::MainAlreadyPrepared));
    /// ```
    pub fn prepare_main() -> Result<LocalLooper, LooperError> {
        let mut slot = MAIN.write().unwrap_or_else(|e| e.into_inner());
        if slot.is_some() {
            return Err(LooperError::MainAlreadyPrepared);
        }
        let local = LooperBuilder::new()
            .name("main")
            .quit_allowed(false)
            .prepare()?;
        *slot = Some(local.looper());
        Ok(local)
    }

    /// The main looper, once [`prepare_main`](Looper::prepare_main) ran (L4).
    pub fn main() -> Option<Looper> {
        MAIN.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Empties the main-looper slot so a test can prepare another (L4's
    /// `clearMainLooperForTest`). The old looper keeps working.
    #[cfg(feature = "test-util")]
    pub fn clear_main_for_test() {
        *MAIN.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The calling thread's looper, if it prepared one (L2). It stays
    /// available after the loop returns.
    ///
    /// ```
    /// assert!(looper::Looper::current().is_none());
    /// let local = looper::Looper::prepare().unwrap();
    /// assert_eq!(looper::Looper::current(), Some(local.looper()));
    /// ```
    pub fn current() -> Option<Looper> {
        LocalLooper::current().map(|l| l.looper())
    }

    /// Posts `f` to run on the looper thread behind everything already due.
    pub fn post(&self, f: impl FnOnce() + Send + 'static) -> Result<Token, Rejected> {
        self.enqueue(Job::closure(f), Schedule::Now)
    }

    /// Posts `f` to run after `delay` (Q1).
    ///
    /// `Duration::MAX` (or any delay past the representable future) queues
    /// it as never due: it stays pending until removed or the looper quits.
    pub fn post_delayed(
        &self,
        f: impl FnOnce() + Send + 'static,
        delay: Duration,
    ) -> Result<Token, Rejected> {
        self.enqueue(Job::closure(f), Schedule::Delayed(delay))
    }

    /// Posts `f` to run at `at` on the looper's clock; an instant in the
    /// past is due at once, ordered by that past time.
    pub fn post_at(&self, f: impl FnOnce() + Send + 'static, at: Instant) -> Result<Token, Rejected> {
        self.enqueue(Job::closure(f), Schedule::At(at))
    }

    /// Posts `f` ahead of everything already queued (Q3): several front
    /// posts run last-in first-out.
    pub fn post_at_front(&self, f: impl FnOnce() + Send + 'static) -> Result<Token, Rejected> {
        self.enqueue(Job::closure(f), Schedule::Front)
    }

    /// Queues `job` per `schedule`: the primitive every post is built on.
    ///
    /// ```
    /// use looper::{Job, Looper, Schedule};
    /// let local = Looper::prepare().unwrap();
    /// let token = local.looper().enqueue(Job::closure(|| ()), Schedule::Front).unwrap();
    /// assert!(local.looper().contains(token));
    /// ```
    pub fn enqueue(&self, job: Job, schedule: Schedule) -> Result<Token, Rejected> {
        let s = &*self.shared;
        let (when, immediate) = match schedule {
            Schedule::Now => (s.now_ticks(), true),
            Schedule::Delayed(d) => {
                let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
                (s.now_ticks().saturating_add(nanos), d.is_zero())
            }
            Schedule::At(t) => (s.ticks_of(t), false),
            Schedule::Front => (FRONT, false),
        };
        let kind = if job.asynchronous {
            Kind::Async
        } else {
            Kind::Sync
        };
        let mut st = s.lock();
        if st.quit.is_some() {
            drop(st);
            tracing::warn!(looper = s.id, job = ?job, "sending message to a looper on a dead thread");
            return Err(Rejected::new(job));
        }
        let key = st.queue.push(when, kind, immediate, job);
        drop(st);
        s.notify();
        Ok(Token {
            looper: s.id,
            slot: key.slot,
            seq: key.seq,
        })
    }

    /// Removes the job `token` names. Returns whether it was still queued;
    /// once this returns, that job will never run. Unknown tokens, tokens of
    /// other loopers and double removals return `false`.
    pub fn remove(&self, token: Token) -> bool {
        self.take(token).is_some()
    }

    /// Removes the job `token` names and hands it back, if still queued.
    pub fn take(&self, token: Token) -> Option<Job> {
        if token.looper != self.shared.id {
            return None;
        }
        let mut st = self.shared.lock();
        let popped = st.queue.remove(Key {
            slot: token.slot,
            seq: token.seq,
        })?;
        // Tokens are only handed out for jobs, never for barriers, and
        // sequence numbers are unique, so this cannot remove a barrier.
        let job = Shared::disown(&mut st, popped.value);
        drop(st);
        // The looper may be waiting for this entry's deadline; let it re-check.
        self.shared.notify();
        Some(job)
    }

    /// Whether the job `token` names is still queued.
    pub fn contains(&self, token: Token) -> bool {
        token.looper == self.shared.id
            && self.shared.lock().queue.contains(Key {
                slot: token.slot,
                seq: token.seq,
            })
    }

    /// Removes every queued job (never barriers) for which `pred` is true and
    /// returns how many. `pred` runs under the queue lock: it must not call
    /// into this looper. Effective when it returns.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let looper = local.looper();
    /// looper.post(|| ()).unwrap();
    /// looper.post(|| ()).unwrap();
    /// assert_eq!(looper.remove_if(|job| job.is_closure()), 2);
    /// assert_eq!(looper.pending_count(), 0);
    /// ```
    pub fn remove_if(&self, mut pred: impl FnMut(&Job) -> bool) -> usize {
        let mut st = self.shared.lock();
        let removed = st
            .queue
            .remove_if(|kind, _, job| kind != Kind::Barrier && pred(job));
        let removed: Vec<Job> = removed
            .into_iter()
            .map(|job| Shared::disown(&mut st, job))
            .collect();
        drop(st);
        let n = removed.len();
        drop(removed);
        if n > 0 {
            self.shared.notify();
        }
        n
    }

    /// Whether any queued job (never barriers) satisfies `pred`; `pred` runs
    /// under the queue lock and must not call into this looper.
    pub fn any(&self, mut pred: impl FnMut(&Job) -> bool) -> bool {
        self.shared
            .lock()
            .queue
            .any(|kind, _, job| kind != Kind::Barrier && pred(job))
    }

    /// Posts a sync barrier (Q9): synchronous messages ordered after it stall
    /// until it is removed; asynchronous ones still run. A barrier that is
    /// never removed stalls the looper forever (P14), so keep the token.
    ///
    /// ```
    /// use looper::{Job, Looper};
    /// use std::sync::{Arc, Mutex};
    /// let local = Looper::prepare().unwrap();
    /// let looper = local.looper();
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let barrier = looper.post_sync_barrier().unwrap();
    /// let l = log.clone();
    /// looper.post(move || l.lock().unwrap().push("sync")).unwrap();
    /// let l = log.clone();
    /// looper.enqueue(Job::closure(move || l.lock().unwrap().push("async")).asynchronous(true),
    ///                looper::Schedule::Now).unwrap();
    /// local.dispatch_pending();
    /// assert_eq!(*log.lock().unwrap(), ["async"]);
    /// looper.remove_sync_barrier(barrier).unwrap();
    /// local.dispatch_pending();
    /// assert_eq!(*log.lock().unwrap(), ["async", "sync"]);
    /// ```
    pub fn post_sync_barrier(&self) -> Result<BarrierToken, Rejected> {
        let s = &*self.shared;
        let when = s.now_ticks();
        let mut st = s.lock();
        let token = st.next_barrier;
        if st.quit.is_some() {
            return Err(Rejected::new(Job {
                kind: JobKind::Barrier(token),
                asynchronous: false,
            }));
        }
        st.next_barrier = st.next_barrier.wrapping_add(1);
        let job = Job {
            kind: JobKind::Barrier(token),
            asynchronous: false,
        };
        let key = st.queue.push(when, Kind::Barrier, true, job);
        st.barriers.insert(token, key);
        drop(st);
        s.notify();
        Ok(BarrierToken(token))
    }

    /// Removes a sync barrier; an unknown or already removed token is
    /// [`BarrierError`] (Q9), never a panic.
    pub fn remove_sync_barrier(&self, token: BarrierToken) -> Result<(), BarrierError> {
        let mut st = self.shared.lock();
        let key = st
            .barriers
            .remove(&token.0)
            .ok_or(BarrierError { token: token.0 })?;
        let removed = st.queue.remove(key);
        drop(st);
        debug_assert!(removed.is_some(), "barrier map and queue agree");
        self.shared.notify();
        Ok(())
    }

    /// Quits the looper (L8): drops every pending job and makes `run` return
    /// once the message being dispatched (if any) finishes. Every later post
    /// is rejected (L9). A second quit is a no-op; the main looper refuses
    /// with [`LooperError::QuitNotAllowed`] (L5).
    pub fn quit(&self) -> Result<(), LooperError> {
        self.quit_with(QuitMode::Now)
    }

    /// Quits the looper safely (L8): what is already due is still delivered,
    /// what is due later is dropped (judged once, now), then `run` returns.
    pub fn quit_safely(&self) -> Result<(), LooperError> {
        self.quit_with(QuitMode::Safely)
    }

    fn quit_with(&self, mode: QuitMode) -> Result<(), LooperError> {
        let s = &*self.shared;
        if !s.config.quit_allowed {
            return Err(LooperError::QuitNotAllowed);
        }
        let now = s.now_ticks();
        let dropped: Vec<Job> = {
            let mut guard = s.lock();
            let st = &mut *guard;
            if st.quit.is_some() {
                return Ok(()); // first call wins (L8)
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
        tracing::debug!(looper = s.id, ?mode, dropped = dropped.len(), "looper quitting");
        drop(dropped);
        s.notify();
        // Make sure a sleeping looper sees the quit even if it is not parked
        // on `needs_wake` right now (for example spinning).
        s.thread.unpark();
        Ok(())
    }

    /// Whether `quit` or `quit_safely` was called.
    pub fn is_quitting(&self) -> bool {
        self.shared.lock().quit.is_some()
    }

    /// Whether nothing is due now (Q7): the queue is empty or its first
    /// entry is due in the future.
    pub fn is_idle(&self) -> bool {
        !matches!(self.shared.head(), Head::Due)
    }

    /// How many entries are queued (barriers included).
    pub fn pending_count(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// When the next deliverable entry is due: `Some(now or earlier)` if
    /// something is due, `None` if nothing will become due without a post
    /// (empty, or stalled by a barrier with no asynchronous entry).
    pub fn next_due(&self) -> Option<Instant> {
        match self.shared.head() {
            Head::Due => Some(self.now()),
            Head::Later(t) | Head::Stalled(Some(t)) => self.shared.instant_of(t),
            Head::Stalled(None) | Head::Empty => None,
        }
    }

    /// The looper's clock reading.
    pub fn now(&self) -> Instant {
        self.shared.clock.now()
    }

    /// The clock this looper reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared.clock
    }

    /// Whether the calling thread is this looper's thread (L11).
    pub fn is_current_thread(&self) -> bool {
        std::thread::current().id() == self.shared.thread_id()
    }

    /// The thread that prepared this looper (L11).
    pub fn thread_id(&self) -> ThreadId {
        self.shared.thread_id()
    }

    /// The name given at build time, if any.
    pub fn name(&self) -> Option<&str> {
        self.shared.config.name.as_deref()
    }

    /// Registers an idle handler (Q8): it runs on the looper thread when the
    /// queue has nothing due and the looper is about to block, at most once
    /// per wait. Returning `false` removes it; a panic is reported and
    /// removes it too. Returns an id for [`remove_idle_handler`](Self::remove_idle_handler).
    pub fn add_idle_handler(&self, f: impl FnMut() -> bool + Send + 'static) -> IdleHandlerId {
        let id = NEXT_IDLE_ID.fetch_add(1, SeqCst);
        let boxed: Box<dyn FnMut() -> bool + Send> = Box::new(f);
        self.shared.lock().idle.push((id, Arc::new(Mutex::new(boxed))));
        // An idle looper should get the chance to run it.
        self.shared.notify();
        IdleHandlerId(id)
    }

    /// Removes an idle handler; returns whether it was registered. Removes
    /// local idle handlers too when called on the looper thread.
    pub fn remove_idle_handler(&self, id: IdleHandlerId) -> bool {
        let mut st = self.shared.lock();
        let before = st.idle.len();
        st.idle.retain(|(i, _)| *i != id.0);
        if st.idle.len() != before {
            return true;
        }
        drop(st);
        match LocalLooper::current() {
            Some(local) if local.looper() == *self => local.remove_local_idle(id),
            _ => false,
        }
    }

    /// A snapshot of every pending entry in delivery order, for debugging.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// local.looper().post_delayed(|| (), std::time::Duration::from_secs(5)).unwrap();
    /// let dump = local.looper().dump();
    /// assert_eq!(dump.entries.len(), 1);
    /// assert!(dump.to_string().contains("closure"));
    /// ```
    pub fn dump(&self) -> Dump {
        let now = self.now();
        let st = self.shared.lock();
        let entries = st
            .queue
            .snapshot()
            .into_iter()
            .map(|(when, seq, kind, job)| DumpEntry {
                due: match when {
                    FRONT => Due::Front,
                    u64::MAX => Due::Never,
                    t => match self.shared.instant_of(t) {
                        Some(i) => Due::At(i),
                        None => Due::Never,
                    },
                },
                sequence: seq,
                barrier: kind == Kind::Barrier,
                description: format!("{job:?}"),
            })
            .collect();
        Dump {
            looper: self.shared.id,
            name: self.shared.config.name.clone(),
            now,
            quitting: st.quit.is_some(),
            entries,
        }
    }
}

/// Names an idle handler for removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdleHandlerId(pub(crate) u64);

/// When a dumped entry is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Posted at the front of the queue.
    Front,
    /// Due at this instant of the looper's clock.
    At(Instant),
    /// Never due (an unrepresentably long delay).
    Never,
}

/// One pending entry in a [`Dump`].
#[derive(Debug, Clone)]
pub struct DumpEntry {
    /// When it is due.
    pub due: Due,
    /// Insertion sequence number (as [`Token::sequence`]).
    pub sequence: u64,
    /// Whether this is a sync barrier.
    pub barrier: bool,
    /// The job's description.
    pub description: String,
}

/// The pending entries of a looper, from [`Looper::dump`]. `Display` prints
/// one line per entry with its due time relative to now.
#[derive(Debug, Clone)]
pub struct Dump {
    /// The looper's id.
    pub looper: u64,
    /// The looper's name.
    pub name: Option<String>,
    /// The clock reading the dump was taken at.
    pub now: Instant,
    /// Whether the looper is quitting.
    pub quitting: bool,
    /// Entries in delivery order.
    pub entries: Vec<DumpEntry>,
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "looper #{} {:?}: {} pending{}",
            self.looper,
            self.name.as_deref().unwrap_or("-"),
            self.entries.len(),
            if self.quitting { " (quitting)" } else { "" }
        )?;
        for e in &self.entries {
            let due = match e.due {
                Due::Front => "front".to_string(),
                Due::Never => "never".to_string(),
                Due::At(t) if t >= self.now => format!("in {:?}", t - self.now),
                Due::At(t) => format!("{:?} ago", self.now - t),
            };
            writeln!(f, "  #{:<8} {:<16} {}", e.sequence, due, e.description)?;
        }
        Ok(())
    }
}
