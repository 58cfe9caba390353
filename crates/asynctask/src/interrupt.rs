//! Interruptible waits for background steps: how `cancel(true)` reaches
//! work that is blocked (X1, D5, PERFORMANCE target 6).
//!
//! # Guarantees
//!
//! * Each task has an *interrupt* token, cancelled only by `cancel(true)`.
//!   [`Context::sleep`] waits on that token's condition variable;
//!   [`Context::recv`] and friends `select!` between the caller's channel
//!   and a zero-capacity channel whose sender an interrupt hook drops. So an
//!   interrupt wakes the wait with one condvar notify or channel disconnect:
//!   the same cost as an unpark.
//! * A wait that starts after the interrupt returns `Interrupted` at once.
//! * The interrupt token belongs to the task, so a pooled thread never
//!   carries an interrupt into the next task (D5, P5): there is nothing
//!   per-thread to clear.
//! * [`Context::on_cancel`] hooks run on the cancelling thread, newest
//!   first, and are unregistered when the background step returns; a hook
//!   still running on another thread is waited for (C4), so it never
//!   outlives the step's resources.

use crate::context::Context;
use crate::error::{Interrupted, RecvError, RecvTimeoutError};
use crate::sync::lock_std;
use std::time::Duration;

impl<Pr: Send + 'static> Context<Pr> {
    fn interrupted(&self) -> Interrupted {
        Interrupted {
            token: self.interrupt.clone(),
        }
    }

    /// Sleeps for `d`, or less if the task is cancelled with interruption.
    pub fn sleep(&self, d: Duration) -> Result<(), Interrupted> {
        if self.interrupt.wait_timeout(d) {
            Err(self.interrupted())
        } else {
            Ok(())
        }
    }

    /// Runs `hook` on the cancelling thread when the task is cancelled with
    /// interruption, or at once if it already was. Use it to close what an
    /// interrupt cannot reach: shut down a socket, kill a child process. The
    /// hook is unregistered when the background step returns.
    pub fn on_cancel(&self, hook: impl FnOnce() + Send + 'static) {
        let reg = self.interrupt.register(hook);
        lock_std(&self.hooks).push(reg);
    }

    /// A receiver that disconnects when the task is interrupted: the wake-up
    /// source interruptible receives select on.
    fn crossbeam_interrupt(&self) -> &crossbeam_channel::Receiver<()> {
        self.crossbeam_interrupt.get_or_init(|| {
            let (tx, rx) = crossbeam_channel::bounded::<()>(0);
            self.on_cancel(move || drop(tx));
            rx
        })
    }

    fn flume_interrupt(&self) -> &flume::Receiver<()> {
        self.flume_interrupt.get_or_init(|| {
            let (tx, rx) = flume::bounded::<()>(0);
            self.on_cancel(move || drop(tx));
            rx
        })
    }

    /// Receives from a crossbeam channel, returning
    /// [`RecvError::Interrupted`] as soon as the task is cancelled with
    /// interruption.
    pub fn recv<T>(&self, rx: &crossbeam_channel::Receiver<T>) -> Result<T, RecvError> {
        if self.is_interrupted() {
            return Err(RecvError::Interrupted(self.interrupted()));
        }
        let interrupt = self.crossbeam_interrupt();
        crossbeam_channel::select! {
            recv(rx) -> v => v.map_err(|_| RecvError::Disconnected),
            recv(interrupt) -> _ => Err(RecvError::Interrupted(self.interrupted())),
        }
    }

    /// [`recv`](Self::recv) with a timeout.
    pub fn recv_timeout<T>(
        &self,
        rx: &crossbeam_channel::Receiver<T>,
        timeout: Duration,
    ) -> Result<T, RecvTimeoutError> {
        if self.is_interrupted() {
            return Err(RecvTimeoutError::Interrupted(self.interrupted()));
        }
        let interrupt = self.crossbeam_interrupt();
        crossbeam_channel::select! {
            recv(rx) -> v => v.map_err(|_| RecvTimeoutError::Disconnected),
            recv(interrupt) -> _ => Err(RecvTimeoutError::Interrupted(self.interrupted())),
            default(timeout) => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Receives from a flume channel, returning [`RecvError::Interrupted`]
    /// as soon as the task is cancelled with interruption.
    pub fn recv_flume<T>(&self, rx: &flume::Receiver<T>) -> Result<T, RecvError> {
        if self.is_interrupted() {
            return Err(RecvError::Interrupted(self.interrupted()));
        }
        flume::Selector::new()
            .recv(rx, |v| v.map_err(|_| RecvError::Disconnected))
            .recv(self.flume_interrupt(), |_| {
                Err(RecvError::Interrupted(self.interrupted()))
            })
            .wait()
    }

    /// [`recv_flume`](Self::recv_flume) with a timeout.
    pub fn recv_flume_timeout<T>(
        &self,
        rx: &flume::Receiver<T>,
        timeout: Duration,
    ) -> Result<T, RecvTimeoutError> {
        if self.is_interrupted() {
            return Err(RecvTimeoutError::Interrupted(self.interrupted()));
        }
        flume::Selector::new()
            .recv(rx, |v| v.map_err(|_| RecvTimeoutError::Disconnected))
            .recv(self.flume_interrupt(), |_| {
                Err(RecvTimeoutError::Interrupted(self.interrupted()))
            })
            .wait_timeout(timeout)
            .unwrap_or(Err(RecvTimeoutError::Timeout))
    }
}
