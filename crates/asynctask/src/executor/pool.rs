//! [`ThreadPool`]: a fixed set of named threads fed by a bounded
//! crossbeam-channel queue.
//!
//! # Guarantees
//!
//! * At most `queue_capacity` items wait at once; one more is refused with
//!   [`RejectReason::Full`] (A14, P3): the pool never blocks the submitter,
//!   which is usually the UI thread. Size the queue for your burst, or put a
//!   [`SerialExecutor`](super::SerialExecutor) in front.
//! * A task cancelled while queued gives its slot back at the moment of the
//!   cancel (P4), and never runs.
//! * Workers block in a plain crossbeam `recv` (no polling); shutdown
//!   queues one sentinel per thread behind the accepted work.
//! * A panic in work never kills a pool thread: it is caught and reported
//!   with `tracing::error!`, and the thread takes the next item.
//! * Interruption belongs to tasks, not threads (D5): there is no per-thread
//!   interrupt state to leak into the next item.
//! * [`shutdown`](ThreadPool::shutdown) (also run on drop) refuses new work,
//!   lets the queued work run, and joins every thread;
//!   [`shutdown_now`](ThreadPool::shutdown_now) drops the queued work first
//!   (its tasks end failed, never hanging a waiter).

use super::{Executor, Work};
use crate::error::{RejectReason, RejectedError};
use crate::sync::lock_std;
use crossbeam_channel::{Receiver, Sender};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::{JoinHandle, ThreadId};

/// Configures a [`ThreadPool`].
///
/// ```
/// use looper_asynctask::ThreadPool;
/// let pool = ThreadPool::builder().threads(2).queue_capacity(64).name("io").build().unwrap();
/// assert_eq!(pool.threads(), 2);
/// pool.shutdown();
/// ```
#[derive(Debug, Clone)]
pub struct ThreadPoolBuilder {
    threads: usize,
    queue_capacity: usize,
    name: String,
}

impl Default for ThreadPoolBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ThreadPoolBuilder {
    /// Defaults: one thread per available core (at least 2), a queue of 128
    /// (the KitKat-era AsyncTask pool's), threads named `asynctask-pool #n`.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ThreadPoolBuilder {
            threads: cores.max(2),
            queue_capacity: 128,
            name: "asynctask-pool".into(),
        }
    }

    /// The number of threads (at least 1).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// How many items may wait for a thread; `usize::MAX` for unbounded.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n;
        self
    }

    /// The thread name prefix; threads are named `"{name} #{n}"`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Starts the threads.
    pub fn build(self) -> std::io::Result<ThreadPool> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let shared = Arc::new(Shared {
            closed: RwLock::new(false),
            tx,
            rx,
            queued: Arc::new(AtomicUsize::new(0)),
            capacity: self.queue_capacity,
            name: self.name,
        });
        let mut workers = Vec::with_capacity(self.threads);
        for n in 1..=self.threads {
            let for_worker = shared.clone();
            let handle = std::thread::Builder::new()
                .name(format!("{} #{n}", shared.name))
                .spawn(move || worker(&for_worker));
            match handle {
                Ok(h) => workers.push(h),
                Err(e) => {
                    let pool = ThreadPool {
                        shared,
                        workers: Mutex::new(workers),
                    };
                    pool.shutdown();
                    return Err(e);
                }
            }
        }
        Ok(ThreadPool {
            shared,
            workers: Mutex::new(workers),
        })
    }
}

/// `Some((work, whether it frees its own queue slot))`, or `None`: the
/// shutdown sentinel, one per thread, queued behind all accepted work so a
/// graceful shutdown drains the queue by construction.
type Item = Option<(Work, bool)>;

struct Shared {
    /// Write-locked once by shutdown, so no send can slip in after the
    /// queue's final drain.
    closed: RwLock<bool>,
    tx: Sender<Item>,
    rx: Receiver<Item>,
    queued: Arc<AtomicUsize>,
    capacity: usize,
    name: String,
}

/// A bounded pool of named threads. See the [module docs](self).
///
/// ```
/// use looper_asynctask::{spawn, ThreadPool};
/// let pool = ThreadPool::builder().threads(2).build().unwrap();
/// let task = spawn(&pool, |_ctx| Ok("done")).unwrap();
/// assert_eq!(task.get().unwrap(), "done");
/// pool.shutdown();
/// ```
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("name", &self.shared.name)
            .field("threads", &self.threads())
            .field("queued", &self.queued())
            .field("capacity", &self.shared.capacity)
            .finish()
    }
}

