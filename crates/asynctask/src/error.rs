//! Every way a task operation can fail, as values (SEMANTICS D7, X2).
//!
//! Where Android or Java throw an exception with a message, the matching
//! variant's `Display` keeps that message (A2, A4).

use crate::executor::Work;
use crate::token::CancellationToken;
use std::any::Any;
use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// What a background step returns on failure: any error, boxed. `?` on any
/// `std::error::Error + Send + Sync` converts into it.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Why [`AsyncTask::execute`](crate::AsyncTask::execute) refused to start a
/// task (A2).
#[derive(Debug)]
#[non_exhaustive]
pub enum ExecuteError {
    /// The task is running (Android's `IllegalStateException`).
    AlreadyRunning,
    /// The task already ran (Android's `IllegalStateException`).
    AlreadyExecuted,
    /// `execute` was called on a thread without a looper: UI callbacks need
    /// one to run on.
    NoLooper,
    /// The executor refused the task. `on_pre_execute` had already run; the
    /// task is finished and failed, and no other UI callback runs.
    Rejected(RejectedError),
}

impl fmt::Display for ExecuteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecuteError::AlreadyRunning => {
                f.write_str("Cannot execute task: the task is already running.")
            }
            ExecuteError::AlreadyExecuted => f.write_str(
                "Cannot execute task: the task has already been executed (a task can be executed only once)",
            ),
            ExecuteError::NoLooper => f.write_str(
                "Cannot execute task: the calling thread has no looper (call Looper::prepare first)",
            ),
            ExecuteError::Rejected(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl Error for ExecuteError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ExecuteError::Rejected(e) => Some(e),
            _ => None,
        }
    }
}

/// Why an executor refused work (A14, P3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectReason {
    /// Every queue slot is taken.
    Full {
        /// The queue's capacity.
        capacity: usize,
    },
    /// The executor was shut down.
    Shutdown,
}

/// Work an executor refused; holds the work so nothing is lost silently.
pub struct RejectedError {
    reason: RejectReason,
    work: Option<Work>,
}

impl RejectedError {
    /// Refuses `work` for `reason`.
    pub fn new(reason: RejectReason, work: Work) -> RejectedError {
        RejectedError {
            reason,
            work: Some(work),
        }
    }

    /// Why the work was refused.
    pub fn reason(&self) -> RejectReason {
        self.reason
    }

    /// The refused work, if still held.
    pub fn into_work(self) -> Option<Work> {
        self.work
    }

    pub(crate) fn take_work(&mut self) -> Option<Work> {
        self.work.take()
    }
}

impl fmt::Debug for RejectedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RejectedError")
            .field("reason", &self.reason)
            .finish()
    }
}

impl fmt::Display for RejectedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            RejectReason::Full { capacity } => {
                write!(
                    f,
                    "task rejected: the executor's queue is full ({capacity} queued tasks)"
                )
            }
            RejectReason::Shutdown => f.write_str("task rejected: the executor was shut down"),
        }
    }
}

impl Error for RejectedError {}

#[derive(Clone)]
enum Failure {
    Panic(Arc<str>),
    Error(Arc<dyn Error + Send + Sync>),
    Rejected(RejectReason),
    Abandoned,
}

/// Why a task failed (D2): its background step panicked or returned an
/// error, or it never ran because its executor refused or dropped it.
/// Cheap to clone; shared between `get` callers and `on_failed`.
#[derive(Clone)]
pub struct TaskError {
    failure: Failure,
}

impl TaskError {
    pub(crate) fn panic(message: String) -> TaskError {
        TaskError {
            failure: Failure::Panic(message.into()),
        }
    }

    pub(crate) fn from_error(e: BoxError) -> TaskError {
        TaskError {
            failure: Failure::Error(Arc::from(e)),
        }
    }

    pub(crate) fn rejected(reason: RejectReason) -> TaskError {
        TaskError {
            failure: Failure::Rejected(reason),
        }
    }

    pub(crate) fn abandoned() -> TaskError {
        TaskError {
            failure: Failure::Abandoned,
        }
    }

