//! [`TaskHandle`]: a task seen from any thread (FutureTask's side of it),
//! and tasks without a UI side: [`spawn`] and [`run_with_timeout`].
//!
//! # Guarantees
//!
//! * `TaskHandle` is `Send + Sync + Clone`; every method works from any
//!   thread, including the looper's (where `get` blocks it, P9).
//! * `get` returns as soon as the background step returns or a cancel wins,
//!   whichever is first (A10, A12, F2); later events never change its answer.
//! * A task whose executor refuses it ends failed and never runs later.

use crate::context::Context;
use crate::core::{Core, Outcome, Status, TaskState};
use crate::error::{BoxError, GetError, RejectedError, TaskError};
use crate::executor::Executor;
use crate::progress::ProgressTx;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The executor refused the work: drop it unrun (it must never run later)
/// and end the task failed.
pub(crate) fn settle_rejected<R: Send + 'static>(
    core: &Arc<Core<R>>,
    rejected: &mut RejectedError,
) {
    if let Some(work) = rejected.take_work() {
        work.disarm();
    }
    core.complete(Outcome::Failed(TaskError::rejected(rejected.reason())));
}

/// A `Send + Sync + Clone` handle to a task: cancel it, ask its state, wait
/// for its result, from any thread.
pub struct TaskHandle<R> {
    pub(crate) core: Arc<Core<R>>,
}

impl<R> TaskHandle<R> {
    pub(crate) fn new(core: Arc<Core<R>>) -> TaskHandle<R> {
        TaskHandle { core }
    }
}

impl<R> Clone for TaskHandle<R> {
    fn clone(&self) -> Self {
        TaskHandle {
            core: self.core.clone(),
        }
    }
}

impl<R> fmt::Debug for TaskHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.core, f)
    }
}

impl<R: Send + 'static> TaskHandle<R> {
    /// The task's id (as in its trace events).
    pub fn id(&self) -> u64 {
        self.core.id
    }

    /// Android's `cancel(mayInterruptIfRunning)` (A8-A10, F2). Always marks
    /// the task cancelled; returns `true` if this call stopped the result
    /// from being reported: queued (it will never run; `on_cancelled(None)`
    /// follows via the looper) or running (`get` reports cancelled at once;
    /// `on_cancelled(Some(r))` follows when the step returns). Returns
    /// `false` once the background step ended, or on a second call. With
    /// `may_interrupt_if_running`, also interrupts the step's waits and runs
    /// its `on_cancel` hooks, on this thread.
    pub fn cancel(&self, may_interrupt_if_running: bool) -> bool {
        self.core.cancel(may_interrupt_if_running)
    }

    /// Whether `cancel` was ever called (A8), even too late.
    pub fn is_cancelled(&self) -> bool {
        self.core.token.is_cancelled()
    }

    /// Android's status (A1).
    pub fn status(&self) -> Status {
        self.core.status()
    }

    /// The state `get` would report (F10).
    pub fn state(&self) -> TaskState {
        self.core.state()
    }

    /// Whether `get` would return without waiting.
    pub fn is_done(&self) -> bool {
        !matches!(self.state(), TaskState::Pending | TaskState::Running)
    }

    /// Runs `f` once the task is done (succeeded, failed or cancelled), on
    /// the thread that completed it, after waiters were released (F6); at
    /// once if it already is.
    pub fn on_done(&self, f: impl FnOnce() + Send + 'static) {
        self.core.on_done(Box::new(f));
    }
}

impl<R: Send + Clone + 'static> TaskHandle<R> {
    /// Waits for the result (A12, F5): as soon as the background step
    /// returns (before `on_post_execute` runs), or at once with
    /// [`GetError::Cancelled`] when cancelled.
    pub fn get(&self) -> Result<R, GetError> {
        self.core.get(None)
    }

    /// [`get`](Self::get), giving up with [`GetError::Timeout`] after
    /// `timeout` (zero: do not wait).
    pub fn get_timeout(&self, timeout: Duration) -> Result<R, GetError> {
        self.core.get(Some(timeout))
    }

    /// The result if the task is done, without waiting (F10).
    pub fn try_result(&self) -> Option<Result<R, GetError>> {
        self.core.try_result()
    }

    /// A future of the result, for async code (flume's async side wakes it).
    ///
    /// ```
    /// use looper_asynctask::{spawn, ThreadPool};
    /// let pool = ThreadPool::builder().threads(1).build().unwrap();
    /// let task = spawn(&pool, |_| Ok(5)).unwrap();
    /// assert_eq!(pollster::block_on(task.result_async()).unwrap(), 5);
    /// ```
    pub fn result_async(&self) -> impl Future<Output = Result<R, GetError>> + Send + 'static {
        let resolved = self.core.resolved();
        let core = self.core.clone();
        async move {
            resolved.await;
            core.try_result().unwrap_or(Err(GetError::Cancelled))
        }
    }
}

/// Runs `f` on `executor` as a task without UI side (a FutureTask) and
/// returns its handle.
///
/// ```
/// use looper_asynctask::{spawn, SerialExecutor};
/// let exec = SerialExecutor::new("work").unwrap();
/// let task = spawn(&exec, |ctx| {
///     ctx.check_cancelled()?;
///     Ok(2 + 2)
/// })
/// .unwrap();
/// assert_eq!(task.get().unwrap(), 4);
/// ```
pub fn spawn<E, R, F>(executor: &E, f: F) -> Result<TaskHandle<R>, RejectedError>
where
    E: Executor + ?Sized,
    R: Send + 'static,
    F: FnOnce(&Context) -> Result<R, BoxError> + Send + 'static,
{
    let core: Arc<Core<R>> = Core::new(true);
    core.set_status(Status::Running);
    // Started from a looper thread: busy for that looper's idling.
    #[cfg(feature = "test-util")]
    if let Some(local) = looper::LocalLooper::current() {
        crate::testing::track(&local, &core);
    }
    core.enter_queue();
    let (token, interrupt) = (core.token.clone(), core.interrupt.clone());
    let work = core.work(move || {
        let ctx = Context::new(token, interrupt, ProgressTx::Discard);
        let result = f(&ctx);
        drop(ctx);
        result
    });
    match executor.execute(work) {
        Ok(()) => Ok(TaskHandle { core }),
        Err(mut rejected) => {
            settle_rejected(&core, &mut rejected);
            Err(rejected)
        }
    }
}

/// Java Concurrency in Practice's `TimedRun` in one call (F9): runs `f` on
/// `executor`, waits at most `timeout` for its result, then cancels it with
/// interruption (harmless if it already finished).
///
/// ```
/// use looper_asynctask::{run_with_timeout, GetError, ThreadPool};
/// use std::time::Duration;
/// let pool = ThreadPool::builder().threads(1).build().unwrap();
/// let slow = run_with_timeout(&pool, Duration::from_millis(10), |ctx| {
///     ctx.sleep(Duration::from_secs(3600))?; // interrupted by the cancel
///     Ok(())
/// });
/// assert!(matches!(slow, Err(GetError::Timeout)));
/// ```
pub fn run_with_timeout<E, R, F>(executor: &E, timeout: Duration, f: F) -> Result<R, GetError>
where
    E: Executor + ?Sized,
    R: Send + Clone + 'static,
    F: FnOnce(&Context) -> Result<R, BoxError> + Send + 'static,
{
    let handle =
        spawn(executor, f).map_err(|r| GetError::Failed(TaskError::rejected(r.reason())))?;
    let result = handle.get_timeout(timeout);
    handle.cancel(true);
    result
}
