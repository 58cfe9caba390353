//! [`AsyncTask`]: Android's four steps, with the thread rules enforced by
//! types.
//!
//! # Guarantees
//!
//! * `on_pre_execute` runs inside `execute`, on the calling (looper)
//!   thread, before the background step is submitted (A3).
//! * The background step runs on the executor; it, `Params`, `Progress` and
//!   `Result` are `Send`; it is a separate closure, so it cannot reach what
//!   the UI callbacks captured, which may be `!Send` (D1).
//! * `on_progress_update`, `on_post_execute`, `on_cancelled` and `on_failed`
//!   run on the looper thread of the `execute` call, as looper messages, in
//!   order: every progress update published before the end precedes the
//!   final callback (A6). Exactly one final callback runs per executed task:
//!   `on_post_execute(r)`; `on_cancelled(Some(r))` if cancellation was
//!   requested before it was delivered, even when `cancel` returned `false`
//!   (A7, A8, A10); `on_cancelled(None)` if the background step never ran
//!   or acknowledged the cancellation (A9, C12); or `on_failed(e)` if it
//!   panicked or returned an error (D2). `on_cancelled` never runs inside
//!   `cancel`.
//! * An unhandled failure (no `on_failed`) is never silent: it is logged
//!   with `tracing::error!` on the looper thread, and `get` reports it.
//! * Status: `Pending -> Running` in `execute`, `-> Finished` after the
//!   final callback returned (A1).
//! * Memory visibility (A16): what happened before `execute` is visible to
//!   the background step; what it did is visible in the final callback;
//!   what it did before a `publish_progress` is visible in the matching
//!   `on_progress_update`; effects before `cancel` are visible to a thread
//!   that sees `is_cancelled()`. Channels and locks give each of these.

use crate::context::Context;
use crate::core::{Core, Final, Status, TaskState};
use crate::error::{BoxError, ExecuteError, GetError, TaskError};
use crate::executor::{default_executor, Executor};
use crate::handle::{settle_rejected, TaskHandle};
use crate::progress::{Coalescer, Event, ProgressPolicy, ProgressTx, Slot};
use crate::scope::TaskScope;
use crate::token::CancellationToken;
use looper::LocalLooper;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

type Background<P, Pr, R> = Box<dyn FnOnce(P, &Context<Pr>) -> Result<R, BoxError> + Send>;

enum ProgressUi<Pr> {
    None,
    Each(Box<dyn FnMut(Pr)>),
    Batch(Box<dyn FnMut(Vec<Pr>)>),
}

struct Parts<P, Pr, R> {
    background: Background<P, Pr, R>,
    pre: Option<Box<dyn FnOnce()>>,
    progress: ProgressUi<Pr>,
    policy: ProgressPolicy,
    post: Option<Box<dyn FnOnce(R)>>,
    cancelled: Option<Box<dyn FnOnce(Option<R>)>>,
    failed: Option<Box<dyn FnOnce(TaskError)>>,
    alive: Option<Rc<Cell<bool>>>,
    links: Vec<CancellationToken>,
}

/// Builds an [`AsyncTask`] from closures; start with [`AsyncTask::builder`].
pub struct AsyncTaskBuilder<P, Pr, R> {
    parts: Parts<P, Pr, R>,
}

impl<P, Pr, R> fmt::Debug for AsyncTaskBuilder<P, Pr, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncTaskBuilder")
            .field("policy", &self.parts.policy)
            .finish()
    }
}

