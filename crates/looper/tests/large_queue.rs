//! 100k pending delayed jobs with random removals stay correct (PERFORMANCE
//! target 3, functional side; the timing side is in `looper-bench`).

use looper::{LooperBuilder, ManualClock, Token};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn hundred_thousand_delayed_jobs_with_random_removals_run_in_order() {
    const N: usize = 100_000;
    let clock = ManualClock::new();
    let local = LooperBuilder::new().clock(clock.clone()).prepare().unwrap();
    let looper = local.looper();
    let ran = Arc::new(Mutex::new(Vec::with_capacity(N)));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut jobs: Vec<(u64, Token)> = Vec::with_capacity(N);
    for i in 0..N {
        let delay_us = rng.next() % 1_000_000; // [0, 1 s), many ties
        let r = ran.clone();
        let t = looper
            .post_delayed(
                move || r.lock().unwrap().push(i),
                Duration::from_micros(delay_us),
            )
            .unwrap();
        jobs.push((delay_us, t));
    }
    assert_eq!(looper.pending_count(), N);
    let mut removed = vec![false; N];
    for _ in 0..N / 2 {
        let i = (rng.next() % N as u64) as usize;
        let got = looper.remove(jobs[i].1);
        assert_eq!(
            got, !removed[i],
            "job {i}: remove returns whether it was pending"
        );
        removed[i] = true;
    }
    let live = removed.iter().filter(|r| !**r).count();
    assert_eq!(looper.pending_count(), live);
    // Expected order: by due time, ties by post order.
    let mut expected: Vec<(u64, usize)> = (0..N)
        .filter(|&i| !removed[i])
        .map(|i| (jobs[i].0, i))
        .collect();
    expected.sort();
    // Dispatch in 10 ms windows, removing a few more on the way.
    let mut late_removed = 0;
    for window in 1..=100u64 {
        clock.advance(Duration::from_millis(10));
        local.dispatch_pending();
        let horizon = window * 10_000;
        for _ in 0..50 {
            let i = (rng.next() % N as u64) as usize;
            let pending = !removed[i] && jobs[i].0 > horizon;
            assert_eq!(
                looper.remove(jobs[i].1),
                pending,
                "job {i} in window {window}"
            );
            if pending {
                removed[i] = true;
                late_removed += 1;
            }
        }
    }
    let ran = ran.lock().unwrap();
    let expected: Vec<usize> = expected
        .into_iter()
        .filter(|&(_, i)| !removed[i])
        .map(|(_, i)| i)
        .collect();
    assert_eq!(ran.len(), live - late_removed, "every live job ran once");
    assert!(*ran == expected, "dispatch order is (due time, post order)");
    assert_eq!(looper.pending_count(), 0);
}
