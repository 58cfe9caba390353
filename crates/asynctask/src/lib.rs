//! `AsyncTask<Params, Progress, Result>` on a looper: background work whose
//! progress and result come back through the UI thread's message queue, with
//! cancellation that really stops work.
//!
//! ```
//! use looper::Looper;
//! use looper_asynctask::{AsyncTask, ProgressPolicy, ThreadPool};
//! use std::{cell::RefCell, rc::Rc, time::Duration};
//!
//! // The UI thread: a looper, and UI state that is !Send.
//! let local = Looper::prepare().unwrap();
//! let pool = ThreadPool::builder().threads(2).name("demo").build().unwrap();
//! let log = Rc::new(RefCell::new(Vec::<String>::new()));
//!
//! let (pre, progress, post) = (log.clone(), log.clone(), log.clone());
//! let quit = local.looper();
//! let download = AsyncTask::builder(|urls: Vec<&'static str>, ctx| {
//!     // Runs on a pool thread: no access to `log`, the compiler sees to it.
//!     let mut bytes = 0;
//!     for (i, url) in urls.iter().enumerate() {
//!         ctx.check_cancelled()?; // acknowledge cancel: ends Cancelled
//!         ctx.sleep(Duration::from_millis(1))?; // cut short by cancel(true)
//!         bytes += url.len();
//!         ctx.publish_progress(i + 1);
//!     }
//!     Ok(bytes)
//! })
//! .progress_policy(ProgressPolicy::Latest) // a fast producer cannot flood the UI
//! .on_pre_execute(move || pre.borrow_mut().push("started".into()))
//! .on_progress_update(move |done: usize| progress.borrow_mut().push(format!("{done} done")))
//! .on_post_execute(move |bytes| {
//!     post.borrow_mut().push(format!("{bytes} bytes"));
//!     quit.quit().unwrap();
//! })
//! .build();
//!
//! download.execute_on(&pool, vec!["a.example/x", "b.example/yy"]).unwrap();
//! local.run(); // until on_post_execute quits the loop
//!
//! let log = log.borrow();
//! assert_eq!(log.first().unwrap(), "started");
//! assert_eq!(log.last().unwrap(), "23 bytes");
//! assert!(log.contains(&"2 done".to_string()), "the last progress value always arrives");
//! ```
//!
//! # The pieces
//!
//! * [`AsyncTask`] (closure builder) and [`TaskSteps`] (Android-like trait):
//!   the four steps plus `on_cancelled` and `on_failed`. UI steps run on the
//!   looper thread and may capture `!Send` state; the background step gets a
//!   [`Context`] and must be `Send` (D1). See [`task`](crate::AsyncTask)'s
//!   guarantees for ordering and which final callback runs.
//! * [`CancellationToken`]: usable on its own; callbacks, children, timers,
//!   drop guards, blocking and async waits (C1-C12, K1-K7).
//! * [`Context`]: progress, cancellation checks, interruptible sleeps and
//!   channel receives, cancel hooks for blocking calls (X1, D5).
//! * [`Executor`]s: [`SerialExecutor`] (the default), [`ThreadPool`]
//!   (bounded, rejects when full), `rayon::ThreadPool` (feature `rayon`).
//! * [`TaskScope`]: tasks owned by a screen; dropping it cancels them and no
//!   UI callback of theirs runs afterwards (P1).
//! * [`spawn`] / [`run_with_timeout`]: tasks without a UI side (FutureTask).
//! * Async: [`TaskHandle::result_async`], [`CancellationToken::cancelled`].
//!
//! # Failure policy (D2)
//!
//! A background step that panics or returns an error ends the task
//! *failed*, which is neither success nor cancellation: `get` returns
//! [`GetError::Failed`], and `on_failed` runs on the looper thread. Without
//! an `on_failed` the failure is logged with `tracing::error!` on the looper
//! thread. A pool thread never dies of it.
//!
//! # Observability
//!
//! Every task transition (status changes, queueing, start, end with its
//! outcome, cancel with its stage, final callback) is a `tracing` event
//! under the `looper_asynctask::task` target, carrying the task id.
//!
//! # Features
//!
//! * `rayon`: `Executor` for `rayon::ThreadPool`.
//! * `test-util`: [`executor::ManualExecutor`] and the `testing` module
//!   (idling: wait until a looper and every task started from it are done),
//!   plus the looper's manual-clock helpers, for tests.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod context;
mod core;
mod deliver;
mod error;
pub mod executor;
mod handle;
pub mod interrupt;
mod progress;
mod scope;
mod steps;
mod sync;
pub mod task;
#[cfg(feature = "test-util")]
pub mod testing;
mod timer;
mod token;
mod waiting;

pub use crate::core::{Status, TaskState};
pub use context::Context;
pub use error::{
    BoxError, ExecuteError, GetError, Interrupted, RecvError, RecvTimeoutError, RejectReason,
    RejectedError, TaskError,
};
pub use executor::{
    default_executor, Executor, SerialExecutor, ThreadPool, ThreadPoolBuilder, Work,
};
pub use handle::{run_with_timeout, spawn, TaskHandle};
pub use progress::ProgressPolicy;
pub use scope::TaskScope;
pub use steps::TaskSteps;
pub use task::{AsyncTask, AsyncTaskBuilder};
/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use token::{
    CallbackErrors, CancellationToken, Cancelled, DropGuard, Registration, WaitForCancellation,
};
