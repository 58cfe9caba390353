//! Target 8: memory of pending messages and allocations per post.
//!
//! * Resident growth: `/proc/self/statm` before and after posting `n` delayed
//!   empty closures (zero-sized, so the box itself allocates nothing and only
//!   the queue's own storage counts) to a looper that is not running, and the
//!   same for closures capturing a `u64`; a `BinaryHeap` of the same boxed
//!   closures is the reference.
//!   Each runs in a child process of its own, so no memory freed by another
//!   measurement is reused; the heap bytes the counting allocator saw held
//!   are reported beside it.
//! * Allocations per steady-state post: a looper that has already held and
//!   run the same number of messages (so its storage has grown) gets another
//!   batch; the counting global allocator (`allocation-counter`, per thread)
//!   counts what posting and dispatching allocate. Each closure captures a
//!   `u64`, so the boxed closure is exactly one allocation.

use looper::LooperBuilder;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|r| r.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// The memory figures of one run.
#[derive(Debug, Clone, Copy)]
pub struct MemoryCosts {
    /// Pending messages.
    pub n: usize,
    /// Resident growth with `n` pending empty closures, bytes.
    pub looper_empty_rss: u64,
    /// Resident growth with `n` pending closures capturing a `u64`, bytes.
    pub looper_boxed_rss: u64,
    /// Resident growth of a `BinaryHeap` of `n` (due, seq, boxed closure).
    pub heap_boxed_rss: u64,
    /// Heap bytes held with `n` pending empty closures.
    pub looper_empty_heap: i64,
    /// Heap bytes held with `n` pending closures capturing a `u64`.
    pub looper_boxed_heap: i64,
    /// Heap bytes held by the `BinaryHeap` reference.
    pub heap_boxed_heap: i64,
    /// Allocations per `Looper::post` in steady state.
    pub allocs_per_post: f64,
    /// Allocations per `Looper::post_delayed` in steady state.
    pub allocs_per_post_delayed: f64,
    /// Allocations per dispatched message in steady state.
    pub allocs_per_dispatch: f64,
    /// Allocations per `crossbeam_channel::Sender::send` of a boxed closure.
    pub allocs_per_crossbeam_send: f64,
}

/// Runs one resident-growth measurement in this (fresh) process and returns
/// (resident growth, heap bytes held by the measuring thread).
pub fn child_rss(kind: &str, n: usize) -> (u64, i64) {
    let before = resident_bytes();
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    let info = allocation_counter::measure(|| match kind {
        "heap" => {
            let base = Instant::now();
            let mut heap = BinaryHeap::new();
            for i in 0..n as u64 {
                let due = base + Duration::from_nanos(i);
                heap.push(crate::delayed::Entry::new(
                    due,
                    i,
                    Box::new(move || {
                        black_box(i);
                    }),
                ));
            }
            keep.push(Box::new(heap));
        }
        _ => {
            let local = LooperBuilder::new()
                .prepare()
                .expect("fresh thread has no looper");
            let looper = local.looper();
            for i in 0..n as u64 {
                let delay = Duration::from_secs(10) + Duration::from_nanos(i);
                let posted = if kind == "looper-boxed" {
                    looper.post_delayed(
                        move || {
                            black_box(i);
                        },
                        delay,
                    )
                } else {
                    looper.post_delayed(|| (), delay)
                };
                assert!(posted.is_ok(), "looper accepts the post");
            }
            assert_eq!(looper.pending_count(), n, "every message is pending");
            keep.push(Box::new(local));
        }
    });
    let grown = resident_bytes().saturating_sub(before);
    black_box(&keep);
    (grown, info.bytes_current)
}

/// Runs [`child_rss`] in a child process (so no memory freed by an earlier
/// measurement is reused) and returns its resident growth.
fn rss_in_child(kind: &str, n: usize) -> Option<(u64, i64)> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe)
        .args(["--child-rss", kind, &n.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut parts = text.split_whitespace();
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Allocations per (post, post_delayed, dispatch) after one warm-up batch.
fn looper_allocs(batch: usize) -> (f64, f64, f64) {
    thread::spawn(move || {
        let local = LooperBuilder::new()
            .prepare()
            .expect("fresh thread has no looper");
        let looper = local.looper();
        let post_all = |delayed: bool| {
            for i in 0..batch as u64 {
                let f = move || {
                    black_box(i);
                };
                let posted = if delayed {
                    looper.post_delayed(f, Duration::from_nanos(1))
                } else {
                    looper.post(f)
                };
                assert!(posted.is_ok(), "looper accepts the post");
            }
        };
        // Warm-up: grow every lane's storage to `batch` entries, then drain.
        post_all(false);
        post_all(true);
        while looper.pending_count() > 0 {
            local.dispatch_pending();
        }
        let post = allocation_counter::measure(|| post_all(false));
        let dispatch = allocation_counter::measure(|| {
            local.dispatch_pending();
        });
        let delayed = allocation_counter::measure(|| post_all(true));
        while looper.pending_count() > 0 {
            local.dispatch_pending();
        }
        let per = |n: u64| n as f64 / batch as f64;
        (
            per(post.count_total),
            per(delayed.count_total),
            per(dispatch.count_total),
        )
    })
    .join()
    .expect("allocation thread exits")
}

fn crossbeam_allocs(batch: usize) -> f64 {
    let (tx, rx) = crossbeam_channel::unbounded::<Box<dyn FnOnce() + Send>>();
    let info = allocation_counter::measure(|| {
        for i in 0..batch as u64 {
            let _ = tx.send(Box::new(move || {
                black_box(i);
            }));
        }
    });
    for f in rx.try_iter() {
        f();
    }
    info.count_total as f64 / batch as f64
}

/// Runs every memory measurement with `n` pending messages.
pub fn memory_costs(n: usize) -> MemoryCosts {
    let (looper_empty_rss, looper_empty_heap) = rss_in_child("looper-empty", n).unwrap_or_default();
    let (looper_boxed_rss, looper_boxed_heap) = rss_in_child("looper-boxed", n).unwrap_or_default();
    let (heap_boxed_rss, heap_boxed_heap) = rss_in_child("heap", n).unwrap_or_default();
    let batch = (n / 10).max(1000);
    let (allocs_per_post, allocs_per_post_delayed, allocs_per_dispatch) = looper_allocs(batch);
    MemoryCosts {
        n,
        looper_empty_rss,
        looper_boxed_rss,
        heap_boxed_rss,
        looper_empty_heap,
        looper_boxed_heap,
        heap_boxed_heap,
        allocs_per_post,
        allocs_per_post_delayed,
        allocs_per_dispatch,
        allocs_per_crossbeam_send: crossbeam_allocs(batch),
    }
}
