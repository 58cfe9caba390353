//! Unit tests of the queue data structure (Q2, Q3, Q9, removal, never-due).
use super::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// Pushes like the looper does: one growing sequence for all lanes; `fifo`
/// entries model undelayed posts.
fn push(q: &mut Queue<u32>, when: u64, kind: Kind, fifo: bool, value: u32) -> Key {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    if fifo && kind == Kind::Sync && when != FRONT {
        q.push_fifo(seq, when, value)
    } else {
        q.push(seq, when, kind, value)
    }
}

fn drain(q: &mut Queue<u32>, now: u64) -> Vec<u32> {
    std::iter::from_fn(|| q.pop_due(now, u64::MAX).map(|p| p.value)).collect()
}

#[test]
fn q2_ties_are_fifo_across_lanes() {
    let mut q = Queue::default();
    push(&mut q, 5, Kind::Sync, true, 1);
    push(&mut q, 5, Kind::Sync, false, 2);
    push(&mut q, 5, Kind::Sync, true, 3);
    push(&mut q, 3, Kind::Sync, false, 0);
    assert_eq!(drain(&mut q, 10), vec![0, 1, 2, 3]);
}

#[test]
fn q3_front_entries_are_lifo_and_first() {
    let mut q = Queue::default();
    push(&mut q, 1, Kind::Sync, true, 10);
    push(&mut q, FRONT, Kind::Sync, false, 1);
    push(&mut q, FRONT, Kind::Sync, false, 2);
    assert_eq!(drain(&mut q, 1), vec![2, 1, 10]);
}

#[test]
fn q9_barrier_stalls_sync_but_not_async() {
    let mut q = Queue::default();
    push(&mut q, 1, Kind::Sync, true, 1);
    let b = push(&mut q, 2, Kind::Barrier, true, 0);
    push(&mut q, 3, Kind::Sync, true, 2);
    push(&mut q, 4, Kind::Async, true, 3);
    assert_eq!(drain(&mut q, 10), vec![1, 3]);
    assert_eq!(q.head(10), Head::Stalled(None));
    q.remove(b).expect("barrier is queued");
    assert_eq!(drain(&mut q, 10), vec![2]);
}

#[test]
fn removal_by_key_is_exact_and_compacts() {
    let mut q = Queue::default();
    let keys: Vec<_> = (0..1000)
        .map(|i| push(&mut q, 100 + i, Kind::Sync, false, i as u32))
        .collect();
    for k in &keys[..990] {
        assert!(q.remove(*k).is_some());
        assert!(q.remove(*k).is_none(), "second removal must report nothing");
    }
    assert!(q.timed.len() < 200, "stale keys were compacted");
    assert_eq!(drain(&mut q, u64::MAX - 1), (990..1000).collect::<Vec<_>>());
}

#[test]
fn never_due_entries_stay_pending() {
    let mut q = Queue::default();
    push(&mut q, u64::MAX, Kind::Sync, false, 1);
    assert_eq!(q.pop_due(u64::MAX - 1, u64::MAX).map(|p| p.value), None);
    assert_eq!(q.head(5), Head::Later(u64::MAX));
}
