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

use crate::clock::Clock;
use crate::error::{BarrierError, LooperError, Rejected};
use crate::job::{BarrierToken, Job, JobKind, Schedule, Token};
use crate::local::LocalLooper;
use crate::queue::{Head, Key, Kind, FRONT};
use crate::shared::{QuitMode, Shared, NEXT_IDLE_ID};
use crate::LooperBuilder;
use std::fmt;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

static MAIN: RwLock<Option<Looper>> = RwLock::new(None);

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
    pub fn post_at(
        &self,
        f: impl FnOnce() + Send + 'static,
        at: Instant,
    ) -> Result<Token, Rejected> {
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
        let undelayed = match schedule {
            Schedule::Now => true,
            Schedule::Delayed(d) => d.is_zero(),
            _ => false,
        };
        if undelayed && !job.asynchronous {
            // The hot path: through the inbox, without the queue lock.
            return match s.post_now(job) {
                Ok(key) => Ok(Token {
                    looper: s.id,
                    slot: key.slot,
                    seq: key.seq,
                }),
                Err(job) => Err(reject(s.id, job)),
            };
        }
        let when = match schedule {
            Schedule::Now => s.now_ticks(),
            Schedule::Delayed(d) => {
                let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
                s.now_ticks().saturating_add(nanos)
            }
            Schedule::At(t) => s.ticks_of(t),
            Schedule::Front => FRONT,
        };
        let kind = if job.asynchronous {
            Kind::Async
        } else {
            Kind::Sync
        };
        let mut st = s.lock();
        if st.quit.is_some() {
            drop(st);
            return Err(reject(s.id, job));
        }
        let seq = s.next_seq();
        let key = st.queue.push(seq, when, kind, job);
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
        let seq = s.next_seq();
        let key = st.queue.push(seq, when, Kind::Barrier, job);
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
        // A quit drops barriers from the queue; the token is then as good as
        // removed, so report it the same way.
        let removed = st.queue.remove(key);
        drop(st);
        match removed {
            Some(_) => {
                self.shared.notify();
                Ok(())
            }
            None => Err(BarrierError { token: token.0 }),
        }
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
        if !self.shared.config.quit_allowed {
            return Err(LooperError::QuitNotAllowed);
        }
        self.shared.quit(mode);
        Ok(())
    }

    /// Whether `quit` or `quit_safely` was called.
    pub fn is_quitting(&self) -> bool {
        self.shared.lock().quit.is_some()
    }

    /// Whether nothing is due now (Q7): the queue is empty or its first
    /// entry is due in the future. As in Android, a due sync barrier at the
    /// head counts as due, so a stalled queue is not idle (a leaked barrier
    /// shows up here, P14).
    pub fn is_idle(&self) -> bool {
        matches!(self.shared.head(), Head::Empty | Head::Later(_))
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
    /// per idle period (between two dispatches, P18). Returning `false` removes
    /// it; a panic is reported and removes it too. A handler added while the
    /// looper is already idle and has run its handlers waits for the next
    /// idle period, as in Android (post a no-op message to start a new
    /// one). Returns an id for
    /// [`remove_idle_handler`](Self::remove_idle_handler).
    pub fn add_idle_handler(&self, f: impl FnMut() -> bool + Send + 'static) -> IdleHandlerId {
        let id = NEXT_IDLE_ID.fetch_add(1, SeqCst);
        let boxed: Box<dyn FnMut() -> bool + Send> = Box::new(f);
        self.shared
            .lock()
            .idle
            .push((id, Arc::new(Mutex::new(boxed))));
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
}

/// Names an idle handler for removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdleHandlerId(pub(crate) u64);

#[cold]
fn reject(looper: u64, job: Job) -> Rejected {
    tracing::warn!(looper, job = ?job, "sending message to a looper on a dead thread");
    Rejected::new(job)
}
