//! Idle handlers (SEMANTICS Q8, P18) on the looper thread.
//!
//! # Guarantees
//!
//! * Idle handlers run on the looper thread when nothing is due and the
//!   queue is not stalled by a barrier, at most once per idle period (from
//!   one dispatch to the next), in `run`, `pump` and the test helpers alike.
//! * Returning `false` removes a handler; a panic is reported through
//!   `tracing` and removes it too.
//! * A handler that re-enters the loop (pumps from inside) is skipped by the
//!   nested pass instead of deadlocking.

use crate::local::{panic_message, LocalLooper};
use crate::IdleHandlerId;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::TryLockError;

pub(crate) type LocalIdle = Rc<RefCell<Box<dyn FnMut() -> bool + 'static>>>;

impl LocalLooper {
    /// Registers an idle handler that may capture `!Send` state (Q8).
    pub fn add_idle_handler(&self, f: impl FnMut() -> bool + 'static) -> IdleHandlerId {
        let id = crate::shared::NEXT_IDLE_ID.fetch_add(1, SeqCst);
        let boxed: Box<dyn FnMut() -> bool> = Box::new(f);
        self.inner
            .idle
            .borrow_mut()
            .push((id, Rc::new(RefCell::new(boxed))));
        IdleHandlerId(id)
    }

    pub(crate) fn remove_local_idle(&self, id: IdleHandlerId) -> bool {
        let mut idle = self.inner.idle.borrow_mut();
        let before = idle.len();
        idle.retain(|(i, _)| *i != id.0);
        idle.len() != before
    }

    /// Runs the idle handlers unless they already ran in this idle period;
    /// returns whether any ran.
    pub(crate) fn run_idle_handlers_once(&self) -> bool {
        if self.inner.idle_ran.replace(true) {
            return false;
        }
        self.run_idle_handlers()
    }

    /// Runs every idle handler once; returns whether there were any.
    fn run_idle_handlers(&self) -> bool {
        let shared = self.shared();
        let send: Vec<_> = shared.lock().idle.clone();
        let local: Vec<_> = self.inner.idle.borrow().clone();
        if send.is_empty() && local.is_empty() {
            return false;
        }
        // A handler that pumps the looper (a nested loop) can reach this
        // function again while it is still running; skip it there instead of
        // deadlocking on its mutex or panicking on its `RefCell`.
        let mut drop_ids = Vec::new();
        for (id, handler) in &send {
            let mut h = match handler.try_lock() {
                Ok(h) => h,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => continue,
            };
            let keep = catch_unwind(AssertUnwindSafe(|| (*h)()));
            drop(h);
            if !idle_keep(shared.id, *id, keep) {
                drop_ids.push(*id);
            }
        }
        for (id, handler) in &local {
            let Ok(mut h) = handler.try_borrow_mut() else {
                continue;
            };
            let keep = catch_unwind(AssertUnwindSafe(|| (*h)()));
            drop(h);
            if !idle_keep(shared.id, *id, keep) {
                drop_ids.push(*id);
            }
        }
        if !drop_ids.is_empty() {
            shared.lock().idle.retain(|(i, _)| !drop_ids.contains(i));
            self.inner
                .idle
                .borrow_mut()
                .retain(|(i, _)| !drop_ids.contains(i));
        }
        true
    }
}

fn idle_keep(looper: u64, id: u64, result: std::thread::Result<bool>) -> bool {
    match result {
        Ok(keep) => keep,
        Err(payload) => {
            tracing::error!(
                looper,
                idle_handler = id,
                panic = panic_message(&*payload),
                "idle handler panicked; removed (Q8)"
            );
            false
        }
    }
}
