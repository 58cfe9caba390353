//! Shared test helpers: a UI thread looper that the test drives until a
//! condition holds, woken by posts from other threads (no sleeping).
#![allow(dead_code)]

use looper::{Budget, LocalLooper, Looper, Next};
use std::sync::Arc;
use std::time::Duration;

/// How long a test waits for another thread before declaring it stuck:
/// generous, only reached when something is broken.
pub const STUCK: Duration = Duration::from_secs(20);

pub struct Ui {
    pub local: LocalLooper,
    wake: crossbeam_channel::Receiver<()>,
}

impl Ui {
    pub fn new() -> Ui {
        let local = Looper::prepare().expect("one looper per test thread");
        let (tx, rx) = crossbeam_channel::unbounded();
        local.set_wake_hook(Some(Arc::new(move || {
            let _ = tx.send(());
        })));
        Ui { local, wake: rx }
    }

    /// Dispatches messages until `done()` holds, blocking (without CPU) for
    /// posts from other threads in between.
    pub fn run_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        loop {
            let pump = self.local.pump(Budget::unlimited());
            if done() {
                return;
            }
            if pump.next == Next::Now {
                continue;
            }
            if self.wake.recv_timeout(STUCK).is_err() {
                panic!("stuck waiting for: {what}");
            }
        }
    }

    /// Dispatches everything already queued.
    pub fn drain(&self) {
        while self.local.pump(Budget::unlimited()).next == Next::Now {}
    }
}

/// A one-shot gate a background step blocks on until the test opens it.
pub fn gate() -> (
    crossbeam_channel::Sender<()>,
    crossbeam_channel::Receiver<()>,
) {
    crossbeam_channel::bounded(1)
}
