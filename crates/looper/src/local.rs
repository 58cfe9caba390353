//! The thread-bound half of a looper: [`LocalLooper`] runs the loop.
//!
//! # Guarantees
//!
//! * `LocalLooper` is `!Send` and `!Sync`: only the thread that prepared the
//!   looper can hold one, so only that thread can run the loop, pump it, or
//!   post `!Send` closures to it (ARCHITECTURE rule 3, SEMANTICS D1). The
//!   compiler enforces this; there is no runtime check to forget.
//! * [`run`](LocalLooper::run) blocks without using CPU while nothing is due
//!   (a short spin first, then a park with a timeout for the next due time).
//! * [`pump`](LocalLooper::pump) never blocks: it dispatches what is due when
//!   it starts, within a count and time budget, and says when to come back.
//! * Dispatch order is the queue's (see [`crate::queue`]'s contract): due
//!   time, FIFO ties, front posts LIFO first, barriers honoured.
//! * When the preparing thread exits, its looper quits (pending jobs are
//!   dropped, later posts rejected, L9), so work sent to a dead thread comes
//!   back instead of vanishing.

use crate::idle::LocalIdle;
use crate::job::{Job, JobKind, Schedule, Token};
use crate::queue::{Head, Popped, FIFO_SLOT, FRONT};
use crate::shared::{PanicPolicy, QuitMode, Shared};
use crate::{Looper, LooperBuilder, LooperError};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A `!Send` closure stored on the looper thread; `into_any` lets a rejected
/// post hand the caller's own closure type back.
trait LocalJob {
    fn run(self: Box<Self>);
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}

impl<F: FnOnce() + 'static> LocalJob for F {
    fn run(self: Box<Self>) {
        (*self)()
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

type LocalClosure = Box<dyn LocalJob>;

/// A `!Send` closure refused because the looper has quit (L9): the closure
/// comes back, so nothing is dropped silently.
pub struct LocalRejected<F> {
    closure: F,
}

impl<F> LocalRejected<F> {
    /// The closure that was not queued.
    pub fn into_inner(self) -> F {
        self.closure
    }
}

impl<F> fmt::Debug for LocalRejected<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalRejected { .. }")
    }
}

impl<F> fmt::Display for LocalRejected<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending a local closure to a looper on a dead thread (it has quit)")
    }
}

impl<F> std::error::Error for LocalRejected<F> {}

pub(crate) struct Local {
    looper: Looper,
    closures: RefCell<HashMap<u64, LocalClosure>>,
    next_local: Cell<u64>,
    pub(crate) idle: RefCell<Vec<(u64, LocalIdle)>>,
    /// Whether the idle handlers already ran since the last dispatch: they
    /// run at most once per idle period, in `run` and across pumps (Q8, P18).
    pub(crate) idle_ran: Cell<bool>,
}

impl Drop for Local {
    fn drop(&mut self) {
        // The looper's thread is exiting (the thread-local holds the last
        // reference): nothing queued can ever run, so quit, making later
        // posts fail with the job handed back (L9) instead of vanishing, and
        // drop what is pending.
        drop(self.looper.shared.close_and_drain());
    }
}

thread_local! {
    static CURRENT: RefCell<Option<LocalLooper>> = const { RefCell::new(None) };
}

/// The looper as seen from its own thread: runs the loop and takes `!Send`
/// work.
///
/// Obtained from [`Looper::prepare`], [`LooperBuilder::prepare`] or
/// [`LocalLooper::current`]. It is `!Send`, so it never leaves its thread;
/// call [`looper`](LocalLooper::looper) for the `Send` handle other threads use.
///
/// ```
/// use std::rc::Rc;
/// use std::cell::RefCell;
///
/// let local = looper::Looper::prepare().unwrap();
/// let ui_state = Rc::new(RefCell::new(0)); // !Send state, fine here
/// let s = ui_state.clone();
/// local.post(move || *s.borrow_mut() += 1).unwrap();
/// local.dispatch_pending();
/// assert_eq!(*ui_state.borrow(), 1);
/// ```
///
/// When the thread that prepared the looper exits, the looper quits:
/// pending jobs are dropped and later posts are rejected (L9), so work sent
/// to a dead thread is never lost silently.
///
/// The handle cannot be sent to another thread:
///
/// ```compile_fail
/// let local = looper::Looper::prepare().unwrap();
/// std::thread::spawn(move || local.run());
/// ```
#[derive(Clone)]
pub struct LocalLooper {
    pub(crate) inner: Rc<Local>,
}

