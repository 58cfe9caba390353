//! Errors: every failure is a value (SEMANTICS D7, X2); `Display` keeps
//! Android's message where SEMANTICS.md quotes one.

use crate::job::Job;
use std::fmt;

/// Why a looper operation was refused.
///
/// ```
/// use looper::{Looper, LooperError};
/// let _first = Looper::prepare().unwrap();
/// let second = Looper::prepare().unwrap_err();
/// assert_eq!(second, LooperError::AlreadyPrepared);
/// assert_eq!(second.to_string(), "Only one Looper may be created per thread");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LooperError {
    /// A second prepare on one thread (L1).
    AlreadyPrepared,
    /// `prepare_main` called twice in one process (L4).
    MainAlreadyPrepared,
    /// The calling thread has no looper (L3, L6).
    NoLooper,
    /// The main looper may not quit (L5).
    QuitNotAllowed,
}

impl fmt::Display for LooperError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LooperError::AlreadyPrepared => "Only one Looper may be created per thread",
            LooperError::MainAlreadyPrepared => "The main Looper has already been prepared.",
            LooperError::NoLooper => "No Looper; Looper.prepare() wasn't called on this thread.",
            LooperError::QuitNotAllowed => "Main thread not allowed to quit.",
        })
    }
}

impl std::error::Error for LooperError {}

/// A job refused because its looper has quit (SEMANTICS L9): the job comes
/// back so nothing is dropped silently.
///
/// ```
/// use looper::Looper;
/// let local = Looper::prepare().unwrap();
/// let looper = local.looper();
/// looper.quit().unwrap();
/// let err = looper.post(|| println!("too late")).unwrap_err();
/// let f = err.into_job().into_closure().unwrap();
/// f(); // still ours to run or drop
/// ```
pub struct Rejected {
    job: Job,
}

impl Rejected {
    pub(crate) fn new(job: Job) -> Self {
        Rejected { job }
    }

    /// The job that was not queued.
    pub fn into_job(self) -> Job {
        self.job
    }

    /// A reference to the job that was not queued.
    pub fn job(&self) -> &Job {
        &self.job
    }
}

impl fmt::Debug for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejected").field("job", &self.job).finish()
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sending {:?} to a looper on a dead thread (it has quit)",
            self.job
        )
    }
}

impl std::error::Error for Rejected {}

/// Removing a sync barrier that is not queued (SEMANTICS Q9).
///
/// ```
/// use looper::Looper;
/// let local = Looper::prepare().unwrap();
/// let token = local.looper().post_sync_barrier().unwrap();
/// local.looper().remove_sync_barrier(token).unwrap();
/// let err = local.looper().remove_sync_barrier(token).unwrap_err();
/// assert!(err.to_string().contains("has not been posted or has already been removed"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierError {
    pub(crate) token: u32,
}

impl fmt::Display for BarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Android's text, double space included, plus the token.
        write!(
            f,
            "The specified message queue synchronization  barrier token has not been posted or has already been removed. (token {})",
            self.token
        )
    }
}

impl std::error::Error for BarrierError {}
