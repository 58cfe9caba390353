//! [`SerialExecutor`]: one task at a time, in submission order, the process
//! default (Android's `SERIAL_EXECUTOR`, A13).
//!
//! # Guarantees
//!
//! * Work runs one item at a time, in the order it was submitted, on one
//!   dedicated thread; a task cancelled while queued is skipped when its turn
//!   comes (it never runs) and frees nothing else.
//! * The queue is unbounded, so `execute` never rejects before shutdown.
//! * One slow task delays every later one (Android's P2 surprise): give slow
//!   or blocking work its own [`ThreadPool`].

use super::{Executor, ThreadPool, Work};
use crate::error::RejectedError;
use once_cell::sync::Lazy;

/// A one-thread, first-in first-out executor. See the [module docs](self).
///
/// ```
/// use looper_asynctask::{spawn, SerialExecutor};
/// let serial = SerialExecutor::new("downloads").unwrap();
/// let first = spawn(&serial, |_| Ok(1)).unwrap();
/// let second = spawn(&serial, |_| Ok(2)).unwrap();
/// assert_eq!((first.get().unwrap(), second.get().unwrap()), (1, 2));
/// serial.shutdown();
/// ```
#[derive(Debug)]
pub struct SerialExecutor {
    pool: ThreadPool,
}

impl SerialExecutor {
    /// Starts a serial executor whose thread is named `"{name} #1"`.
    pub fn new(name: &str) -> std::io::Result<SerialExecutor> {
        Ok(SerialExecutor {
            pool: ThreadPool::builder()
                .threads(1)
                .queue_capacity(usize::MAX)
                .name(name)
                .build()?,
        })
    }

    /// Runs what is queued, then stops the thread and joins it.
    pub fn shutdown(&self) {
        self.pool.shutdown();
    }

    /// How many items wait (cancelled tasks excluded).
    pub fn queued(&self) -> usize {
        self.pool.queued()
    }
}

impl Executor for SerialExecutor {
    fn execute(&self, work: Work) -> Result<(), RejectedError> {
        self.pool.execute(work)
    }
}

static DEFAULT: Lazy<SerialExecutor> = Lazy::new(|| {
    SerialExecutor::new("AsyncTask serial").expect("spawning the default executor's thread")
});

/// The process-wide default executor that
/// [`AsyncTask::execute`](crate::AsyncTask::execute) uses: a
/// [`SerialExecutor`] started on first use, which lives as long as the
/// process (its thread blocks, using no CPU, while idle).
pub fn default_executor() -> &'static SerialExecutor {
    &DEFAULT
}
