//! Idling for tests (feature `test-util`): wait until a looper has nothing
//! due **and** every task started from it is done, on whatever executor it
//! runs. Espresso's idling resources, without the registration chores, and
//! without Robolectric's blind spot for background threads.
//!
//! # What "idle" means
//!
//! A looper is idle when both hold:
//!
//! * nothing in its queue is due now ([`Looper::is_idle`], Q7). Messages
//!   delayed into the future do **not** keep it busy, as in Robolectric's
//!   `idle()` and Android's `MessageQueue.isIdle()`: on a
//!   [`ManualClock`](looper::ManualClock) idling never moves time, so step
//!   time with the looper's `advance_by`/`run_until_idle` and idle in
//!   between. A due sync barrier that stalls the queue counts as busy (P14).
//! * no task started from its thread (an [`AsyncTask`](crate::AsyncTask)
//!   executed there, or a [`spawn`](crate::spawn) called there) is queued or
//!   running on an executor, or waiting for its final UI callback to return.
//!   A task is done once its status is `Finished`, i.e. after
//!   `on_post_execute` / `on_cancelled` / `on_failed` returned; or when that
//!   callback can never run because the looper quit.
//!
//! # Guarantees
//!
//! * [`wait_for_idle`] runs on the looper thread: it dispatches what is due
//!   while it waits, so a task's progress and final callback run inside it.
//!   Between dispatches it blocks the thread (no polling, no fixed sleeps)
//!   until a post arrives from another thread, a tracked task ends, a
//!   delayed message falls due (system clock), or the timeout.
//! * [`IdleWatcher::wait`] works from any thread but only waits: it cannot
//!   dispatch a looper it does not own, so someone must be running or
//!   pumping that looper. Idleness is confirmed on the looper thread by an
//!   idle handler (so a message being dispatched right now, about to start
//!   a task, is never mistaken for idle); the wait posts one empty message
//!   to start a fresh idle period and removes it again if still queued.
//! * Both return an [`IdleTimeout`] error value, never panic or hang past
//!   the timeout (real time, not the looper's clock). Its `Display` names the
//!   busy tasks by id and stage, the number of pending messages and when the
//!   next one is due.
//! * "Idle" is a snapshot: another thread may post right after it was seen.
//!   It is a stable state only when the test controls every producer.
//! * Tracking costs nothing without the feature: the hooks are compiled only
//!   with `test-util`.
//!
//! ```
//! use looper::Looper;
//! use looper_asynctask::{testing::wait_for_idle, AsyncTask, Context, ThreadPool};
//! use std::{cell::Cell, rc::Rc, time::Duration};
//!
//! let local = Looper::prepare().unwrap();
//! let pool = ThreadPool::builder().threads(1).build().unwrap();
//! let shown = Rc::new(Cell::new(0));
//! let s = shown.clone();
//! AsyncTask::builder(|n: u32, _ctx: &Context| Ok(n * 2))
//!     .on_post_execute(move |r| s.set(r))
//!     .build()
//!     .execute_on(&pool, 21)
//!     .unwrap();
//! // Waits for the pool thread, then runs on_post_execute here.
//! wait_for_idle(&local, Duration::from_secs(10)).unwrap();
//! assert_eq!(shown.get(), 42);
//! ```

use crate::core::{Core, Phase};
use crate::sync::lock_std;
use looper::{Budget, LocalLooper, Looper, Next};

mod watcher;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};
pub use watcher::IdleWatcher;

/// Where a busy task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskStage {
    /// Submitted, waiting for an executor thread (or for a
    /// [`ManualExecutor`](crate::executor::ManualExecutor) to run it).
    Queued,
    /// The background step is running.
    Running,
    /// The background step ended; its final UI callback has not returned
    /// (its message waits in the looper's queue).
    Delivering,
}

impl fmt::Display for TaskStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskStage::Queued => "queued on its executor",
            TaskStage::Running => "running on its executor",
            TaskStage::Delivering => "waiting for its final UI callback",
        })
    }
}

/// A task that keeps a looper busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusyTask {
    /// The task's id ([`TaskHandle::id`](crate::TaskHandle::id), and in its
    /// trace events).
    pub id: u64,
    /// What it is doing.
    pub stage: TaskStage,
}

/// What keeps a looper from being idle; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    /// Tasks started from the looper that are not done, by ascending id.
    pub tasks: Vec<BusyTask>,
    /// Entries in the looper's queue (barriers and future messages too).
    pub pending_messages: usize,
    /// How long until the next deliverable message is due, on the looper's
    /// clock: `Some(ZERO)` if one is due now, `None` if nothing is scheduled.
    pub next_due_in: Option<Duration>,
    /// Whether something in the queue is due now (or a barrier stalls it).
    pub queue_busy: bool,
    /// [`IdleWatcher::wait`] only: the looper thread did not reach an idle
    /// point since the wait began (it is dispatching something long, or
    /// nobody runs the looper).
    pub not_seen_idle: bool,
}

