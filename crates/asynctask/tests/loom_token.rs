//! Model checks of the cancellation token's register / cancel / unregister
//! protocol (C1, C3, C4) over every interleaving loom explores.
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" cargo test -p looper-asynctask --release --test loom_token`
#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use looper_asynctask::CancellationToken;

#[test]
fn c4_unregister_racing_cancel_gives_exactly_one_outcome() {
    loom::model(|| {
        let token = CancellationToken::new();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        let reg = token.register(move || {
            h.fetch_add(1, Ordering::SeqCst);
        });
        let t = token.clone();
        let canceller = thread::spawn(move || t.cancel().unwrap());
        let removed = reg.unregister();
        canceller.join().unwrap();
        assert_eq!(removed as usize + hits.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn c3_register_racing_cancel_runs_exactly_once() {
    loom::model(|| {
        let token = CancellationToken::new();
        let hits = Arc::new(AtomicUsize::new(0));
        let t = token.clone();
        let canceller = thread::spawn(move || t.cancel().unwrap());
        let h = hits.clone();
        token
            .register(move || {
                h.fetch_add(1, Ordering::SeqCst);
            })
            .detach();
        canceller.join().unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn c4_drop_waits_for_a_callback_running_on_another_thread() {
    loom::model(|| {
        let token = CancellationToken::new();
        let started = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let (s, f) = (started.clone(), finished.clone());
        let reg = token.register(move || {
            s.store(true, Ordering::SeqCst);
            f.store(true, Ordering::SeqCst);
        });
        let t = token.clone();
        let canceller = thread::spawn(move || t.cancel().unwrap());
        drop(reg);
        // Once the drop returned, the callback either never starts or is done.
        if started.load(Ordering::SeqCst) {
            assert!(
                finished.load(Ordering::SeqCst),
                "drop returned while the callback ran"
            );
        }
        canceller.join().unwrap();
    });
}

#[test]
fn k1_child_created_during_cancel_is_cancelled() {
    loom::model(|| {
        let parent = CancellationToken::new();
        let p = parent.clone();
        let canceller = thread::spawn(move || p.cancel().unwrap());
        let child = parent.child_token();
        canceller.join().unwrap();
        assert!(
            child.is_cancelled(),
            "a child made during a cancel must not be missed"
        );
    });
}

#[test]
fn k3_wait_never_misses_a_cancel() {
    loom::model(|| {
        let token = CancellationToken::new();
        let t = token.clone();
        let waiter = thread::spawn(move || t.wait());
        token.cancel().unwrap();
        waiter.join().unwrap(); // a lost wake-up deadlocks, which loom reports
    });
}
