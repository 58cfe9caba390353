//! How progress travels from the background step to the UI thread (A6, D6,
//! P6).
//!
//! # Guarantees
//!
//! * Progress published after the task was cancelled is dropped
//!   (`publish_progress` returns `false`); progress published before is
//!   delivered, and every delivery precedes the task's final callback: both
//!   travel through one ordered channel into the looper (A6).
//! * [`ProgressPolicy::Every`] (the default, D6) posts one UI message per
//!   update, as Android does.
//! * [`ProgressPolicy::Latest`] keeps only the newest value in a slot; at
//!   most **one** UI message per task is pending at any time, and the last
//!   value published is delivered before the final callback. A publish costs
//!   an uncontended mutex and an atomic load when a message is already
//!   pending: no allocation, no syscall.
//! * Batches (`on_progress_batch`, SwingWorker's `process(List)`) collect
//!   values in the same slot scheme and deliver them all, in order, as one
//!   `Vec` per UI message.

use crate::deliver::UiTx;
use crate::sync::lock_std;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Which progress updates reach the UI thread, and how (D6, P6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressPolicy {
    /// Every update, one UI message each (Android's behaviour, the default).
    #[default]
    Every,
    /// Only the latest value; a fast producer cannot flood the UI queue.
    Latest,
}

/// A message into the task's UI side.
pub(crate) enum Event<Pr> {
    Progress(Pr),
    /// The coalescing slot has something for the UI.
    Coalesced,
    Finish,
}

pub(crate) enum Slot<Pr> {
    Latest(Option<Pr>),
    Batch(Vec<Pr>),
}

/// The slot a coalescing policy fills on the worker and drains on the UI.
pub(crate) struct Coalescer<Pr> {
    slot: Mutex<Slot<Pr>>,
    /// A `Coalesced` message is queued and not yet handled.
    pending: AtomicBool,
}

impl<Pr> Coalescer<Pr> {
    pub(crate) fn new(batch: bool) -> Arc<Coalescer<Pr>> {
        Arc::new(Coalescer {
            slot: Mutex::new(if batch {
                Slot::Batch(Vec::new())
            } else {
                Slot::Latest(None)
            }),
            pending: AtomicBool::new(false),
        })
    }

    /// Stores `value`; `true` if the caller must post a `Coalesced` message.
    fn put(&self, value: Pr) -> bool {
        match &mut *lock_std(&self.slot) {
            Slot::Latest(v) => *v = Some(value),
            Slot::Batch(v) => v.push(value),
        }
        // The UI clears `pending` before it drains the slot, under the same
        // mutex we just released, so either we see `false` and post, or the
        // queued message will still find our value: no value is stranded.
        !self.pending.load(Ordering::Acquire) && !self.pending.swap(true, Ordering::AcqRel)
    }

    /// Called by the UI when it handles a `Coalesced` message (and before the
    /// final callback): what accumulated since the last drain.
    pub(crate) fn drain(&self) -> Option<Slot<Pr>> {
        self.pending.store(false, Ordering::Release);
        let mut slot = lock_std(&self.slot);
        match &mut *slot {
            Slot::Latest(v) => v.take().map(|v| Slot::Latest(Some(v))),
            Slot::Batch(v) if v.is_empty() => None,
            Slot::Batch(v) => Some(Slot::Batch(std::mem::take(v))),
        }
    }
}

/// The worker's end of the progress path.
pub(crate) enum ProgressTx<Pr> {
    /// A task without UI side (`spawn`): progress goes nowhere.
    Discard,
    Every(UiTx<Pr>),
    Coalesced(Arc<Coalescer<Pr>>, UiTx<Pr>),
}

impl<Pr: Send + 'static> ProgressTx<Pr> {
    /// Sends or stores `value`; `false` if it cannot reach the UI.
    pub(crate) fn publish(&self, value: Pr) -> bool {
        match self {
            ProgressTx::Discard => false,
            ProgressTx::Every(tx) => tx.send(Event::Progress(value)).is_ok(),
            ProgressTx::Coalesced(c, tx) => {
                if c.put(value) {
                    tx.send(Event::Coalesced).is_ok()
                } else {
                    true
                }
            }
        }
    }
}
