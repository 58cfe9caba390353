//! The thread-safe heart of a task: its FutureTask-like state machine, shared
//! by the UI side, the worker, and every [`TaskHandle`](crate::TaskHandle).
//!
//! # Invariants
//!
//! * `phase` moves `NotSubmitted -> Queued -> Running -> Ended` (or straight
//!   to `Ended` when the task never runs); `Ended` is set once, by
//!   [`Core::complete`], which alone takes the `finisher` that posts the
//!   final UI message. So the UI's final callback is posted exactly once.
//! * `view` is what `get` sees (F1): `Waiting` until the background step
//!   ends (`Done`) or a cancel wins first (`Cancelled`, at once, A10/F2).
//!   Whichever comes first releases every waiter; the other changes nothing.
//! * Cancellation is requested on `token` unconditionally (A8), so the UI
//!   step can pick `on_cancelled` over `on_post_execute` even when `cancel`
//!   itself returned `false`.
//! * No user code runs under the state lock.

use crate::error::{BoxError, GetError, Interrupted, RecvError, RecvTimeoutError, TaskError};
use crate::executor::{Fate, Work, WorkSlot};
use crate::sync::{lock_std, wait_std, wait_timeout_std};
use crate::token::{report, CancellationToken, Cancelled, Registration};
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

static NEXT_TASK: AtomicU64 = AtomicU64::new(1);

/// Android's `AsyncTask.Status` (A1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Not executed yet.
    Pending,
    /// Executed; the final UI callback has not returned yet.
    Running,
    /// The final UI callback returned (or the task ended without one).
    Finished,
}

/// Where a task stands, as `get` would report it (F10, JDK's
/// `Future.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Not executed yet.
    Pending,
    /// Executed; no result yet.
    Running,
    /// The background step returned a value.
    Succeeded,
    /// The background step failed (D2).
    Failed,
    /// Cancelled before the background step returned, or it acknowledged the
    /// cancellation (C12).
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    NotSubmitted,
    Queued,
    Running,
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Waiting,
    Done,
    Cancelled,
}

pub(crate) enum Outcome<R> {
    Value(R),
    /// The background step returned its own cancellation (C12).
    Acknowledged,
    Failed(TaskError),
    /// Cancelled before it started (A9).
    NotRun,
    /// The value went to the UI and no handle is left to ask for it.
    Taken,
}

/// What the UI's final step receives.
pub(crate) enum Final<R> {
    Value(R),
    Cancelled,
    Failed(TaskError),
}