impl Busy {
    /// Whether nothing keeps the looper busy.
    pub fn is_idle(&self) -> bool {
        self.tasks.is_empty() && !self.queue_busy && !self.not_seen_idle
    }
}

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tasks.len() {
            0 => f.write_str("no task busy")?,
            1 => f.write_str("1 task busy (")?,
            n => write!(f, "{n} tasks busy (")?,
        }
        for (i, t) in self.tasks.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}task #{} {}", t.id, t.stage)?;
        }
        if !self.tasks.is_empty() {
            f.write_str(")")?;
        }
        match self.pending_messages {
            1 => f.write_str("; 1 pending message")?,
            n => write!(f, "; {n} pending messages")?,
        }
        match self.next_due_in {
            Some(d) if d.is_zero() => f.write_str(", the next due now"),
            Some(d) => write!(f, ", the next due in {d:?}"),
            None => f.write_str(", none scheduled"),
        }?;
        if self.queue_busy && self.next_due_in != Some(Duration::ZERO) {
            f.write_str(" (a sync barrier stalls the queue)")?;
        }
        if self.not_seen_idle {
            f.write_str("; the looper thread has not gone idle since the wait began")?;
        }
        Ok(())
    }
}

/// The looper did not become idle in time. `Display` says what was busy.
///
/// ```
/// use looper_asynctask::testing::{Busy, IdleTimeout};
/// use std::time::Duration;
/// let e = IdleTimeout {
///     waited: Duration::from_millis(50),
///     busy: Busy {
///         tasks: vec![],
///         pending_messages: 2,
///         next_due_in: Some(Duration::ZERO),
///         queue_busy: true,
///         not_seen_idle: false,
///     },
/// };
/// assert_eq!(e.to_string(), "not idle after 50ms: no task busy; 2 pending messages, the next due now");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleTimeout {
    /// How long the call waited.
    pub waited: Duration,
    /// What was busy when it gave up.
    pub busy: Busy,
}

impl fmt::Display for IdleTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not idle after {:?}: {}", self.waited, self.busy)
    }
}

impl std::error::Error for IdleTimeout {}

type Probe = Arc<dyn Fn() -> TaskStage + Send + Sync>;

/// The tasks started from one looper that are not done yet.
pub(crate) struct Tracker {
    looper: Looper,
    state: Mutex<TrackState>,
    changed: Condvar,
    /// The looper's thread, unparked when a task ends while
    /// [`wait_for_idle`] blocks there.
    thread: Thread,
    local_waiting: AtomicBool,
    idle_handler: AtomicBool,
}

struct TrackState {
    tasks: BTreeMap<u64, Probe>,
    /// Bumped on every change a waiter may care about.
    epoch: u64,
    /// Counts the looper's idle periods seen by the watchers' idle handler,
    /// which runs on the looper thread between dispatches: the only place
    /// where "nothing due and nothing being dispatched" is certain.
    idle_periods: u64,
    /// Whether no task was busy at the last of those idle periods.
    idle_without_tasks: bool,
}

impl Tracker {
    /// Called by the idle handler, on the looper thread, at the start of an
    /// idle period.
    fn looper_idled(&self) {
        {
            let mut st = lock_std(&self.state);
            st.epoch += 1;
            st.idle_periods += 1;
            st.idle_without_tasks = st.tasks.is_empty();
        }
        self.changed.notify_all();
    }

    fn epoch(&self) -> u64 {
        lock_std(&self.state).epoch
    }

    fn busy(&self) -> Busy {
        // Probes lock their task's state: call them outside ours.
        let probes: Vec<(u64, Probe)> = lock_std(&self.state)
            .tasks
            .iter()
            .map(|(id, p)| (*id, p.clone()))
            .collect();
        let quitting = self.looper.is_quitting();
        let tasks = probes
            .into_iter()
            .map(|(id, probe)| BusyTask { id, stage: probe() })
            // A quit looper can never deliver a final callback.
            .filter(|t| !(quitting && t.stage == TaskStage::Delivering))
            .collect();
        let now = self.looper.now();
        Busy {
            tasks,
            pending_messages: self.looper.pending_count(),
            next_due_in: self
                .looper
                .next_due()
                .map(|t| t.saturating_duration_since(now)),
            queue_busy: !self.looper.is_idle(),
            not_seen_idle: false,
        }
    }
}

/// A task's entry in its looper's [`Tracker`]; removed by [`Tracked::done`].
#[derive(Clone)]
pub(crate) struct Tracked {
    tracker: Arc<Tracker>,
    id: u64,
}