impl ThreadPool {
    /// A builder with the defaults of [`ThreadPoolBuilder::new`].
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::new()
    }

    /// How many threads are running (0 after shutdown).
    pub fn threads(&self) -> usize {
        lock_std(&self.workers).len()
    }

    /// How many items wait for a thread (cancelled tasks excluded).
    pub fn queued(&self) -> usize {
        self.shared.queued.load(Ordering::Acquire)
    }

    /// The queue's capacity.
    pub fn queue_capacity(&self) -> usize {
        self.shared.capacity
    }

    /// Refuses new work, runs what is queued, and joins the threads. Called
    /// from one of the pool's own threads it does not join (that would wait
    /// for itself); the threads still exit once the queue is empty.
    pub fn shutdown(&self) {
        let newly_closed = self.close();
        let me = std::thread::current().id();
        let workers = std::mem::take(&mut *lock_std(&self.workers));
        if newly_closed {
            for _ in 0..workers.len() {
                let _ = self.shared.tx.send(None);
            }
        }
        let on_worker = workers.iter().any(|w| w.thread().id() == me);
        if !on_worker {
            for w in workers {
                // Worker bodies catch every panic; a join error cannot occur.
                let _ = w.join();
            }
            // Nothing can be left (the sentinels queued behind everything),
            // but never let a waiter hang on a dropped item.
            self.drain();
        }
    }

    /// Like [`shutdown`](Self::shutdown), but drops the queued work instead
    /// of running it; their tasks end failed ([`TaskError::is_not_run`](crate::TaskError::is_not_run)).
    /// Running work is not interrupted: cancel its tasks for that.
    pub fn shutdown_now(&self) {
        // Closed under the write lock first, so nothing lands behind the
        // drain except the sentinels `shutdown` queues.
        let newly_closed = self.close();
        self.drain();
        if newly_closed {
            let workers = lock_std(&self.workers).len();
            for _ in 0..workers {
                let _ = self.shared.tx.send(None);
            }
        }
        self.shutdown();
    }

    /// Refuses new work; `true` on the first call.
    fn close(&self) -> bool {
        let mut closed = self
            .shared
            .closed
            .write()
            .unwrap_or_else(|e| e.into_inner());
        !std::mem::replace(&mut *closed, true)
    }

    /// Drops what is queued (sentinels included, so call it only before
    /// queueing them or after the threads exited).
    fn drain(&self) {
        while let Ok(item) = self.shared.rx.try_recv() {
            if let Some((work, frees_itself)) = item {
                if !frees_itself {
                    self.shared.queued.fetch_sub(1, Ordering::AcqRel);
                }
                drop(work);
            }
        }
    }

    fn thread_ids(&self) -> Vec<ThreadId> {
        lock_std(&self.workers)
            .iter()
            .map(|w| w.thread().id())
            .collect()
    }

    /// Whether the calling thread is one of this pool's.
    pub fn is_pool_thread(&self) -> bool {
        self.thread_ids().contains(&std::thread::current().id())
    }
}

impl Executor for ThreadPool {
    fn execute(&self, work: Work) -> Result<(), RejectedError> {
        let closed = self.shared.closed.read().unwrap_or_else(|e| e.into_inner());
        if *closed {
            return Err(RejectedError::new(RejectReason::Shutdown, work));
        }
        let queued = &self.shared.queued;
        let capacity = self.shared.capacity;
        let mut current = queued.load(Ordering::Acquire);
        loop {
            if current >= capacity {
                return Err(RejectedError::new(RejectReason::Full { capacity }, work));
            }
            match queued.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(seen) => current = seen,
            }
        }
        let counter = queued.clone();
        let frees_itself = work.on_leave_queue(move || {
            counter.fetch_sub(1, Ordering::AcqRel);
        });
        if work.is_cancelled() {
            // Cancelled before we queued it: its slot is already given back.
            return Ok(());
        }
        // The receiver lives in `shared`, so the channel is never closed.
        let _ = self.shared.tx.send(Some((work, frees_itself)));
        drop(closed);
        Ok(())
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn worker(shared: &Shared) {
    while let Ok(Some(item)) = shared.rx.recv() {
        run_item(shared, item);
    }
}

fn run_item(shared: &Shared, (work, frees_itself): (Work, bool)) {
    if !frees_itself {
        shared.queued.fetch_sub(1, Ordering::AcqRel);
    }
    if let Err(p) = catch_unwind(AssertUnwindSafe(|| work.run())) {
        tracing::error!(
            target: "looper_asynctask::pool",
            pool = %shared.name,
            "work panicked; the pool thread carries on: {}",
            crate::error::panic_message(p.as_ref())
        );
    }
}