type Hook = Box<dyn FnOnce() + Send>;
pub(crate) type Finisher = Box<dyn FnOnce(&'static str) + Send>;

struct State<R> {
    phase: Phase,
    view: View,
    outcome: Option<Outcome<R>>,
    finisher: Option<Finisher>,
    async_waiters: Vec<flume::Sender<()>>,
    done_hooks: Vec<Hook>,
    links: Vec<Registration>,
}

pub(crate) struct Core<R> {
    pub(crate) id: u64,
    /// Cancellation requested, by any `cancel` (A8).
    pub(crate) token: CancellationToken,
    /// `cancel(true)`: interrupts the task's waits and runs its hooks (D5).
    pub(crate) interrupt: CancellationToken,
    pub(crate) slot: Arc<WorkSlot>,
    status: AtomicU8,
    headless: bool,
    state: Mutex<State<R>>,
    changed: Condvar,
    /// The idling tracker of the looper the task was started from (feature
    /// `test-util`); told when the task reaches `Finished`.
    #[cfg(feature = "test-util")]
    pub(crate) idle: std::sync::OnceLock<crate::testing::Tracked>,
}

impl<R: Send + 'static> Core<R> {
    pub(crate) fn new(headless: bool) -> Arc<Core<R>> {
        Arc::new(Core {
            id: NEXT_TASK.fetch_add(1, Ordering::Relaxed),
            token: CancellationToken::new(),
            interrupt: CancellationToken::new(),
            slot: WorkSlot::new(),
            status: AtomicU8::new(Status::Pending as u8),
            headless,
            state: Mutex::new(State {
                phase: Phase::NotSubmitted,
                view: View::Waiting,
                outcome: None,
                finisher: None,
                async_waiters: Vec::new(),
                done_hooks: Vec::new(),
                links: Vec::new(),
            }),
            changed: Condvar::new(),
            #[cfg(feature = "test-util")]
            idle: std::sync::OnceLock::new(),
        })
    }

    pub(crate) fn status(&self) -> Status {
        match self.status.load(Ordering::Acquire) {
            0 => Status::Pending,
            1 => Status::Running,
            _ => Status::Finished,
        }
    }

    pub(crate) fn set_status(&self, s: Status) {
        self.status.store(s as u8, Ordering::Release);
        self.announce_status(s);
    }

    /// The observable side of a status change (tracing, idle tracking).
    fn announce_status(&self, s: Status) {
        tracing::debug!(target: "looper_asynctask::task", task = self.id, status = ?s, "task status");
        #[cfg(feature = "test-util")]
        if s == Status::Finished {
            if let Some(tracked) = self.idle.get() {
                tracked.done();
            }
        }
    }

    #[cfg(feature = "test-util")]
    pub(crate) fn phase(&self) -> Phase {
        lock_std(&self.state).phase
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        lock_std(&self.state).phase = phase;
        tracing::trace!(target: "looper_asynctask::task", task = self.id, ?phase, "task phase");
    }

    /// Marks the work queued, unless a cancel got in first: then the task
    /// ends without running (A9) and this returns `false`. Checking the token
    /// after publishing the phase closes the race with a concurrent cancel,
    /// which flips the token before it reads the phase.
    pub(crate) fn enter_queue(&self) -> bool {
        self.set_phase(Phase::Queued);
        if self.token.is_cancelled() {
            if self.slot.cancel() {
                self.complete(Outcome::NotRun);
            }
            return false;
        }
        true
    }

    pub(crate) fn set_finisher(&self, f: Finisher) {
        lock_std(&self.state).finisher = Some(f);
    }

    pub(crate) fn take_finisher(&self) -> Option<Finisher> {
        lock_std(&self.state).finisher.take()
    }

    pub(crate) fn add_link(&self, reg: Registration) {
        let mut st = lock_std(&self.state);
        if st.phase == Phase::Ended {
            drop(st);
            drop(reg);
        } else {
            st.links.push(reg);
        }
    }

    /// Android's `cancel` (A8-A10, F2). See the module invariants.
    pub(crate) fn cancel(&self, may_interrupt: bool) -> bool {
        report(self.token.cancel(), "task token");
        let mut st = lock_std(&self.state);
        if st.view != View::Waiting {
            tracing::debug!(target: "looper_asynctask::task", task = self.id, "cancel: too late");
            return false;
        }
        st.view = View::Cancelled;
        let phase = st.phase;
        let released = release(&mut st);
        drop(st);
        self.changed.notify_all();
        tracing::debug!(target: "looper_asynctask::task", task = self.id, ?phase, may_interrupt, "task cancelled");
        released.run();
        match phase {
            // `execute` (or the queue) settles it.
            Phase::NotSubmitted | Phase::Ended => {}
            Phase::Queued if self.slot.cancel() => self.complete(Outcome::NotRun),
            Phase::Queued | Phase::Running => {
                if may_interrupt {
                    report(self.interrupt.cancel(), "task interrupt hooks");
                }
            }
        }
        true
    }

    /// Ends the task with `outcome` (once; later calls do nothing), releases
    /// waiters if a cancel did not already, and posts the final UI message.
    pub(crate) fn complete(&self, outcome: Outcome<R>) {
        let name = match &outcome {
            Outcome::Value(_) => "succeeded",
            Outcome::Acknowledged | Outcome::NotRun | Outcome::Taken => "cancelled",
            Outcome::Failed(_) => "failed",
        };
        let mut st = lock_std(&self.state);
        if st.phase == Phase::Ended {
            return;
        }
        st.phase = Phase::Ended;
        st.outcome = Some(outcome);
        let finisher = st.finisher.take();
        let headless_done = finisher.is_none() && self.headless;
        if headless_done {
            // A task without a UI side is finished with its step: the status
            // changes under the lock `get` reads the outcome under, so no
            // `get` can return and then see `Running`.
            self.status.store(Status::Finished as u8, Ordering::Release);
        }
        let released = if st.view == View::Waiting {
            st.view = View::Done;
            release(&mut st)
        } else {
            Released::default()
        };
        let links = std::mem::take(&mut st.links);
        drop(st);
        self.changed.notify_all();
        tracing::debug!(target: "looper_asynctask::task", task = self.id, outcome = name, "task ended");
        released.run();
        drop(links);
        match finisher {
            Some(f) => f(name),
            None if headless_done => self.announce_status(Status::Finished),
            None => {}
        }
    }

    /// The worker side: runs `body` unless cancelled first, maps its result
    /// to an outcome (D2, C12) and completes.
    pub(crate) fn work(
        self: &Arc<Self>,
        body: impl FnOnce() -> Result<R, BoxError> + Send + 'static,
    ) -> Work {
        let core = self.clone();
        Work::for_task(self.slot.clone(), move |fate| match fate {
            Fate::Run => {
                core.set_phase(Phase::Running);
                let outcome = match catch_unwind(AssertUnwindSafe(body)) {
                    Ok(Ok(v)) => Outcome::Value(v),
                    Ok(Err(e)) if core.is_acknowledgement(&*e) => Outcome::Acknowledged,
                    Ok(Err(e)) => Outcome::Failed(TaskError::from_error(e)),
                    Err(p) => {
                        Outcome::Failed(TaskError::panic(crate::error::panic_message(p.as_ref())))
                    }
                };
                core.complete(outcome);
            }
            Fate::Abandon => core.complete(Outcome::Failed(TaskError::abandoned())),
        })
    }

    /// C12: the background step's error is this task's own cancellation.
    fn is_acknowledgement(&self, e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
        let interrupted =
            |i: &Interrupted| i.token == self.interrupt && self.interrupt.is_cancelled();
        if let Some(c) = e.downcast_ref::<Cancelled>() {
            return c.token == self.token && self.token.is_cancelled();
        }
        if let Some(i) = e.downcast_ref::<Interrupted>() {
            return interrupted(i);
        }
        if let Some(RecvError::Interrupted(i)) = e.downcast_ref::<RecvError>() {
            return interrupted(i);
        }
        if let Some(RecvTimeoutError::Interrupted(i)) = e.downcast_ref::<RecvTimeoutError>() {
            return interrupted(i);
        }
        false
    }

    pub(crate) fn state(&self) -> TaskState {
        let st = lock_std(&self.state);
        match (st.view, &st.outcome) {
            (View::Waiting, _) if self.status() == Status::Pending => TaskState::Pending,
            (View::Waiting, _) => TaskState::Running,
            (View::Cancelled, _) => TaskState::Cancelled,
            (View::Done, Some(Outcome::Value(_) | Outcome::Taken)) => TaskState::Succeeded,
            (View::Done, Some(Outcome::Failed(_))) => TaskState::Failed,
            (View::Done, _) => TaskState::Cancelled,
        }
    }

    pub(crate) fn on_done(&self, hook: Hook) {
        let mut st = lock_std(&self.state);
        if st.view == View::Waiting {
            st.done_hooks.push(hook);
        } else {
            drop(st);
            hook();
        }
    }

    /// The future behind `result_async`: flume's async side wakes it when the
    /// waiters are released.
    pub(crate) fn resolved(&self) -> impl Future<Output = ()> + Send + 'static {
        let rx = {
            let mut st = lock_std(&self.state);
            (st.view == View::Waiting).then(|| {
                let (tx, rx) = flume::bounded(1);
                st.async_waiters.push(tx);
                rx
            })
        };
        async move {
            if let Some(rx) = rx {
                // Released by a send or by the sender's drop: either way done.
                let _ = rx.recv_async().await;
            }
        }
    }
}

