//! [`Context`]: what a background step can do besides computing: publish
//! progress, notice cancellation, and wait in ways `cancel(true)` can cut
//! short.
//!
//! # Guarantees
//!
//! * `cancel(false)` only requests cancellation: [`Context::is_cancelled`]
//!   turns `true` and [`Context::check_cancelled`] fails, but waits go on.
//! * `cancel(true)` also *interrupts* (see [`crate::interrupt`]) (X1): [`sleep`](Context::sleep),
//!   [`recv`](Context::recv), [`recv_timeout`](Context::recv_timeout) and
//!   their flume forms return `Interrupted` at once, whether they were
//!   already waiting or start later, and the hooks given to
//!   [`on_cancel`](Context::on_cancel) run on the cancelling thread, for
//!   what interruption cannot reach (a blocking `accept`, a child process).
//! * Interruption belongs to the task (D5): it lives in the task's own
//!   state, not the thread's, so nothing carries over to the next task a
//!   pooled thread runs (P5). Hooks are unregistered when the step returns,
//!   waiting for one that is running on another thread (C4).
//! * Returning [`Cancelled`] (from `check_cancelled`) or [`Interrupted`](crate::Interrupted) (or
//!   an interrupted receive error) of *this* task with `?` ends the task
//!   cancelled, not failed (C12).

use crate::progress::ProgressTx;
use crate::token::{CancellationToken, Cancelled, Registration};
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// The background step's view of its task. See the [module docs](self).
pub struct Context<Pr = ()> {
    pub(crate) token: CancellationToken,
    pub(crate) interrupt: CancellationToken,
    progress: ProgressTx<Pr>,
    pub(crate) hooks: Mutex<Vec<Registration>>,
    pub(crate) crossbeam_interrupt: OnceLock<crossbeam_channel::Receiver<()>>,
    pub(crate) flume_interrupt: OnceLock<flume::Receiver<()>>,
}

impl<Pr: Send + 'static> fmt::Debug for Context<Pr> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("cancelled", &self.is_cancelled())
            .field("interrupted", &self.is_interrupted())
            .finish()
    }
}

impl<Pr: Send + 'static> Context<Pr> {
    pub(crate) fn new(
        token: CancellationToken,
        interrupt: CancellationToken,
        progress: ProgressTx<Pr>,
    ) -> Context<Pr> {
        Context {
            token,
            interrupt,
            progress,
            hooks: Mutex::new(Vec::new()),
            crossbeam_interrupt: OnceLock::new(),
            flume_interrupt: OnceLock::new(),
        }
    }

    /// Sends `value` towards `on_progress_update` under the task's progress
    /// policy; `false` (and dropped) once the task is cancelled (A6) or when
    /// nobody listens.
    pub fn publish_progress(&self, value: Pr) -> bool {
        !self.token.is_cancelled() && self.progress.publish(value)
    }

    /// Whether the task was cancelled, with or without interruption.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Whether the task was cancelled with interruption (`cancel(true)`).
    pub fn is_interrupted(&self) -> bool {
        self.interrupt.is_cancelled()
    }

    /// `Err(Cancelled)` once the task is cancelled; return it with `?` to end
    /// the task cancelled (C5, C12).
    pub fn check_cancelled(&self) -> Result<(), Cancelled> {
        self.token.check()
    }

    /// The task's cancellation token: make child tokens for nested work, or
    /// register callbacks that run on *any* cancel.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}