impl fmt::Debug for LocalLooper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LocalLooper")
            .field(&self.inner.looper)
            .finish()
    }
}

pub(crate) enum Step {
    Dispatch(Popped<Job>),
    Wait { head: Head, epoch: u64 },
    Exit(Vec<Job>),
}

impl LocalLooper {
    pub(crate) fn install(looper: Looper) -> Result<LocalLooper, LooperError> {
        CURRENT.with(|c| {
            let mut c = c.borrow_mut();
            if c.is_some() {
                return Err(LooperError::AlreadyPrepared);
            }
            let local = LocalLooper {
                inner: Rc::new(Local {
                    looper,
                    closures: RefCell::new(HashMap::new()),
                    next_local: Cell::new(0),
                    idle: RefCell::new(Vec::new()),
                    idle_ran: Cell::new(false),
                }),
            };
            *c = Some(local.clone());
            Ok(local)
        })
    }

    /// The calling thread's looper, if it prepared one (L2).
    pub fn current() -> Option<LocalLooper> {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// The `Send` handle other threads use to reach this looper.
    pub fn looper(&self) -> Looper {
        self.inner.looper.clone()
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.inner.looper.shared
    }

    /// Posts a closure that may capture `!Send` state; it runs on this thread
    /// behind everything already due. After quit the closure comes back in
    /// [`LocalRejected`] (L9).
    pub fn post<F: FnOnce() + 'static>(&self, f: F) -> Result<Token, LocalRejected<F>> {
        self.post_with(f, Schedule::Now)
    }