impl<R: Clone + Send + 'static> Core<R> {
    /// `get` / `get_timeout` (A12, F5): waits for the view to leave
    /// `Waiting`, then reports it.
    pub(crate) fn get(&self, timeout: Option<Duration>) -> Result<R, GetError> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut st = lock_std(&self.state);
        while st.view == View::Waiting {
            match (timeout, deadline) {
                (None, _) | (Some(_), None) => st = wait_std(&self.changed, st),
                (Some(_), Some(deadline)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(GetError::Timeout);
                    }
                    st = wait_timeout_std(&self.changed, st, deadline - now);
                }
            }
        }
        report_view(&st)
    }

    pub(crate) fn try_result(&self) -> Option<Result<R, GetError>> {
        let st = lock_std(&self.state);
        (st.view != View::Waiting).then(|| report_view(&st))
    }

    /// The UI's final step: the value (moved out if nobody else can ask for
    /// it any more), or why there is none.
    pub(crate) fn take_final(self: &Arc<Self>) -> Final<R> {
        let mut st = lock_std(&self.state);
        let sole_owner = Arc::strong_count(self) == 1;
        match st.outcome.as_mut() {
            Some(Outcome::Value(_)) if sole_owner => match st.outcome.replace(Outcome::Taken) {
                Some(Outcome::Value(v)) => Final::Value(v),
                _ => unreachable!("matched a value just above"),
            },
            Some(Outcome::Value(v)) => Final::Value(v.clone()),
            Some(Outcome::Failed(e)) => Final::Failed(e.clone()),
            _ => Final::Cancelled,
        }
    }
}

