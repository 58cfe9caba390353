//! Looper internals shared by both halves: the queue under its lock, the
//! clock, the wake protocol, configuration.
//!
//! # The inbox
//!
//! Undelayed synchronous posts, the hot path, do not take the queue lock:
//! they append to `inbox` under a lock of its own, held only for a push (the
//! clock is read before taking it). Whoever next takes the queue lock
//! through [`Shared::lock`] first moves the whole inbox into the queue's FIFO
//! lane, so the looper thread pays for the queue lock once per batch rather
//! than once per post, and producers rarely contend with it. Sequence numbers
//! come from one counter for every lane (assigned under the inbox lock for
//! inbox entries, so they grow along the inbox), which keeps FIFO ties exact
//! across lanes, and tokens of inbox entries stay valid across the move.
//! Lock order: queue, then inbox.
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
use crate::queue::{Head, Key, Kind, Queue, FIFO_SLOT, FRONT};
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
    /// An epoch reading such that every post counted in it is in `queue`
    /// (see [`Shared::lock`]). A sleeper must wait for the epoch to move
    /// past *this* value: a fresh reading could count a post that reached
    /// the inbox after the queue was looked at, and that post would be lost.
    pub(crate) moved_epoch: u64,
}

/// Undelayed posts not yet moved into the queue (see the module docs).
pub(crate) struct Inbox {
    entries: Vec<(u64, u64, Job)>,
    /// The one sequence counter of every lane (FIFO ties, tokens).
    next_seq: u64,
    /// The largest due time handed out, so inbox entries stay sorted by time.
    last_when: u64,
    /// Set by quit: later posts are rejected.
    closed: bool,
}

/// The inbox lock and the epoch counter, which every post writes, kept on
/// one cache line so a post moves one contended line, not several.
#[repr(C, align(64))]
pub(crate) struct Hot {
    inbox: Mutex<Inbox>,
    /// Bumped by every post (under the inbox lock for inbox posts), removal,
    /// quit and clock advance: a sleeper that saw it unchanged missed nothing.
    pub(crate) epoch: AtomicU64,
}

pub(crate) struct Shared {
    pub(crate) id: u64,
    state: Mutex<State>,
    /// What every post touches, on one cache line.
    pub(crate) hot: Hot,
    pub(crate) clock: Arc<dyn Clock>,
    origin: Instant,
    thread: Thread,
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
                moved_epoch: 0,
            }),
            hot: Hot {
                inbox: Mutex::new(Inbox {
                    entries: Vec::new(),
                    next_seq: 0,
                    last_when: 0,
                    closed: false,
                }),
                epoch: AtomicU64::new(0),
            },
            clock,
            origin,
            thread: std::thread::current(),
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

    /// The queue, with every post that returned before this call in it.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        let mut st = self.lock_unmoved();
        self.move_inbox_if_changed(&mut st);
        st
    }

    /// The queue without moving the inbox in: only for the looper thread's
    /// dispatch decision, which may take a FIFO or front entry first because
    /// those precede every inbox entry (see `LocalLooper::step`).
    pub(crate) fn lock_unmoved(&self) -> MutexGuard<'_, State> {
        // User code never runs under this lock except removal predicates;
        // a predicate that panics leaves the queue consistent (each removal
        // completes before the next predicate call), so poisoning is ignored.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the inbox into the queue if anything was posted since the last
    /// move. A post that returned bumped the epoch under the inbox lock
    /// before returning; whoever holds its token or observed its return sees
    /// an epoch past the last move here.
    pub(crate) fn move_inbox_if_changed(&self, st: &mut State) {
        if self.hot.epoch.load(SeqCst) != st.moved_epoch {
            let mut inbox = self.lock_inbox();
            self.move_inbox(st, &mut inbox);
        }
    }

    fn lock_inbox(&self) -> MutexGuard<'_, Inbox> {
        // Only pushes and moves happen under this lock: no user code.
        self.hot.inbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn move_inbox(&self, st: &mut State, inbox: &mut Inbox) {
        // Every inbox push counted in this reading is in `entries` (both
        // happen under the inbox lock, which we hold).
        st.moved_epoch = self.hot.epoch.load(SeqCst);
        for (seq, when, job) in inbox.entries.drain(..) {
            st.queue.push_fifo(seq, when, job);
        }
    }

    /// The hot path: queues an undelayed synchronous job through the inbox.
    #[inline]
    pub(crate) fn post_now(&self, job: Job) -> Result<Key, Job> {
        let when = self.now_ticks();
        let mut inbox = self.lock_inbox();
        if inbox.closed {
            return Err(job);
        }
        let when = when.max(inbox.last_when);
        inbox.last_when = when;
        let seq = inbox.next_seq;
        inbox.next_seq += 1;
        inbox.entries.push((seq, when, job));
        // Same cache line as the lock we hold: no extra line to fight over.
        self.hot.epoch.fetch_add(1, SeqCst);
        drop(inbox);
        self.wake_if_sleeping();
        Ok(Key {
            slot: FIFO_SLOT,
            seq,
        })
    }

    /// Draws the next sequence number for a slab-lane entry (under the queue
    /// lock; lock order queue, then inbox).
    pub(crate) fn next_seq(&self) -> u64 {
        let mut inbox = self.lock_inbox();
        let seq = inbox.next_seq;
        inbox.next_seq += 1;
        seq
    }

    /// The sequence number the next entry will get: every entry queued
    /// before this call has a smaller one.
    pub(crate) fn seq_now(&self) -> u64 {
        self.lock_inbox().next_seq
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
        self.hot.epoch.fetch_add(1, SeqCst);
        self.wake_if_sleeping();
    }

    /// The poster's half of the wake protocol, after its epoch bump.
    #[inline]
    fn wake_if_sleeping(&self) {
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
            {
                // Close the inbox and take what raced in before it closed:
                // those posts returned Ok and are judged like any pending job.
                let mut inbox = s.lock_inbox();
                inbox.closed = true;
                s.move_inbox(st, &mut inbox);
            }
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

    /// Quits (if not already quitting), closes the inbox and takes every
    /// pending job out, for the caller to drop outside the lock.
    pub(crate) fn close_and_drain(&self) -> Vec<Job> {
        let mut guard = self.lock();
        let st = &mut *guard;
        st.quit.get_or_insert(QuitMode::Now);
        {
            let mut inbox = self.lock_inbox();
            inbox.closed = true;
            self.move_inbox(st, &mut inbox);
        }
        st.orphans.clear();
        st.barriers.clear();
        st.queue.drain_all()
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
