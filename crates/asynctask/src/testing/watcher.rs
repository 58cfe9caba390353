//! [`IdleWatcher`]: idling seen from another thread, confirmed on the
//! looper thread by an idle handler.

use super::{tracker_for, Busy, IdleTimeout, Tracker};
use crate::sync::lock_std;
use looper::{LocalLooper, Looper};
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// Waits for a looper to become idle from any thread; get one on the looper
/// thread with [`IdleWatcher::new`]. `Send + Sync + Clone`.
///
/// It cannot dispatch the looper (only its own thread can): use it when the
/// looper runs elsewhere, e.g. a [`HandlerThread`](looper_handler::HandlerThread)
/// or a UI thread the test does not own. If nobody runs the looper, due
/// messages stay due and the wait times out, saying so.
///
/// ```
/// use looper_asynctask::{testing::IdleWatcher, AsyncTask, Context, ThreadPool};
/// use looper_handler::HandlerThread;
/// use std::time::Duration;
///
/// let pool = ThreadPool::builder().threads(1).build().unwrap();
/// let (ui, watcher) = HandlerThread::builder("ui")
///     .spawn_with(|local| IdleWatcher::new(local))
///     .unwrap();
/// let (tx, rx) = std::sync::mpsc::channel();
/// ui.handler()
///     .post(move || {
///         let task = AsyncTask::builder(|(), _ctx: &Context| Ok(7))
///             .on_post_execute(move |r| tx.send(r).unwrap())
///             .build();
///         task.execute_on(&pool, ()).unwrap();
///     })
///     .unwrap();
/// watcher.wait(Duration::from_secs(10)).unwrap();
/// // The post was queued before the wait, so idle means it ran, its task
/// // was tracked, and the task's on_post_execute returned.
/// ui.quit_safely();
/// ui.join().unwrap();
/// assert_eq!(rx.recv().unwrap(), 7);
/// ```
#[derive(Clone)]
pub struct IdleWatcher {
    tracker: Arc<Tracker>,
}

impl fmt::Debug for IdleWatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdleWatcher")
            .field("looper", &self.tracker.looper)
            .finish()
    }
}

impl IdleWatcher {
    /// A watcher for `local`'s looper. Installs (once per looper) an idle
    /// handler that wakes watchers each time the looper goes idle.
    pub fn new(local: &LocalLooper) -> IdleWatcher {
        let tracker = tracker_for(local);
        if !tracker.idle_handler.swap(true, Ordering::SeqCst) {
            let weak: Weak<Tracker> = Arc::downgrade(&tracker);
            local
                .looper()
                .add_idle_handler(move || match weak.upgrade() {
                    Some(t) => {
                        t.looper_idled();
                        true
                    }
                    None => false,
                });
        }
        IdleWatcher { tracker }
    }

    /// The looper this watcher watches.
    pub fn looper(&self) -> &Looper {
        &self.tracker.looper
    }

    /// What keeps the looper busy right now.
    pub fn busy(&self) -> Busy {
        self.tracker.busy()
    }

    /// Waits, at most `timeout` of real time, until the looper is idle. Does
    /// not dispatch anything.
    ///
    /// From another thread, "nothing due" is not enough: the looper may be
    /// in the middle of dispatching a message that is about to start a
    /// task. So idleness is confirmed on the looper thread, by the idle
    /// handler, in an idle period that began after this call: the call posts
    /// one empty message to start a new period (removed again if it is
    /// still queued when the call returns). Once the looper has quit, only
    /// the tasks' background steps are waited for.
    pub fn wait(&self, timeout: Duration) -> Result<(), IdleTimeout> {
        let started = Instant::now();
        let deadline = started.checked_add(timeout);
        let t = &self.tracker;
        let first = lock_std(&t.state).idle_periods;
        let kick = t.looper.post(|| ()).ok();
        let mut seen_idle = false;
        let result = loop {
            let epoch = t.epoch();
            if t.looper.is_quitting() {
                if t.busy().tasks.is_empty() {
                    break Ok(());
                }
            } else {
                let st = lock_std(&t.state);
                seen_idle = st.idle_periods > first;
                if seen_idle && st.idle_without_tasks && st.tasks.is_empty() {
                    break Ok(());
                }
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                break Err(now - started);
            }
            let st = lock_std(&t.state);
            if st.epoch != epoch {
                continue;
            }
            // Every change that can make the looper idle bumps the epoch
            // under this lock before notifying: a task ending, or the idle
            // handler at the start of an idle period.
            match deadline {
                Some(d) => drop(t.changed.wait_timeout(st, d - now)),
                None => drop(t.changed.wait(st)),
            }
        };
        if let Some(token) = kick {
            t.looper.remove(token);
        }
        result.map_err(|waited| {
            let mut busy = t.busy();
            busy.not_seen_idle = !seen_idle && !t.looper.is_quitting();
            IdleTimeout { waited, busy }
        })
    }
}
