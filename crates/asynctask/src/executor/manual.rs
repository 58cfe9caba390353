//! [`ManualExecutor`] (feature `test-util`): background steps run only when
//! the test says so, on the test's thread, so every interleaving of a task
//! with its UI is reproducible (Robolectric's paused background scheduler).
//!
//! # Guarantees
//!
//! * `execute` never runs anything; it queues, in order, without bound.
//! * [`run_next`](ManualExecutor::run_next) runs the oldest queued item on
//!   the calling thread; a task cancelled while queued is skipped (its
//!   `run` does nothing).
//! * A background step runs whole, inline: everything it publishes is queued
//!   on the looper when `run_next` returns, so the test then dispatches the
//!   progress updates and the final callback one `run_one` at a time. To
//!   stop a step half-way, make it block on a channel the test controls
//!   (run it on a real pool then); the executor itself never blocks, so a
//!   step that waits for the test thread cannot deadlock it by design.
//!
//! ```
//! use looper::{LooperBuilder, ManualClock};
//! use looper_asynctask::{executor::ManualExecutor, AsyncTask, Context, Status};
//! use std::{cell::RefCell, rc::Rc};
//!
//! let local = LooperBuilder::new().clock(ManualClock::new()).prepare().unwrap();
//! let exec = ManualExecutor::new();
//! let seen = Rc::new(RefCell::new(Vec::new()));
//! let (p, r) = (seen.clone(), seen.clone());
//! let task = AsyncTask::builder(|(), ctx: &Context<u8>| {
//!     ctx.publish_progress(50);
//!     ctx.publish_progress(100);
//!     Ok(7)
//! })
//! .on_progress_update(move |pct| p.borrow_mut().push(pct))
//! .on_post_execute(move |v| r.borrow_mut().push(v))
//! .build();
//! task.execute_on(&exec, ()).unwrap();
//! assert!(exec.run_next()); // the background step, here and now
//! assert!(local.run_one());
//! assert_eq!(*seen.borrow(), [50]); // one progress update at a time
//! assert!(local.run_one());
//! assert!(local.run_one());
//! assert_eq!(*seen.borrow(), [50, 100, 7]);
//! assert_eq!(task.status(), Status::Finished);
//! ```

use super::{Executor, Work};
use crate::error::RejectedError;
use crate::sync::lock_std;
use std::collections::VecDeque;
use std::sync::Mutex;

/// An executor driven by hand: `execute` only queues; `run_next` and
/// `run_all` run the queued work on the calling thread, in order.
///
/// ```
/// use looper_asynctask::{executor::ManualExecutor, spawn, TaskState};
/// let exec = ManualExecutor::new();
/// let task = spawn(&exec, |_| Ok(1)).unwrap();
/// assert_eq!(task.state(), TaskState::Running);
/// assert_eq!(exec.run_all(), 1);
/// assert_eq!(task.get().unwrap(), 1);
/// ```
#[derive(Debug, Default)]
pub struct ManualExecutor {
    queue: Mutex<VecDeque<Work>>,
}

impl ManualExecutor {
    /// An empty executor.
    pub fn new() -> ManualExecutor {
        ManualExecutor::default()
    }

    /// How many items are queued (cancelled tasks included until run).
    pub fn pending(&self) -> usize {
        lock_std(&self.queue).len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        lock_std(&self.queue).is_empty()
    }

    /// Runs the oldest item on this thread; `false` if none was queued.
    pub fn run_next(&self) -> bool {
        let next = lock_std(&self.queue).pop_front();
        match next {
            Some(work) => {
                work.run();
                true
            }
            None => false,
        }
    }

    /// Runs items until the queue is empty (including items queued by the
    /// ones run); returns how many ran.
    pub fn run_all(&self) -> usize {
        let mut n = 0;
        while self.run_next() {
            n += 1;
        }
        n
    }
}

impl Executor for ManualExecutor {
    fn execute(&self, work: Work) -> Result<(), RejectedError> {
        lock_std(&self.queue).push_back(work);
        Ok(())
    }
}
