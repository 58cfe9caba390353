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

use super::{Executor, Work};
use crate::error::RejectedError;
use crate::sync::lock_std;
use std::collections::VecDeque;
use std::sync::Mutex;

/// An executor driven by hand. See the [module docs](self).
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
