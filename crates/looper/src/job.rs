//! What a looper queues: jobs, their schedules and the tokens that name them.
//!
//! A [`Job`] is either a `Send` closure, a `!Send` closure posted from the
//! looper's own thread (kept on that thread; only a key travels through the
//! queue), or a message for a [`Dispatch`] target. The looper knows nothing
//! about handlers: the handler crate implements [`Dispatch`] for its messages
//! (Android's `msg.target.dispatchMessage(msg)`).

use std::any::Any;
use std::fmt;
use std::time::{Duration, Instant};

/// A message that knows how to deliver itself on the looper thread.
///
/// The handler crate implements this for its messages; any other crate may
/// too. `dispatch` runs on the looper's thread, so it may reach `!Send`
/// state stored there (for example in a `thread_local!`).
///
/// ```
/// use looper::{Dispatch, Job};
/// use std::any::Any;
///
/// struct Ping(u32);
/// impl Dispatch for Ping {
///     fn dispatch(self: Box<Self>) {
///         println!("ping {}", self.0);
///     }
///     fn as_any(&self) -> &dyn Any {
///         self
///     }
///     fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
///         self
///     }
/// }
/// let job = Job::message(Box::new(Ping(7)));
/// assert!(job.as_dispatch().unwrap().as_any().is::<Ping>());
/// ```
pub trait Dispatch: Send + 'static {
    /// Delivers the message. Runs on the looper thread.
    fn dispatch(self: Box<Self>);

    /// The message as `Any`, so its owner can find its own messages again
    /// when removing or querying by predicate.
    fn as_any(&self) -> &dyn Any;

    /// The message as an owned `Any`, so a sender can take its payload back
    /// out of a [`Rejected`](crate::Rejected) job. Implement as `self`.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;

    /// A one-line description for `dump` and tracing.
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("message")
    }
}

pub(crate) type SendClosure = Box<dyn FnOnce() + Send + 'static>;

pub(crate) enum JobKind {
    Closure(SendClosure),
    /// A `!Send` closure kept in the looper thread's local slab.
    Local(u64),
    Message(Box<dyn Dispatch>),
    /// Placeholder payload for sync barriers.
    Barrier(u32),
}

/// A unit of work in a looper's queue.
///
/// Build one with [`Job::closure`] or [`Job::message`]; posting convenience
/// methods on [`Looper`](crate::Looper) do it for you. A job rejected because
/// the looper quit comes back inside the error, so nothing is lost silently.
///
/// ```
/// let job = looper::Job::closure(|| println!("hello")).asynchronous(true);
/// assert!(job.is_asynchronous());
/// ```
///
/// A job is moved into the queue, so it cannot be queued twice (Android's
/// "This message is already in use.", SEMANTICS Q6, is a compile error):
///
/// ```compile_fail
/// let local = looper::Looper::prepare().unwrap();
/// let job = looper::Job::closure(|| ());
/// local.looper().enqueue(job, looper::Schedule::Now).unwrap();
/// local.looper().enqueue(job, looper::Schedule::Now).unwrap(); // use of moved value
/// ```
pub struct Job {
    pub(crate) kind: JobKind,
    pub(crate) asynchronous: bool,
}

impl Job {
    /// A job that runs `f` on the looper thread.
    pub fn closure(f: impl FnOnce() + Send + 'static) -> Self {
        Job {
            kind: JobKind::Closure(Box::new(f)),
            asynchronous: false,
        }
    }

    /// A job that delivers `message` through its [`Dispatch`] impl.
    pub fn message(message: Box<dyn Dispatch>) -> Self {
        Job {
            kind: JobKind::Message(message),
            asynchronous: false,
        }
    }

    /// Marks the job asynchronous: it passes sync barriers (SEMANTICS Q9).
    pub fn asynchronous(mut self, asynchronous: bool) -> Self {
        self.asynchronous = asynchronous;
        self
    }

    /// Whether the job passes sync barriers.
    pub fn is_asynchronous(&self) -> bool {
        self.asynchronous
    }

    /// The message inside, if this job carries one.
    pub fn as_dispatch(&self) -> Option<&dyn Dispatch> {
        match &self.kind {
            JobKind::Message(m) => Some(&**m),
            _ => None,
        }
    }

    /// Whether this job is a posted closure (`Send` or local).
    pub fn is_closure(&self) -> bool {
        matches!(self.kind, JobKind::Closure(_) | JobKind::Local(_))
    }

    /// Takes the message back out of a job (for example from a rejection).
    pub fn into_message(self) -> Option<Box<dyn Dispatch>> {
        match self.kind {
            JobKind::Message(m) => Some(m),
            _ => None,
        }
    }

    /// Takes a `Send` closure back out of a job (for example from a
    /// rejection), so the caller can run it elsewhere or drop it knowingly.
    ///
    /// ```
    /// let job = looper::Job::closure(|| ());
    /// let f = job.into_closure().expect("a closure job");
    /// f();
    /// ```
    pub fn into_closure(self) -> Option<Box<dyn FnOnce() + Send + 'static>> {
        match self.kind {
            JobKind::Closure(f) => Some(f),
            _ => None,
        }
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Describe<'a>(&'a dyn Dispatch);
        impl fmt::Debug for Describe<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.describe(f)
            }
        }
        match &self.kind {
            JobKind::Closure(_) => f.write_str("closure")?,
            JobKind::Local(_) => f.write_str("local closure")?,
            JobKind::Message(m) => write!(f, "{:?}", Describe(&**m))?,
            JobKind::Barrier(t) => write!(f, "sync barrier #{t}")?,
        }
        if self.asynchronous {
            f.write_str(" (async)")?;
        }
        Ok(())
    }
}

/// When a job becomes due.
///
/// ```
/// use looper::Schedule;
/// use std::time::Duration;
/// let s = Schedule::Delayed(Duration::from_millis(16));
/// assert_eq!(s, Schedule::Delayed(Duration::from_millis(16)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Due now, behind everything already due (Q1 with delay 0).
    Now,
    /// Due `now + delay` (Q1). A delay too large to represent means the job
    /// is never due: it stays pending until removed or the looper quits.
    Delayed(Duration),
    /// Due at an instant of the looper's clock. An instant in the past is
    /// due at once and ordered by that past time, so it runs before entries
    /// due later.
    At(Instant),
    /// Ahead of everything, including what is already due; several front
    /// posts run last-in first-out (Q3).
    Front,
}

/// Names one queued job, for removal or query. Returned by every post.
///
/// Tokens are unique per looper for the life of the process; a token from
/// another looper, or of a job that already ran or was removed, is simply
/// not found (removal returns `false`, never panics).
///
/// ```
/// use looper::{LooperBuilder, ManualClock};
/// use std::time::Duration;
/// let local = LooperBuilder::new().clock(ManualClock::new()).prepare().unwrap();
/// let looper = local.looper();
/// let token = looper.post_delayed(|| (), Duration::from_secs(1)).unwrap();
/// assert!(looper.remove(token));
/// assert!(!looper.remove(token), "already removed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token {
    pub(crate) looper: u64,
    pub(crate) slot: u32,
    pub(crate) seq: u64,
}

impl Token {
    /// The token's position in its looper's insertion order: tokens with a
    /// smaller sequence number were queued earlier.
    pub fn sequence(&self) -> u64 {
        self.seq
    }
}

/// Names a sync barrier (SEMANTICS Q9); barrier tokens count up from 0 per
/// looper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BarrierToken(pub(crate) u32);

impl BarrierToken {
    /// The barrier's number, as Android's `postSyncBarrier` returns it.
    pub fn get(&self) -> u32 {
        self.0
    }
}
