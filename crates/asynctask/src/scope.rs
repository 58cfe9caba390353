//! [`TaskScope`]: tasks owned by a screen, a level, a test. AsyncTask's leak
//! and crash-after-rotation problem (P1), solved by construction.
//!
//! # Guarantees
//!
//! * Dropping the scope cancels every task started in it with interruption
//!   (their waits return, their `on_cancel` hooks run, queued ones never
//!   start).
//! * After the drop returns, **none** of their UI callbacks runs, not even
//!   `on_cancelled`: the scope and the callbacks live on the same looper
//!   thread, and every callback checks the scope first. Their captured UI
//!   state is released when their final message is handled.
//! * The drop does not wait for background steps; they see the
//!   cancellation and their results are discarded.
//! * A scope is `!Send`: it belongs to the looper thread like the UI state
//!   it guards. Its [`token`](TaskScope::token) is `Send` and can cancel
//!   other work with it.

use crate::token::{report, CancellationToken};
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

/// Owns tasks (through [`AsyncTaskBuilder::scope`](crate::AsyncTaskBuilder::scope))
/// and cancels them, silently, when dropped.
///
/// ```
/// use looper::Looper;
/// use looper_asynctask::{AsyncTask, TaskScope, ThreadPool};
/// use std::{cell::Cell, rc::Rc};
///
/// let local = Looper::prepare().unwrap();
/// let pool = ThreadPool::builder().threads(1).build().unwrap();
/// let screen = TaskScope::new();
/// let called = Rc::new(Cell::new(false));
/// let (c1, c2) = (called.clone(), called.clone());
/// let task = AsyncTask::builder(|(), ctx: &looper_asynctask::Context| {
///     ctx.sleep(std::time::Duration::from_secs(3600))?; // cut short by the drop
///     Ok(())
/// })
/// .on_post_execute(move |()| c1.set(true))
/// .on_cancelled(move |_| c2.set(true))
/// .scope(&screen)
/// .build();
/// task.execute_on(&pool, ()).unwrap();
///
/// drop(screen); // the screen goes away
/// let handle = task.handle();
/// assert!(handle.is_cancelled());
/// pool.shutdown(); // the background step returned
/// local.dispatch_pending();
/// assert!(!called.get(), "no callback after the scope was dropped");
/// ```
pub struct TaskScope {
    token: CancellationToken,
    pub(crate) alive: Rc<Cell<bool>>,
}

impl fmt::Debug for TaskScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskScope")
            .field("token", &self.token)
            .finish()
    }
}

impl Default for TaskScope {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskScope {
    /// A new, live scope.
    pub fn new() -> TaskScope {
        TaskScope {
            token: CancellationToken::new(),
            alive: Rc::new(Cell::new(true)),
        }
    }

    /// A scope cancelled with `parent` too (a screen inside an app scope).
    pub fn child_of(parent: &CancellationToken) -> TaskScope {
        TaskScope {
            token: parent.child_token(),
            alive: Rc::new(Cell::new(true)),
        }
    }

    /// The scope's token: cancelled when the scope is dropped.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Drop for TaskScope {
    fn drop(&mut self) {
        // Silence first, so no callback can run even if a cancel callback
        // re-enters the looper.
        self.alive.set(false);
        report(self.token.cancel(), "task scope");
    }
}
