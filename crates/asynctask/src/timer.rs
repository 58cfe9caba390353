//! The process-wide timer thread behind [`CancellationToken::cancel_after`]
//! (C7).
//!
//! One thread, started on first use (`once_cell::sync::Lazy`), keeps the
//! armed deadlines in a heap and sleeps on a crossbeam channel until the
//! earliest is due or a new one arrives. It holds tokens weakly, so an armed
//! timer never keeps a dropped token alive, and fires an entry only if its
//! generation is still the token's current one (a later `cancel_after` or
//! `clear_cancel_after` bumps it). When idle it blocks without a timeout.

use crate::token::{CancellationToken, Node};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use once_cell::sync::Lazy;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Weak;
use std::time::Instant;

struct Entry {
    at: Instant,
    generation: u64,
    node: Weak<Node>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

static TIMER: Lazy<Sender<Entry>> = Lazy::new(|| {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("asynctask-timer".into())
        .spawn(move || run(rx))
        .expect("spawning the cancel_after timer thread");
    tx
});

pub(crate) fn schedule(at: Instant, generation: u64, node: Weak<Node>) {
    // The receiver lives as long as the process: the send cannot fail.
    let _ = TIMER.send(Entry {
        at,
        generation,
        node,
    });
}

fn run(rx: Receiver<Entry>) {
    let mut heap: BinaryHeap<Reverse<Entry>> = BinaryHeap::new();
    loop {
        let now = Instant::now();
        while heap.peek().is_some_and(|e| e.0.at <= now) {
            let Reverse(e) = heap.pop().expect("peeked");
            if let Some(node) = e.node.upgrade() {
                CancellationToken::fire_timer(node, e.generation);
            }
        }
        let next = match heap.peek() {
            Some(e) => rx.recv_deadline(e.0.at),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match next {
            Ok(e) => heap.push(Reverse(e)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