    /// Posts a `!Send` closure to run after `delay`.
    pub fn post_delayed<F: FnOnce() + 'static>(
        &self,
        f: F,
        delay: Duration,
    ) -> Result<Token, LocalRejected<F>> {
        self.post_with(f, Schedule::Delayed(delay))
    }

    /// Posts a `!Send` closure to run at `at` on the looper's clock.
    pub fn post_at<F: FnOnce() + 'static>(
        &self,
        f: F,
        at: Instant,
    ) -> Result<Token, LocalRejected<F>> {
        self.post_with(f, Schedule::At(at))
    }

    /// Posts a `!Send` closure ahead of everything queued (Q3).
    pub fn post_at_front<F: FnOnce() + 'static>(&self, f: F) -> Result<Token, LocalRejected<F>> {
        self.post_with(f, Schedule::Front)
    }

    /// Queues a `!Send` closure under any [`Schedule`]. The closure stays on
    /// this thread; only a key travels through the shared queue, and a
    /// removal from another thread has the closure dropped here.
    ///
    /// ```
    /// use looper::{Looper, Schedule};
    /// let local = Looper::prepare().unwrap();
    /// let rc = std::rc::Rc::new(5);
    /// local.post_with(move || assert_eq!(*rc, 5), Schedule::Front).unwrap();
    /// local.looper().quit().unwrap();
    /// let back = local.post_with(|| (), Schedule::Now).unwrap_err();
    /// (back.into_inner())();
    /// ```
    pub fn post_with<F: FnOnce() + 'static>(
        &self,
        f: F,
        schedule: Schedule,
    ) -> Result<Token, LocalRejected<F>> {
        let key = self.inner.next_local.get();
        self.inner.next_local.set(key + 1);
        self.inner.closures.borrow_mut().insert(key, Box::new(f));
        let job = Job {
            kind: JobKind::Local(key),
            asynchronous: false,
        };
        match self.inner.looper.enqueue(job, schedule) {
            Ok(token) => Ok(token),
            Err(_) => {
                let boxed = self
                    .inner
                    .closures
                    .borrow_mut()
                    .remove(&key)
                    .expect("a rejected local closure is still in the slab");
                let f = boxed
                    .into_any()
                    .downcast::<F>()
                    .expect("the slab holds the closure we just put in");
                Err(LocalRejected { closure: *f })
            }
        }
    }

    /// Sets (or clears) the hook called when another thread posts while the
    /// host loop sleeps: wire it to `EventLoopProxy::send_event`,
    /// `egui::Context::request_repaint` or a condition variable.
    pub fn set_wake_hook(&self, hook: Option<Arc<dyn Fn() + Send + Sync>>) {
        self.shared().set_wake_hook(hook);
    }

    /// Runs the loop on this thread until the looper quits (L6, L7, L8).
    ///
    /// Blocks while nothing is due. Returns at once if the looper already quit
    /// (L10). A panicking message unwinds out of `run` under
    /// [`PanicPolicy::Propagate`], leaving the rest of the queue intact and
    /// the looper runnable again. Calling `run` from inside a message nests a
    /// loop (allowed, as in Android; the outer loop resumes when it returns).
    pub fn run(&self) {
        let shared = self.shared().clone();
        let _span = tracing::debug_span!("looper.run", looper = shared.id).entered();
        let mut now = shared.now_ticks();
        loop {
            match self.step(&shared, now, u64::MAX) {
                Step::Dispatch(popped) => {
                    now = self.dispatch(&shared, popped, now);
                }
                Step::Exit(rest) => {
                    self.drop_jobs(rest);
                    return;
                }
                Step::Wait { head, epoch } => {
                    if !matches!(head, Head::Stalled(_)) && self.run_idle_handlers_once() {
                        // Re-check without sleeping: a handler may have posted.
                        now = shared.now_ticks();
                        continue;
                    }
                    self.wait(&shared, head, epoch);
                    now = shared.now_ticks();
                }
            }
        }
    }

    /// When the next message is due: the current instant if something is due
    /// now, `None` if nothing will be without a post.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.inner.looper.next_due()
    }

    /// One iteration's decision, under the queue lock.
    ///
    /// `now` may be an old clock reading (the loop only reads the clock when
    /// it has to): if nothing is due by it, the clock is read again and the
    /// decision retried, so a stale `now` never delays a due message.
    pub(crate) fn step(&self, shared: &Shared, now: u64, seq_limit: u64) -> Step {
        let mut st = shared.lock_unmoved();
        let mut now = now;
        // Fast path: a FIFO or front entry precedes everything still in the
        // inbox (FIFO entries have smaller due times and sequence numbers than
        // inbox entries; front entries come first of all), so it can run
        // without taking the inbox lock that posters are using. Anything
        // else, or nothing, needs the inbox moved in first.
        if st.quit != Some(QuitMode::Now) {
            let fast = st.queue.pop_due_if(now, seq_limit, |key, when| {
                key.slot == FIFO_SLOT || when == FRONT
            });
            if let Some(popped) = fast {
                let orphans = std::mem::take(&mut st.orphans);
                drop(st);
                self.drop_orphans(orphans);
                return Step::Dispatch(popped);
            }
        }
        shared.move_inbox_if_changed(&mut st);
        let orphans = if st.orphans.is_empty() {
            Vec::new()
        } else {
            std::mem::take(&mut st.orphans)
        };
        let step = match st.quit {
            Some(QuitMode::Now) => Step::Exit(st.queue.drain_all()),
            quit => match st.queue.pop_due(now, seq_limit).or_else(|| {
                now = now.max(shared.now_ticks());
                st.queue.pop_due(now, seq_limit)
            }) {
                Some(popped) => Step::Dispatch(popped),
                None if quit == Some(QuitMode::Safely)
                    && !matches!(st.queue.head(now), Head::Due) =>
                {
                    // Drained what was due at quit; drop what a barrier stalls.
                    Step::Exit(st.queue.drain_all())
                }
                None => Step::Wait {
                    head: st.queue.head(now),
                    epoch: st.moved_epoch,
                },
            },
        };
        drop(st);
        self.drop_orphans(orphans);
        step
    }

    /// Drops `!Send` closures whose jobs another thread removed.
    fn drop_orphans(&self, orphans: Vec<u64>) {
        if !orphans.is_empty() {
            let mut closures = self.inner.closures.borrow_mut();
            let dropped: Vec<_> = orphans.iter().filter_map(|k| closures.remove(k)).collect();
            drop(closures);
            drop(dropped);
        }
    }

    pub(crate) fn drop_jobs(&self, jobs: Vec<Job>) {
        let mut locals = Vec::new();
        for job in jobs {
            if let JobKind::Local(k) = job.kind {
                locals.extend(self.inner.closures.borrow_mut().remove(&k));
            }
        }
        drop(locals);
    }

    /// Runs one message; returns the best known "now" afterwards for the
    /// caller's next decision.
    ///
    /// The clock is read only when someone asked for timing: a slow-dispatch
    /// threshold is set, or the dispatch span is being recorded. Otherwise
    /// the entry's own due time (a past clock reading) advances `now` for
    /// free: a clock read costs tens of nanoseconds on virtual machines,
    /// a large share of a dispatch.
    pub(crate) fn dispatch(&self, shared: &Shared, popped: Popped<Job>, now: u64) -> u64 {
        let seq = popped.key.seq;
        let when = popped.when;
        self.inner.idle_ran.set(false);
        // One relaxed load decides whether anyone records TRACE spans at all;
        // without a subscriber that wants them, no span is built (this also
        // keeps tracing's `log` compatibility path off the hot path).
        let traced = tracing::level_enabled!(tracing::Level::TRACE);
        let timed = traced || shared.config.slow_dispatch.is_some();
        let start = if timed {
            shared.now_ticks()
        } else {
            now.max(when)
        };
        let span = if traced {
            // A front entry has no due time; its queue delay is not meaningful.
            let delay = if when == crate::queue::FRONT {
                0
            } else {
                start.saturating_sub(when)
            };
            tracing::trace_span!(
                "looper.dispatch",
                looper = shared.id,
                seq,
                queue_delay_ns = delay
            )
        } else {
            tracing::Span::none()
        };
        let _enter = span.enter();
        let job = popped.value;
        match shared.config.panic_policy {
            PanicPolicy::Propagate => self.run_job(job),
            PanicPolicy::CatchAndLog => {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| self.run_job(job))) {
                    tracing::error!(
                        looper = shared.id,
                        seq,
                        panic = panic_message(&*payload),
                        "message panicked; continuing (PanicPolicy::CatchAndLog)"
                    );
                }
            }
        }
        let Some(threshold) = shared.config.slow_dispatch else {
            return start;
        };
        let after = shared.now_ticks();
        let took = Duration::from_nanos(after.saturating_sub(start));
        if took >= threshold {
            tracing::warn!(
                looper = shared.id,
                seq,
                took_us = took.as_micros() as u64,
                threshold_us = threshold.as_micros() as u64,
                "slow dispatch"
            );
        }
        after
    }

    #[inline]
    fn run_job(&self, job: Job) {
        match job.kind {
            JobKind::Closure(f) => f(),
            JobKind::Message(m) => m.dispatch(),
            JobKind::Local(k) => {
                let f = self.inner.closures.borrow_mut().remove(&k);
                if let Some(f) = f {
                    f.run();
                }
            }
            JobKind::Barrier(_) => unreachable!("barriers are never dispatched"),
        }
    }

    /// Blocks until something may have changed: a post, a removal, a quit, a
    /// clock advance, or the head's due time.
    fn wait(&self, shared: &Shared, head: Head, epoch: u64) {
        let deadline = match head {
            Head::Due => return,
            Head::Later(t) | Head::Stalled(Some(t)) if t != u64::MAX => shared.instant_of(t),
            _ => None,
        };
        let changed = || shared.hot.epoch.load(SeqCst) != epoch;
        if shared.config.spin {
            // Brief spin-then-yield before parking: a reply that arrives within
            // a few microseconds costs no futex round trip (targets 1, 2).
            for step in 0..10u32 {
                if changed() {
                    return;
                }
                if step < 6 {
                    for _ in 0..(1u32 << step) {
                        std::hint::spin_loop();
                    }
                } else {
                    std::thread::yield_now();
                }
            }
        }
        shared.needs_wake.store(true, SeqCst);
        if changed() {
            shared.needs_wake.store(false, Relaxed);
            return;
        }
        match deadline {
            Some(at) if shared.clock.advances_by_itself() => {
                let left = at.saturating_duration_since(shared.clock.now());
                let margin = shared.config.timer_margin;
                if left > margin {
                    // Park until shortly before the deadline; the final stretch
                    // is a yield loop, trading a little CPU for precision
                    // (park_timeout alone is late by the kernel's timer slack).
                    std::thread::park_timeout(left - margin);
                } else {
                    while !changed() && shared.clock.now() < at {
                        std::thread::yield_now();
                    }
                }
            }
            _ => std::thread::park(),
        }
        shared.needs_wake.store(false, Relaxed);
    }
}

/// The text of a panic payload, for reports.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

impl LooperBuilder {
    /// Prepares the looper on the calling thread (L1) and returns its
    /// thread-bound handle.
    pub fn prepare(self) -> Result<LocalLooper, LooperError> {
        if LocalLooper::current().is_some() {
            return Err(LooperError::AlreadyPrepared);
        }
        let (clock, config, hook) = self.into_parts();
        let looper = Looper {
            shared: Shared::new(clock, config, hook),
        };
        LocalLooper::install(looper)
    }
}

/// Runs the calling thread's looper until it quits (Android's `Looper.loop()`),
/// or fails with [`LooperError::NoLooper`] on a thread that never prepared (L6).
///
/// ```
/// assert_eq!(looper::run_current(), Err(looper::LooperError::NoLooper));
/// ```
pub fn run_current() -> Result<(), LooperError> {
    let local = LocalLooper::current().ok_or(LooperError::NoLooper)?;
    local.run();
    Ok(())
}