impl<P: Send + 'static, Pr: Send + 'static, R: Send + Clone + 'static> AsyncTaskBuilder<P, Pr, R> {
    /// Runs `f` on the looper thread inside `execute`, before the background
    /// step is submitted (A3).
    pub fn on_pre_execute(mut self, f: impl FnOnce() + 'static) -> Self {
        self.parts.pre = Some(Box::new(f));
        self
    }

    /// Receives progress on the looper thread, under the
    /// [`progress_policy`](Self::progress_policy).
    pub fn on_progress_update(mut self, f: impl FnMut(Pr) + 'static) -> Self {
        self.parts.progress = ProgressUi::Each(Box::new(f));
        self
    }

    /// Receives progress in batches (SwingWorker's `process(List)`): every
    /// value published since the previous batch, in order, with at most one
    /// UI message pending at a time. Replaces `on_progress_update`.
    pub fn on_progress_batch(mut self, f: impl FnMut(Vec<Pr>) + 'static) -> Self {
        self.parts.progress = ProgressUi::Batch(Box::new(f));
        self
    }

    /// Every update (default) or only the latest (D6, P6).
    pub fn progress_policy(mut self, policy: ProgressPolicy) -> Self {
        self.parts.policy = policy;
        self
    }

    /// Receives the result on the looper thread, unless the task was
    /// cancelled.
    pub fn on_post_execute(mut self, f: impl FnOnce(R) + 'static) -> Self {
        self.parts.post = Some(Box::new(f));
        self
    }

    /// Runs on the looper thread instead of `on_post_execute` once the task
    /// was cancelled: with the result if the background step produced one.
    pub fn on_cancelled(mut self, f: impl FnOnce(Option<R>) + 'static) -> Self {
        self.parts.cancelled = Some(Box::new(f));
        self
    }

    /// Runs on the looper thread if the background step failed (D2).
    pub fn on_failed(mut self, f: impl FnOnce(TaskError) + 'static) -> Self {
        self.parts.failed = Some(Box::new(f));
        self
    }

    /// Ties the task to `scope`: dropping the scope cancels it with
    /// interruption, and none of its UI callbacks runs afterwards (P1).
    pub fn scope(mut self, scope: &TaskScope) -> Self {
        self.parts.alive = Some(scope.alive.clone());
        self.parts.links.push(scope.token().clone());
        self
    }

    /// Cancels the task (with interruption) when `token` is cancelled.
    pub fn cancel_with(mut self, token: &CancellationToken) -> Self {
        self.parts.links.push(token.clone());
        self
    }

    /// The task, `Pending`.
    pub fn build(self) -> AsyncTask<P, Pr, R> {
        AsyncTask {
            handle: TaskHandle::new(Core::new(false)),
            parts: RefCell::new(Some(self.parts)),
        }
    }
}

/// Android's `AsyncTask<Params, Progress, Result>`; see the
/// [module docs](self) for the guarantees.
///
/// `!Send`: it lives on the looper thread with its UI callbacks. Use
/// [`handle`](AsyncTask::handle) for a `Send` handle to cancel it or wait
/// for its result from elsewhere.
///
/// ```
/// use looper::Looper;
/// use looper_asynctask::{AsyncTask, ThreadPool};
/// use std::{cell::RefCell, rc::Rc};
///
/// let local = Looper::prepare().unwrap();
/// let pool = ThreadPool::builder().threads(1).build().unwrap();
/// let label = Rc::new(RefCell::new(String::new())); // UI state, !Send
///
/// let (l1, l2, quit) = (label.clone(), label.clone(), local.looper());
/// let task = AsyncTask::builder(|n: u32, ctx| {
///     for i in 1..=n {
///         ctx.publish_progress(i);
///     }
///     Ok(n * 10)
/// })
/// .on_progress_update(move |i: u32| l1.borrow_mut().push_str(&format!("{i} ")))
/// .on_post_execute(move |r| {
///     l2.borrow_mut().push_str(&format!("= {r}"));
///     quit.quit().unwrap();
/// })
/// .build();
///
/// task.execute_on(&pool, 3).unwrap();
/// local.run();
/// assert_eq!(*label.borrow(), "1 2 3 = 30");
/// assert_eq!(task.get().unwrap(), 30);
/// ```
///
/// The task itself holds the UI callbacks, so it cannot leave the looper
/// thread:
///
/// ```compile_fail
/// use looper_asynctask::{AsyncTask, Context};
/// let task = AsyncTask::builder(|(), _: &Context| Ok(())).build();
/// std::thread::spawn(move || task.cancel(true));
/// ```
pub struct AsyncTask<P, Pr, R> {
    handle: TaskHandle<R>,
    parts: RefCell<Option<Parts<P, Pr, R>>>,
}

impl<P, Pr, R> fmt::Debug for AsyncTask<P, Pr, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.handle.core, f)
    }
}

