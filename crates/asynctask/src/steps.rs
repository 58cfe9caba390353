//! [`TaskSteps`]: the Android-like trait form of an [`AsyncTask`].
//!
//! The background step is an associated function without `self`: it gets
//! only its `Params` and [`Context`], so it cannot reach the UI state the
//! implementing type holds (D1). The UI steps take `&mut self` and run on
//! the looper thread; the type may be `!Send`.

use crate::context::Context;
use crate::error::{BoxError, TaskError};
use crate::task::AsyncTask;
use std::cell::RefCell;
use std::rc::Rc;

/// Android's `AsyncTask` subclass, as a trait. Turn it into a task with
/// [`AsyncTask::from_steps`].
///
/// ```
/// use looper::Looper;
/// use looper_asynctask::{AsyncTask, BoxError, Context, TaskSteps, ThreadPool};
/// use std::rc::Rc;
/// use std::cell::RefCell;
///
/// struct Sum {
///     shown: Rc<RefCell<Vec<u64>>>, // UI state
/// }
///
/// impl TaskSteps for Sum {
///     type Params = Vec<u64>;
///     type Progress = u64;
///     type Result = u64;
///
///     fn do_in_background(params: Vec<u64>, ctx: &Context<u64>) -> Result<u64, BoxError> {
///         let mut total = 0;
///         for x in params {
///             total += x;
///             ctx.publish_progress(total);
///         }
///         Ok(total)
///     }
///
///     fn on_progress_update(&mut self, partial: u64) {
///         self.shown.borrow_mut().push(partial);
///     }
/// }
///
/// let local = Looper::prepare().unwrap();
/// let pool = ThreadPool::builder().threads(1).build().unwrap();
/// let shown = Rc::new(RefCell::new(Vec::new()));
/// let task = AsyncTask::from_steps(Sum { shown: shown.clone() });
/// task.execute_on(&pool, vec![1, 2, 3]).unwrap();
/// assert_eq!(task.get().unwrap(), 6);
/// pool.shutdown();
/// local.dispatch_pending();
/// assert_eq!(*shown.borrow(), [1, 3, 6]);
/// ```
pub trait TaskSteps: 'static {
    /// What `execute` passes to the background step.
    type Params: Send + 'static;
    /// What the background step publishes.
    type Progress: Send + 'static;
    /// What the background step returns.
    type Result: Send + Clone + 'static;

    /// The background step (`doInBackground`), on an executor thread.
    fn do_in_background(
        params: Self::Params,
        ctx: &Context<Self::Progress>,
    ) -> Result<Self::Result, BoxError>;

    /// Runs inside `execute`, on the looper thread, before submission.
    fn on_pre_execute(&mut self) {}

    /// Receives each progress update on the looper thread.
    fn on_progress_update(&mut self, _progress: Self::Progress) {}

    /// Receives the result on the looper thread.
    fn on_post_execute(&mut self, _result: Self::Result) {}

    /// Runs instead of `on_post_execute` once the task was cancelled.
    fn on_cancelled(&mut self, _result: Option<Self::Result>) {}

    /// Runs if the background step failed. The default logs the failure
    /// with `tracing::error!` (never silent, D2).
    fn on_failed(&mut self, error: TaskError) {
        tracing::error!(target: "looper_asynctask::task", "unhandled task failure: {error}");
    }
}

impl<P: Send + 'static, Pr: Send + 'static, R: Send + Clone + 'static> AsyncTask<P, Pr, R> {
    /// A task whose steps are `steps`' methods.
    pub fn from_steps<T: TaskSteps<Params = P, Progress = Pr, Result = R>>(steps: T) -> Self {
        let steps = Rc::new(RefCell::new(steps));
        let (a, b, c, d, e) = (
            steps.clone(),
            steps.clone(),
            steps.clone(),
            steps.clone(),
            steps,
        );
        AsyncTask::builder(T::do_in_background)
            .on_pre_execute(move || a.borrow_mut().on_pre_execute())
            .on_progress_update(move |p| b.borrow_mut().on_progress_update(p))
            .on_post_execute(move |r| c.borrow_mut().on_post_execute(r))
            .on_cancelled(move |r| d.borrow_mut().on_cancelled(r))
            .on_failed(move |err| e.borrow_mut().on_failed(err))
            .build()
    }
}
