//! Blocking calls into a looper: [`Handler::run_sync`] (Android's
//! `runWithScissors`, H8) and [`Handler::execute_or_send_message`] (H9).
//!
//! # Guarantees
//!
//! * On the handler's own looper thread both run inline, so the looper can
//!   never wait for itself.
//! * Elsewhere `run_sync` posts the closure and blocks on a one-slot
//!   crossbeam channel for its value. It never hangs on a dead looper: a
//!   post refused after quit fails at once, and a queued closure dropped by
//!   `quit` (or removed) drops the reply sender, which wakes the waiter with
//!   an error (fixing H8's documented hang).
//! * On timeout, the closure is removed if it has not started: it never
//!   runs. If it was already running it finishes on the looper and its value
//!   is dropped.
//! * A panic in the closure is reported to the waiter as
//!   [`RunSyncError::Panicked`] and still unwinds on the looper thread (so
//!   the looper's panic policy applies).
//! * Two loopers that `run_sync` into each other at the same time can still
//!   deadlock, as any two threads waiting for each other do; use a timeout.

use crate::dispatch;
use crate::handler::{Handler, PostError};
use crate::message::Message;
use crossbeam_channel::RecvTimeoutError;
use looper::Token;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::Duration;

/// Why [`Handler::run_sync`] returned no value.
///
/// ```
/// let local = looper::Looper::prepare().unwrap();
/// let h = looper_handler::Handler::new(&local.looper());
/// local.looper().quit().unwrap();
/// let err = std::thread::spawn(move || h.run_sync(|| 1, None).unwrap_err())
///     .join()
///     .unwrap();
/// assert_eq!(err, looper_handler::RunSyncError::Quit);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunSyncError {
    /// The looper had quit: the closure was never queued.
    Quit,
    /// The closure was dropped unrun: the looper quit (or someone removed
    /// it) while it was queued.
    Dropped,
    /// The timeout elapsed first.
    Timeout,
    /// The closure panicked on the looper thread.
    Panicked,
}

impl fmt::Display for RunSyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunSyncError::Quit => "run_sync on a looper that has quit",
            RunSyncError::Dropped => {
                "run_sync closure dropped unrun (the looper quit or it was removed)"
            }
            RunSyncError::Timeout => "run_sync timed out",
            RunSyncError::Panicked => "run_sync closure panicked on the looper thread",
        })
    }
}

impl std::error::Error for RunSyncError {}

/// How [`Handler::execute_or_send_message`] delivered a message.
///
/// ```
/// let local = looper::Looper::prepare().unwrap();
/// let h = looper_handler::Handler::new(&local.looper());
/// let how = h.execute_or_send_message(h.obtain_message(1)).unwrap();
/// assert_eq!(how, looper_handler::Delivery::Inline);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Dispatched before the call returned (on the looper thread).
    Inline,
    /// Queued, under this token.
    Queued(Token),
}

impl Handler {
    /// Runs `f` on this handler's looper and returns its value (H8 adapted).
    ///
    /// Runs inline when called on the looper thread. Otherwise waits up to
    /// `timeout` (`None`: without limit) and fails, never hangs, when the
    /// looper quits: see the [module docs](crate::run_sync) for the exact
    /// guarantees.
    ///
    /// ```
    /// use looper_handler::HandlerThread;
    /// let thread = HandlerThread::spawn("worker").unwrap();
    /// let name = thread
    ///     .handler()
    ///     .run_sync(|| std::thread::current().name().map(String::from), None)
    ///     .unwrap();
    /// assert_eq!(name.as_deref(), Some("worker"));
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn run_sync<R, F>(&self, f: F, timeout: Option<Duration>) -> Result<R, RunSyncError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        if self.looper().is_current_thread() {
            return Ok(f());
        }
        let (tx, rx) = crossbeam_channel::bounded::<Result<R, RunSyncError>>(1);
        let job = move || match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => {
                let _ = tx.send(Ok(value));
            }
            Err(panic) => {
                let _ = tx.send(Err(RunSyncError::Panicked));
                resume_unwind(panic);
            }
        };
        let token = match self.post(job) {
            Ok(token) => token,
            Err(PostError(job)) => {
                drop(job);
                return Err(RunSyncError::Quit);
            }
        };
        let received = match timeout {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(t) => rx.recv_timeout(t),
        };
        match received {
            Ok(result) => result,
            Err(RecvTimeoutError::Disconnected) => Err(RunSyncError::Dropped),
            Err(RecvTimeoutError::Timeout) => {
                // Not started yet: make sure it never runs. Already running:
                // it finishes on the looper, and its send finds us gone.
                self.remove_callbacks(token);
                Err(RunSyncError::Timeout)
            }
        }
    }

    /// Dispatches `msg` inline when called on the looper thread, else sends
    /// it (H9, Android's `executeOrSendMessage`). After quit the message
    /// comes back in the error.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let local = looper::Looper::prepare().unwrap();
    /// let seen = Rc::new(Cell::new(0));
    /// let s = seen.clone();
    /// let h = looper_handler::Handler::builder(&local).handle_message(move |m| s.set(m.what)).build();
    /// h.execute_or_send_message(h.obtain_message(4)).unwrap();
    /// assert_eq!(seen.get(), 4, "delivered before the call returned");
    /// ```
    pub fn execute_or_send_message(
        &self,
        mut msg: Message,
    ) -> Result<Delivery, PostError<Message>> {
        if self.looper().is_current_thread() {
            msg.stamp(self, Some(self.looper().now()));
            dispatch::deliver(self, &msg);
            return Ok(Delivery::Inline);
        }
        self.send_message(msg).map(Delivery::Queued)
    }
}