impl Tracked {
    /// The task is done: no longer busy. Idempotent.
    pub(crate) fn done(&self) {
        let removed = {
            let mut st = lock_std(&self.tracker.state);
            let removed = st.tasks.remove(&self.id);
            if removed.is_some() {
                st.epoch += 1;
            }
            removed
        };
        if removed.is_some() {
            self.tracker.changed.notify_all();
            if self.tracker.local_waiting.load(Ordering::SeqCst) {
                self.tracker.thread.unpark();
            }
        }
    }
}

thread_local! {
    /// This thread's looper and its tracker (a thread has one looper at a
    /// time; a newly prepared one gets a fresh tracker).
    static TRACKER: RefCell<Option<Arc<Tracker>>> = const { RefCell::new(None) };
}

fn tracker_for(local: &LocalLooper) -> Arc<Tracker> {
    let looper = local.looper();
    TRACKER.with(|t| {
        let mut t = t.borrow_mut();
        match &*t {
            Some(tracker) if tracker.looper == looper => tracker.clone(),
            _ => {
                let tracker = Arc::new(Tracker {
                    looper,
                    state: Mutex::new(TrackState {
                        tasks: BTreeMap::new(),
                        epoch: 0,
                        idle_periods: 0,
                        idle_without_tasks: false,
                    }),
                    changed: Condvar::new(),
                    thread: std::thread::current(),
                    local_waiting: AtomicBool::new(false),
                    idle_handler: AtomicBool::new(false),
                });
                *t = Some(tracker.clone());
                tracker
            }
        }
    })
}

/// Registers `core`, just started from `local`'s thread, as busy until its
/// status becomes `Finished`.
pub(crate) fn track<R: Send + 'static>(local: &LocalLooper, core: &Arc<Core<R>>) {
    let tracker = tracker_for(local);
    let weak = Arc::downgrade(core);
    let probe: Probe = Arc::new(move || match weak.upgrade().map(|c| c.phase()) {
        Some(Phase::NotSubmitted | Phase::Queued) => TaskStage::Queued,
        Some(Phase::Running) => TaskStage::Running,
        Some(Phase::Ended) | None => TaskStage::Delivering,
    });
    {
        let mut st = lock_std(&tracker.state);
        st.tasks.insert(core.id, probe);
        st.epoch += 1;
    }
    let _ = core.idle.set(Tracked {
        tracker,
        id: core.id,
    });
}

/// Clears `flag` when dropped, even if a dispatched message panics.
struct ClearOnDrop<'a>(&'a AtomicBool);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// On the looper thread: dispatches what is due and waits until the looper
/// is idle (see the [module docs](self)), at most `timeout` of real time.
/// Returns how many messages it dispatched.
///
/// It never moves a [`ManualClock`](looper::ManualClock): messages delayed
/// into the future stay queued and do not count as busy. A panic in a
/// dispatched message unwinds out of it (under the looper's default
/// [`PanicPolicy`](looper::PanicPolicy)).
///
/// ```
/// use looper::Looper;
/// use looper_asynctask::testing::wait_for_idle;
/// use std::time::Duration;
///
/// let local = Looper::prepare().unwrap();
/// let looper = local.looper();
/// local.post(move || drop(looper.post(|| ()).unwrap())).unwrap();
/// assert_eq!(wait_for_idle(&local, Duration::from_secs(10)), Ok(2));
/// ```
pub fn wait_for_idle(local: &LocalLooper, timeout: Duration) -> Result<usize, IdleTimeout> {
    let tracker = tracker_for(local);
    let started = Instant::now();
    let deadline = started.checked_add(timeout);
    tracker.local_waiting.store(true, Ordering::SeqCst);
    let _waiting = ClearOnDrop(&tracker.local_waiting);
    let mut dispatched = 0;
    loop {
        let epoch = tracker.epoch();
        // Pumping ends by telling the looper it may sleep, so the next post
        // from another thread unparks this thread.
        let next = loop {
            let pump = local.pump(Budget::unlimited());
            dispatched += pump.dispatched;
            if pump.next != Next::Now {
                break pump.next;
            }
        };
        let busy = tracker.busy();
        if busy.is_idle() || (next == Next::Quit && busy.tasks.is_empty()) {
            return Ok(dispatched);
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return Err(IdleTimeout {
                waited: now - started,
                busy,
            });
        }
        if tracker.epoch() != epoch {
            continue; // a task ended meanwhile
        }
        // Wake for a delayed message only if time passes by itself; a
        // manual clock's advance wakes the looper thread like a post.
        let due = match next {
            Next::At(at) if local.looper().clock().advances_by_itself() => {
                Some(now + at.saturating_duration_since(local.looper().now()))
            }
            _ => None,
        };
        match [deadline, due].into_iter().flatten().min() {
            Some(until) => std::thread::park_timeout(until.saturating_duration_since(now)),
            None => std::thread::park(),
        }
    }
}