    /// The panic message, if the background step panicked.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.failure {
            Failure::Panic(m) => Some(m),
            _ => None,
        }
    }

    /// The error the background step returned, if it returned one.
    pub fn error(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match &self.failure {
            Failure::Error(e) => Some(&**e),
            _ => None,
        }
    }

    /// The returned error as `E`, if it is one.
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.error().and_then(|e| e.downcast_ref())
    }

    /// Whether the executor refused or dropped the task before it ran.
    pub fn is_not_run(&self) -> bool {
        matches!(self.failure, Failure::Rejected(_) | Failure::Abandoned)
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskError({self})")
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Android's wrapper message (A4), then the cause.
        f.write_str("An error occurred while executing doInBackground(): ")?;
        match &self.failure {
            Failure::Panic(m) => write!(f, "panicked: {m}"),
            Failure::Error(e) => write!(f, "{e}"),
            Failure::Rejected(r) => {
                write!(
                    f,
                    "{}",
                    RejectedError {
                        reason: *r,
                        work: None
                    }
                )
            }
            Failure::Abandoned => f.write_str("the executor dropped the task without running it"),
        }
    }
}

impl Error for TaskError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.failure {
            Failure::Error(e) => Some(&**e as &(dyn Error + 'static)),
            _ => None,
        }
    }
}

/// Why `get` gave no result (A12, F5).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum GetError {
    /// The task was cancelled (Java's `CancellationException`).
    Cancelled,
    /// The background step failed (Java's `ExecutionException`).
    Failed(TaskError),
    /// The timeout passed first (Java's `TimeoutException`).
    Timeout,
}

impl GetError {
    /// Whether this is [`GetError::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, GetError::Cancelled)
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Cancelled => f.write_str("the task was cancelled"),
            GetError::Failed(e) => fmt::Display::fmt(e, f),
            GetError::Timeout => f.write_str("timed out waiting for the task's result"),
        }
    }
}

impl Error for GetError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            GetError::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// An interruptible wait was cut short by `cancel(true)` (X1). Returning it
/// with `?` from a background step ends the task cancelled, not failed (C12).
#[derive(Clone, PartialEq, Eq)]
pub struct Interrupted {
    pub(crate) token: CancellationToken,
}

impl fmt::Debug for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Interrupted")
    }
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the wait was interrupted: the task was cancelled with interruption")
    }
}

impl Error for Interrupted {}

/// Why an interruptible receive returned without a value.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RecvError {
    /// The task was cancelled with interruption.
    Interrupted(Interrupted),
    /// Every sender is gone and the channel is empty.
    Disconnected,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Interrupted(i) => fmt::Display::fmt(i, f),
            RecvError::Disconnected => {
                f.write_str("receiving on an empty and disconnected channel")
            }
        }
    }
}

impl Error for RecvError {}

/// Why an interruptible receive with a timeout returned without a value.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RecvTimeoutError {
    /// The task was cancelled with interruption.
    Interrupted(Interrupted),
    /// Nothing arrived in time.
    Timeout,
    /// Every sender is gone and the channel is empty.
    Disconnected,
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvTimeoutError::Interrupted(i) => fmt::Display::fmt(i, f),
            RecvTimeoutError::Timeout => f.write_str("timed out waiting on the channel"),
            RecvTimeoutError::Disconnected => {
                f.write_str("receiving on an empty and disconnected channel")
            }
        }
    }
}

impl Error for RecvTimeoutError {}

/// The error [`CancellationToken::check`] returns: the operation was
/// cancelled through `token` (C5).
#[derive(Clone, PartialEq, Eq)]
pub struct Cancelled {
    pub(crate) token: CancellationToken,
}

impl Cancelled {
    /// The token whose cancellation this reports.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cancelled")
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // .NET's OperationCanceledException message.
        f.write_str("The operation was canceled.")
    }
}

impl std::error::Error for Cancelled {}

/// Panics raised by cancellation callbacks, in the order they ran (C2).
pub struct CallbackErrors {
    pub(crate) panics: Vec<Box<dyn Any + Send>>,
}

impl CallbackErrors {
    /// How many callbacks panicked.
    pub fn len(&self) -> usize {
        self.panics.len()
    }

    /// Always `false`: an empty set is never returned.
    pub fn is_empty(&self) -> bool {
        self.panics.is_empty()
    }

    /// The panic messages, in the order the callbacks ran.
    pub fn messages(&self) -> Vec<String> {
        self.panics
            .iter()
            .map(|p| panic_message(p.as_ref()))
            .collect()
    }

    /// The raw panic payloads, e.g. to `resume_unwind` the first one.
    pub fn into_panics(self) -> Vec<Box<dyn Any + Send>> {
        self.panics
    }
}

impl fmt::Debug for CallbackErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackErrors")
            .field("messages", &self.messages())
            .finish()
    }
}

impl fmt::Display for CallbackErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cancellation callback(s) panicked: {}",
            self.len(),
            self.messages().join("; ")
        )
    }
}

impl std::error::Error for CallbackErrors {}

/// The text of a panic payload.
pub(crate) fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_string()
    }
}
