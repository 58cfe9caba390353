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

use crate::job::{Job, JobKind, Schedule, Token};
use crate::queue::{Head, Popped};
use crate::shared::{PanicPolicy, QuitMode, Shared};
use crate::{IdleHandlerId, Looper, LooperBuilder, LooperError};
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
type LocalIdle = Rc<RefCell<Box<dyn FnMut() -> bool + 'static>>>;

pub(crate) struct Local {
    looper: Looper,
    closures: RefCell<HashMap<u64, LocalClosure>>,
    next_local: Cell<u64>,
    idle: RefCell<Vec<(u64, LocalIdle)>>,
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
/// The handle cannot be sent to another thread:
///
/// ```compile_fail
/// let local = looper::Looper::prepare().unwrap();
/// std::thread::spawn(move || local.run());
/// ```
#[derive(Clone)]
pub struct LocalLooper {
    inner: Rc<Local>,
}

impl fmt::Debug for LocalLooper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LocalLooper").field(&self.inner.looper).finish()
    }
}

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

enum Step {
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

    fn shared(&self) -> &Arc<Shared> {
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
    pub fn post_at<F: FnOnce() + 'static>(&self, f: F, at: Instant) -> Result<Token, LocalRejected<F>> {
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

    /// Registers an idle handler that may capture `!Send` state (Q8).
    pub fn add_idle_handler(&self, f: impl FnMut() -> bool + 'static) -> IdleHandlerId {
        let id = crate::shared::NEXT_IDLE_ID.fetch_add(1, SeqCst);
        let boxed: Box<dyn FnMut() -> bool> = Box::new(f);
        self.inner.idle.borrow_mut().push((id, Rc::new(RefCell::new(boxed))));
        IdleHandlerId(id)
    }

    pub(crate) fn remove_local_idle(&self, id: IdleHandlerId) -> bool {
        let mut idle = self.inner.idle.borrow_mut();
        let before = idle.len();
        idle.retain(|(i, _)| *i != id.0);
        idle.len() != before
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
        let mut idle_ran = false;
        let mut now = shared.now_ticks();
        loop {
            match self.step(&shared, now, u64::MAX) {
                Step::Dispatch(popped) => {
                    now = self.dispatch(&shared, popped, now);
                    idle_ran = false;
                }
                Step::Exit(rest) => {
                    self.drop_jobs(rest);
                    return;
                }
                Step::Wait { head, epoch } => {
                    if !idle_ran && !matches!(head, Head::Stalled(_)) {
                        idle_ran = true;
                        if self.run_idle_handlers() {
                            now = shared.now_ticks();
                            continue;
                        }
                    }
                    self.wait(&shared, head, epoch);
                    now = shared.now_ticks();
                }
            }
        }
    }

    /// Dispatches everything that was due when the call began, without
    /// blocking; returns how many messages ran. For hosts that own the loop.
    pub fn dispatch_pending(&self) -> usize {
        self.pump(Budget::unlimited()).dispatched
    }

    /// Dispatches what was due when the call began, within `budget`, without
    /// blocking, then says when to call again. Messages posted during the pump
    /// wait for the next one, so a message that re-posts itself cannot starve
    /// the host. Idle handlers run once at the end if nothing is left due.
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
        let limit = shared.lock().queue.next_seq();
        let mut now = shared.ticks_of(start);
        let mut dispatched = 0;
        let mut exhausted = false;
        loop {
            if budget.max_messages.is_some_and(|m| dispatched >= m)
                || budget.max_time.is_some_and(|t| {
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
        if !exhausted && !matches!(head, Head::Due | Head::Stalled(_)) && self.run_idle_handlers() {
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

    /// When the next message is due: the current instant if something is due
    /// now, `None` if nothing will be without a post.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.inner.looper.next_due()
    }

    /// One iteration's decision, under the queue lock.
    fn step(&self, shared: &Shared, now: u64, seq_limit: u64) -> Step {
        let mut st = shared.lock();
        let orphans = if st.orphans.is_empty() {
            Vec::new()
        } else {
            std::mem::take(&mut st.orphans)
        };
        let step = match st.quit {
            Some(QuitMode::Now) => Step::Exit(st.queue.drain_all()),
            quit => match st.queue.pop_due(now, seq_limit) {
                Some(popped) => Step::Dispatch(popped),
                None if quit == Some(QuitMode::Safely)
                    && !matches!(st.queue.head(now), Head::Due) =>
                {
                    // Drained what was due at quit; drop what a barrier stalls.
                    Step::Exit(st.queue.drain_all())
                }
                None => Step::Wait {
                    head: st.queue.head(now),
                    epoch: shared.epoch.load(SeqCst),
                },
            },
        };
        drop(st);
        if !orphans.is_empty() {
            let mut closures = self.inner.closures.borrow_mut();
            let dropped: Vec<_> = orphans.iter().filter_map(|k| closures.remove(k)).collect();
            drop(closures);
            drop(dropped);
        }
        step
    }

    fn drop_jobs(&self, jobs: Vec<Job>) {
        let mut locals = Vec::new();
        for job in jobs {
            if let JobKind::Local(k) = job.kind {
                locals.extend(self.inner.closures.borrow_mut().remove(&k));
            }
        }
        drop(locals);
    }

    /// Runs one message; returns the clock reading taken after it, which the
    /// caller reuses as "now" for the next decision (one clock read per
    /// message serves both the slow-dispatch check and the next pop).
    fn dispatch(&self, shared: &Shared, popped: Popped<Job>, now: u64) -> u64 {
        let delay_ns = now.saturating_sub(popped.when.max(1));
        let span = tracing::trace_span!(
            "looper.dispatch",
            looper = shared.id,
            seq = popped.key.seq,
            queue_delay_ns = delay_ns
        );
        let _enter = span.enter();
        let job = popped.value;
        let seq = popped.key.seq;
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
        let after = shared.now_ticks();
        if let Some(threshold) = shared.config.slow_dispatch {
            let took = Duration::from_nanos(after.saturating_sub(now));
            if took >= threshold {
                tracing::warn!(
                    looper = shared.id,
                    seq,
                    took_us = took.as_micros() as u64,
                    threshold_us = threshold.as_micros() as u64,
                    "slow dispatch"
                );
            }
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

    /// Runs every idle handler once; returns whether there were any.
    fn run_idle_handlers(&self) -> bool {
        let shared = self.shared();
        let send: Vec<_> = shared.lock().idle.clone();
        let local: Vec<_> = self.inner.idle.borrow().clone();
        if send.is_empty() && local.is_empty() {
            return false;
        }
        let mut drop_ids = Vec::new();
        for (id, handler) in &send {
            let keep = catch_unwind(AssertUnwindSafe(|| {
                let mut h = handler.lock().unwrap_or_else(|e| e.into_inner());
                (*h)()
            }));
            if !idle_keep(shared.id, *id, keep) {
                drop_ids.push(*id);
            }
        }
        for (id, handler) in &local {
            let keep = catch_unwind(AssertUnwindSafe(|| (*handler.borrow_mut())()));
            if !idle_keep(shared.id, *id, keep) {
                drop_ids.push(*id);
            }
        }
        if !drop_ids.is_empty() {
            shared.lock().idle.retain(|(i, _)| !drop_ids.contains(i));
            self.inner.idle.borrow_mut().retain(|(i, _)| !drop_ids.contains(i));
        }
        true
    }

    /// Blocks until something may have changed: a post, a removal, a quit, a
    /// clock advance, or the head's due time.
    fn wait(&self, shared: &Shared, head: Head, epoch: u64) {
        let deadline = match head {
            Head::Due => return,
            Head::Later(t) | Head::Stalled(Some(t)) if t != u64::MAX => shared.instant_of(t),
            _ => None,
        };
        let changed = || shared.epoch.load(SeqCst) != epoch;
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

fn idle_keep(looper: u64, id: u64, result: std::thread::Result<bool>) -> bool {
    match result {
        Ok(keep) => keep,
        Err(payload) => {
            tracing::error!(
                looper,
                idle_handler = id,
                panic = panic_message(&*payload),
                "idle handler panicked; removed (Q8)"
            );
            false
        }
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