impl<P: Send + 'static, Pr: Send + 'static, R: Send + Clone + 'static> AsyncTask<P, Pr, R> {
    /// Starts a builder around the background step (`doInBackground`). It
    /// returns `Ok(result)`, or an error: `?` converts any error, and
    /// `ctx.check_cancelled()?` ends the task cancelled (C12).
    pub fn builder(
        background: impl FnOnce(P, &Context<Pr>) -> Result<R, BoxError> + Send + 'static,
    ) -> AsyncTaskBuilder<P, Pr, R> {
        AsyncTaskBuilder {
            parts: Parts {
                background: Box::new(background),
                pre: None,
                progress: ProgressUi::None,
                policy: ProgressPolicy::Every,
                post: None,
                cancelled: None,
                failed: None,
                alive: None,
                links: Vec::new(),
            },
        }
    }

    /// Executes on the process-wide [`default_executor`] (serial, A3, A13).
    /// Must be called on a looper thread: the UI callbacks run on its looper.
    pub fn execute(&self, params: P) -> Result<(), ExecuteError> {
        self.execute_on(default_executor(), params)
    }

    /// Executes on `executor` (Android's `executeOnExecutor`, A3). Runs
    /// `on_pre_execute` now, then submits the background step.
    pub fn execute_on<E: Executor + ?Sized>(
        &self,
        executor: &E,
        params: P,
    ) -> Result<(), ExecuteError> {
        let core = &self.handle.core;
        match core.status() {
            Status::Running => return Err(ExecuteError::AlreadyRunning),
            Status::Finished => return Err(ExecuteError::AlreadyExecuted),
            Status::Pending => {}
        }
        let local = LocalLooper::current().ok_or(ExecuteError::NoLooper)?;
        let parts = self
            .parts
            .borrow_mut()
            .take()
            .ok_or(ExecuteError::AlreadyExecuted)?;
        core.set_status(Status::Running);
        #[cfg(feature = "test-util")]
        crate::testing::track(&local, core);
        let alive = parts.alive.as_ref().map_or(true, |a| a.get());
        for token in &parts.links {
            let weak = Arc::downgrade(core);
            core.add_link(token.register(move || {
                if let Some(core) = weak.upgrade() {
                    core.cancel(true);
                }
            }));
        }
        if !alive {
            core.cancel(true);
        }

        let coalescer = match (&parts.progress, parts.policy) {
            (ProgressUi::Batch(_), _) => Some(Coalescer::new(true)),
            (ProgressUi::Each(_), ProgressPolicy::Latest) => Some(Coalescer::new(false)),
            _ => None,
        };
        let has_progress = !matches!(parts.progress, ProgressUi::None);
        let mut ui = Ui {
            core: core.clone(),
            progress: parts.progress,
            coalescer: coalescer.clone(),
            post: parts.post,
            cancelled: parts.cancelled,
            failed: parts.failed,
            alive: parts.alive,
        };
        let tx = crate::deliver::register::<Pr>(&local, core.id, move |ev| ui.handle(ev));
        let finish_tx = tx.clone();
        let id = core.id;
        #[cfg(feature = "test-util")]
        let tracked = core.idle.get().cloned();
        core.set_finisher(Box::new(move |outcome| {
            if finish_tx.send(Event::Finish).is_err() {
                // No final callback can run any more: the task is no longer
                // busy for idling.
                #[cfg(feature = "test-util")]
                if let Some(t) = &tracked {
                    t.done();
                }
                if outcome == "failed" {
                    tracing::error!(target: "looper_asynctask::task", task = id, "task failed after its looper quit; nobody was told");
                } else {
                    tracing::debug!(target: "looper_asynctask::task", task = id, outcome, "task ended after its looper quit");
                }
            }
        }));
        let progress = match coalescer {
            Some(c) => ProgressTx::Coalesced(c, tx),
            None if has_progress => ProgressTx::Every(tx),
            None => ProgressTx::Discard,
        };

        if !core.token.is_cancelled() {
            if let Some(pre) = parts.pre {
                pre();
            }
        }
        if !core.enter_queue() {
            return Ok(()); // cancelled first: `on_cancelled(None)` follows (A9)
        }
        let background = parts.background;
        let (token, interrupt) = (core.token.clone(), core.interrupt.clone());
        let work = core.work(move || {
            let ctx = Context::new(token, interrupt, progress);
            let result = background(params, &ctx);
            drop(ctx); // unregister hooks before the result is published
            result
        });
        match executor.execute(work) {
            Ok(()) => Ok(()),
            Err(mut rejected) => {
                settle_rejected(core, &mut rejected);
                drop(core.take_finisher());
                core.set_status(Status::Finished);
                Err(ExecuteError::Rejected(rejected))
            }
        }
    }

    /// A `Send + Sync` handle to cancel the task or wait for its result.
    pub fn handle(&self) -> TaskHandle<R> {
        self.handle.clone()
    }

    /// See [`TaskHandle::cancel`].
    pub fn cancel(&self, may_interrupt_if_running: bool) -> bool {
        self.handle.cancel(may_interrupt_if_running)
    }

    /// See [`TaskHandle::is_cancelled`].
    pub fn is_cancelled(&self) -> bool {
        self.handle.is_cancelled()
    }

    /// See [`TaskHandle::status`].
    pub fn status(&self) -> Status {
        self.handle.status()
    }

    /// See [`TaskHandle::state`].
    pub fn state(&self) -> TaskState {
        self.handle.state()
    }

    /// See [`TaskHandle::get`]. On the looper thread this blocks the looper
    /// (P9): the result arrives without it, but no UI callback runs meanwhile.
    pub fn get(&self) -> Result<R, GetError> {
        self.warn_if_blocking_the_looper();
        self.handle.get()
    }

    /// See [`TaskHandle::get_timeout`].
    pub fn get_timeout(&self, timeout: Duration) -> Result<R, GetError> {
        self.warn_if_blocking_the_looper();
        self.handle.get_timeout(timeout)
    }

    /// P9: waiting here holds up every UI callback, and deadlocks if the
    /// background step waits for the UI thread. Legal (tests do it), but said
    /// out loud.
    fn warn_if_blocking_the_looper(&self) {
        if !self.handle.is_done() && LocalLooper::current().is_some() {
            tracing::warn!(
                target: "looper_asynctask::task",
                task = self.handle.id(),
                "get() blocks the looper thread until the background step returns"
            );
        }
    }

    /// See [`TaskHandle::try_result`].
    pub fn try_result(&self) -> Option<Result<R, GetError>> {
        self.handle.try_result()
    }

    /// See [`TaskHandle::result_async`].
    pub fn result_async(&self) -> impl Future<Output = Result<R, GetError>> + Send + 'static {
        self.handle.result_async()
    }
}

