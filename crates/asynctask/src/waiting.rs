//! Waiting on a [`CancellationToken`] from async code, and tying its
//! cancellation to a scope: the [`WaitForCancellation`] future (K3) and the
//! [`DropGuard`] (K5).
//!
//! # Guarantees
//!
//! * The future resolves at once on a cancelled token, registers its waker
//!   under the token's lock (so a concurrent cancel either sees it or the
//!   poll sees the cancel: no lost wake-up), and removes it when dropped
//!   (cancel-safe).
//! * A guard cancels exactly once, on drop, unless disarmed.

use crate::token::{report, CancellationToken};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

/// Cancels its token on drop unless [`disarm`](DropGuard::disarm)ed (K5).
#[derive(Debug)]
#[must_use = "the token is cancelled as soon as the guard is dropped"]
pub struct DropGuard {
    pub(crate) token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a guard holds its token until dropped")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            report(token.cancel(), "drop guard");
        }
    }
}

/// The future returned by [`CancellationToken::cancelled`].
#[must_use = "futures do nothing unless polled"]
pub struct WaitForCancellation {
    pub(crate) token: CancellationToken,
    pub(crate) waker_id: Option<u64>,
}

impl fmt::Debug for WaitForCancellation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellation")
            .field("token", &self.token)
            .finish()
    }
}

impl Future for WaitForCancellation {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        if self.token.is_cancelled() {
            return Poll::Ready(());
        }
        match self.token.set_waker(self.waker_id, cx.waker()) {
            Some(id) => {
                self.waker_id = Some(id);
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

impl Drop for WaitForCancellation {
    fn drop(&mut self) {
        if let Some(id) = self.waker_id {
            self.token.remove_waker(id);
        }
    }
}