fn report_view<R: Clone>(st: &State<R>) -> Result<R, GetError> {
    match (st.view, &st.outcome) {
        (View::Cancelled, _) => Err(GetError::Cancelled),
        (_, Some(Outcome::Value(v))) => Ok(v.clone()),
        (_, Some(Outcome::Failed(e))) => Err(GetError::Failed(e.clone())),
        _ => Err(GetError::Cancelled),
    }
}

#[derive(Default)]
struct Released {
    async_waiters: Vec<flume::Sender<()>>,
    hooks: Vec<Hook>,
}

impl Released {
    /// Wakes async waiters, then runs `on_done` hooks (F6: after waiters).
    fn run(self) {
        for tx in self.async_waiters {
            let _ = tx.try_send(());
        }
        for hook in self.hooks {
            if let Err(p) = catch_unwind(AssertUnwindSafe(hook)) {
                tracing::error!(
                    target: "looper_asynctask::task",
                    "an on_done hook panicked: {}",
                    crate::error::panic_message(p.as_ref())
                );
            }
        }
    }
}

fn release<R>(st: &mut State<R>) -> Released {
    Released {
        async_waiters: std::mem::take(&mut st.async_waiters),
        hooks: std::mem::take(&mut st.done_hooks),
    }
}

impl<R> fmt::Debug for Core<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock_std(&self.state);
        // F7: FutureTask's toString vocabulary.
        let state = match (st.view, &st.outcome) {
            (View::Waiting, _) => "Not completed".to_string(),
            (View::Cancelled, _) => "Cancelled".to_string(),
            (View::Done, Some(Outcome::Value(_) | Outcome::Taken)) => {
                "Completed normally".to_string()
            }
            (View::Done, Some(Outcome::Failed(e))) => format!("Completed exceptionally: {e}"),
            (View::Done, _) => "Cancelled".to_string(),
        };
        let status = match self.status.load(Ordering::Acquire) {
            0 => Status::Pending,
            1 => Status::Running,
            _ => Status::Finished,
        };
        f.debug_struct("Task")
            .field("id", &self.id)
            .field("status", &status)
            .field("state", &state)
            .finish()
    }
}