/// The task's UI side: lives in the channel's receiving callback on the
/// looper thread, so its `!Send` captures never leave it.
struct Ui<Pr, R> {
    core: Arc<Core<R>>,
    progress: ProgressUi<Pr>,
    coalescer: Option<Arc<Coalescer<Pr>>>,
    post: Option<Box<dyn FnOnce(R)>>,
    cancelled: Option<Box<dyn FnOnce(Option<R>)>>,
    failed: Option<Box<dyn FnOnce(TaskError)>>,
    alive: Option<Rc<Cell<bool>>>,
}

impl<Pr: Send + 'static, R: Send + Clone + 'static> Ui<Pr, R> {
    fn handle(&mut self, ev: Event<Pr>) {
        if !self.alive.as_ref().map_or(true, |a| a.get()) {
            // The scope is gone (P1): no callback may run; just finish.
            if let Event::Finish = ev {
                self.progress = ProgressUi::None;
                (self.post, self.cancelled, self.failed) = (None, None, None);
                self.core.set_status(Status::Finished);
            }
            return;
        }
        match ev {
            Event::Progress(p) => match &mut self.progress {
                ProgressUi::Each(f) => f(p),
                ProgressUi::Batch(f) => f(vec![p]),
                ProgressUi::None => {}
            },
            Event::Coalesced => self.drain_progress(),
            Event::Finish => self.finish(),
        }
    }

    fn drain_progress(&mut self) {
        let Some(slot) = self.coalescer.as_ref().and_then(|c| c.drain()) else {
            return;
        };
        match (slot, &mut self.progress) {
            (Slot::Latest(Some(v)), ProgressUi::Each(f)) => f(v),
            (Slot::Batch(v), ProgressUi::Batch(f)) => f(v),
            _ => {}
        }
    }

    fn finish(&mut self) {
        self.drain_progress(); // the last value always precedes the result
        let id = self.core.id;
        let cancelled = self.core.token.is_cancelled();
        match self.core.take_final() {
            Final::Value(v) if cancelled => {
                if let Some(f) = self.cancelled.take() {
                    f(Some(v));
                }
            }
            Final::Value(v) => {
                if let Some(f) = self.post.take() {
                    f(v);
                }
            }
            Final::Cancelled => {
                if let Some(f) = self.cancelled.take() {
                    f(None);
                }
            }
            Final::Failed(e) => match self.failed.take() {
                Some(f) => f(e),
                None => tracing::error!(
                    target: "looper_asynctask::task",
                    task = id,
                    "unhandled task failure (set on_failed to handle it): {e}"
                ),
            },
        }
        tracing::debug!(target: "looper_asynctask::task", task = id, cancelled, "final callback returned");
        self.core.set_status(Status::Finished);
    }
}
