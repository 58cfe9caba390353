//! Target 2: throughput of boxed closures from P producers into one loop.
//!
//! Each producer posts `total / P` closures (each capturing a `u64`, so each
//! post allocates one box) as fast as it can; the clock starts when the
//! producers are released from a barrier and stops when the loop thread has
//! run the last closure. Queues are unbounded, so a slow consumer shows as a
//! long drain, not as producer back-pressure.

use crate::impls::Exec;
use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

thread_local! {
    static COUNT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    static DONE: RefCell<Option<Sender<Instant>>> = const { RefCell::new(None) };
}

/// Counts one closure on the loop thread; reports the time of the last.
#[inline]
fn tick(x: u64) {
    black_box(x);
    COUNT.with(|c| {
        let (n, total) = c.get();
        c.set((n + 1, total));
        if n + 1 == total {
            if let Some(tx) = DONE.with(|d| d.borrow_mut().take()) {
                let _ = tx.send(Instant::now());
            }
        }
    });
}

/// Messages per second through `E` with `producers` posting threads.
pub fn throughput<E: Exec>(producers: usize, total: u64) -> f64 {
    let running = E::spawn(None);
    let per = total / producers as u64;
    let total = per * producers as u64;
    let (done_tx, done_rx) = channel();
    let (ready_tx, ready_rx) = channel();
    running.exec.post(move || {
        COUNT.with(|c| c.set((0, total)));
        DONE.with(|d| *d.borrow_mut() = Some(done_tx));
        let _ = ready_tx.send(());
    });
    ready_rx.recv().expect("loop runs the setup closure");
    let barrier = Arc::new(Barrier::new(producers + 1));
    let handles: Vec<_> = (0..producers)
        .map(|p| {
            let exec = running.exec.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                let base = p as u64 * per;
                for i in 0..per {
                    let x = base + i;
                    exec.post(move || tick(x));
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let end = done_rx.recv().expect("loop runs every closure");
    for h in handles {
        h.join().expect("producer exits");
    }
    running.stop();
    total as f64 / (end - start).as_secs_f64()
}
