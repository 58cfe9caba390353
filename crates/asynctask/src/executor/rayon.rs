//! `Executor` for `rayon::ThreadPool` (feature `rayon`): bring-your-own
//! executors in four lines.
//!
//! rayon aborts the process when a spawned closure panics, so a plain
//! closure's panic is caught here and reported with `tracing::error!`; a
//! task's panics are already caught inside its work (D2).

use super::{Executor, Work};
use crate::error::RejectedError;
use std::panic::{catch_unwind, AssertUnwindSafe};

impl Executor for rayon::ThreadPool {
    fn execute(&self, work: Work) -> Result<(), RejectedError> {
        self.spawn(move || {
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| work.run())) {
                tracing::error!(
                    target: "looper_asynctask::rayon",
                    "work panicked on a rayon thread: {}",
                    crate::error::panic_message(p.as_ref())
                );
            }
        });
        Ok(())
    }
}
