//! Where background steps run: the [`Executor`] trait and the executors the
//! crate ships.
//!
//! # Guarantees
//!
//! * An executor either accepts a [`Work`] (it will run it or drop it) or
//!   gives it back inside a [`RejectedError`]; it never loses it silently.
//! * A task's `Work` that is cancelled while queued never runs:
//!   [`Work::run`] does nothing then (A9, A13). Executors with a bounded
//!   queue free the slot at the moment of the cancel, not when the item is
//!   dequeued ([`Work::on_leave_queue`], P4).
//! * A `Work` dropped without running ends its task as failed
//!   ([`TaskError::is_not_run`](crate::TaskError::is_not_run)), so a waiter
//!   is never left hanging by an executor that shuts down.
//!
//! Shipped: [`SerialExecutor`] (one at a time, submission order, the
//! process default, A13), [`ThreadPool`] (bounded, rejects when full, A14,
//! P3), with the `rayon` feature `Executor` for `rayon::ThreadPool`, and
//! with `test-util` a hand-driven `ManualExecutor` for deterministic tests.

#[cfg(feature = "test-util")]
mod manual;
pub mod pool;
#[cfg(feature = "rayon")]
mod rayon;
pub mod serial;

#[cfg(feature = "test-util")]
pub use manual::ManualExecutor;
pub use pool::{ThreadPool, ThreadPoolBuilder};
pub use serial::{default_executor, SerialExecutor};

use crate::error::RejectedError;
use crate::sync;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// Runs [`Work`] somewhere: a thread pool, a single thread, rayon.
///
/// Implement it to bring your own executor:
///
/// ```
/// use looper_asynctask::{Executor, RejectedError, Work};
///
/// /// Runs every task on a new thread.
/// struct ThreadPerTask;
///
/// impl Executor for ThreadPerTask {
///     fn execute(&self, work: Work) -> Result<(), RejectedError> {
///         std::thread::spawn(move || work.run());
///         Ok(())
///     }
/// }
///
/// let handle = looper_asynctask::spawn(&ThreadPerTask, |_ctx| Ok(6 * 7)).unwrap();
/// assert_eq!(handle.get().unwrap(), 42);
/// ```
pub trait Executor: Send + Sync {
    /// Accepts `work` to run later (or now, on another thread), or refuses
    /// it and gives it back.
    fn execute(&self, work: Work) -> Result<(), RejectedError>;
}

impl<E: Executor + ?Sized> Executor for Arc<E> {
    fn execute(&self, work: Work) -> Result<(), RejectedError> {
        (**self).execute(work)
    }
}

impl<E: Executor + ?Sized> Executor for &E {
    fn execute(&self, work: Work) -> Result<(), RejectedError> {
        (**self).execute(work)
    }
}

pub(crate) enum Fate {
    Run,
    Abandon,
}

const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const CANCELLED: u8 = 2;

type Release = Box<dyn FnOnce() + Send>;

/// The start-or-cancel race of one task's work, shared by the task and its
/// `Work`: exactly one of `start` and `cancel` succeeds.
pub(crate) struct WorkSlot {
    state: AtomicU8,
    release: Mutex<Option<Release>>,
}

impl WorkSlot {
    pub(crate) fn new() -> Arc<WorkSlot> {
        Arc::new(WorkSlot {
            state: AtomicU8::new(QUEUED),
            release: Mutex::new(None),
        })
    }

    /// Claims the work for running; `false` if it was cancelled first.
    fn start(&self) -> bool {
        self.leave_queue(STARTED)
    }

    /// Cancels the work before it starts; `false` if it already started (or
    /// was cancelled). Frees the executor's slot on this thread.
    pub(crate) fn cancel(&self) -> bool {
        self.leave_queue(CANCELLED)
    }

    /// Moves QUEUED -> `to`; the winner (exactly one of start and cancel)
    /// runs the executor's release hook, freeing the queue slot (P4).
    fn leave_queue(&self, to: u8) -> bool {
        let won = self
            .state
            .compare_exchange(QUEUED, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if won {
            let release = sync::lock_std(&self.release).take();
            if let Some(f) = release {
                f();
            }
        }
        won
    }

    fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::Acquire) == CANCELLED
    }

    fn set_release(&self, f: Release) {
        let mut release = sync::lock_std(&self.release);
        // Checked under the lock `start` and `cancel` take after their CAS,
        // so the release runs exactly once: here, or by whoever won.
        if self.state.load(Ordering::Acquire) == QUEUED {
            *release = Some(f);
        } else {
            drop(release);
            f();
        }
    }
}

/// One unit of background work handed to an [`Executor`]: a task's
/// background step, or a plain closure ([`Work::new`]).
pub struct Work {
    job: Option<Box<dyn FnOnce(Fate) + Send>>,
    slot: Option<Arc<WorkSlot>>,
}

impl fmt::Debug for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Work")
            .field("task", &self.slot.is_some())
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl Work {
    /// Wraps a plain closure. It cannot be cancelled; dropping it unrun just
    /// drops the closure.
    pub fn new(f: impl FnOnce() + Send + 'static) -> Work {
        Work {
            job: Some(Box::new(move |fate| {
                if let Fate::Run = fate {
                    f()
                }
            })),
            slot: None,
        }
    }

    pub(crate) fn for_task(slot: Arc<WorkSlot>, job: impl FnOnce(Fate) + Send + 'static) -> Work {
        Work {
            job: Some(Box::new(job)),
            slot: Some(slot),
        }
    }

    /// Runs the work on the calling thread, unless its task was cancelled
    /// while queued (then it does nothing). A task's own panics are caught
    /// inside; a plain closure's panic unwinds to the caller.
    pub fn run(mut self) {
        let job = self
            .job
            .take()
            .expect("a Work holds its job until run or dropped");
        if self.slot.as_ref().map_or(true, |s| s.start()) {
            job(Fate::Run);
        }
    }

    /// Whether the work's task was cancelled before it started.
    pub fn is_cancelled(&self) -> bool {
        self.slot.as_ref().is_some_and(|s| s.is_cancelled())
    }

    /// Registers `release` to run exactly once when the work leaves the
    /// queue: when it starts, or at the moment its task is cancelled while
    /// queued (on the cancelling thread), so a bounded queue can free the
    /// slot at once (P4). Runs it now if the work already left the queue
    /// that way. Returns `false`, dropping `release`, for a plain closure's
    /// work, which can only leave by being dequeued.
    pub fn on_leave_queue(&self, release: impl FnOnce() + Send + 'static) -> bool {
        match &self.slot {
            Some(slot) => {
                slot.set_release(Box::new(release));
                true
            }
            None => false,
        }
    }

    /// Drops the work without running it and without failing its task: the
    /// caller settles the task itself.
    pub(crate) fn disarm(mut self) {
        if let Some(slot) = &self.slot {
            slot.cancel();
        }
        self.job = None;
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        let Some(job) = self.job.take() else { return };
        // Unrun: a task's work that nobody cancelled tells its task it was
        // abandoned; a cancelled one was settled by the canceller.
        if self.slot.as_ref().is_some_and(|s| s.cancel()) {
            job(Fate::Abandon);
        }
    }
}
