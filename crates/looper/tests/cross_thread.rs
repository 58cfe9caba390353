//! Cross-thread use: concurrent producers, removal racing dispatch, and the
//! wake protocol under ping-pong (no lost wake-ups). Waits use channels with
//! generous timeouts so that a bug fails the test instead of hanging it.

use looper::{Looper, LooperBuilder};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

const GENEROUS: Duration = Duration::from_secs(20);

#[test]
fn n_producers_lose_nothing_duplicate_nothing_and_keep_their_fifo() {
    const N: usize = 4;
    const M: usize = 5_000;
    let local = Looper::prepare().unwrap();
    let looper = local.looper();
    let seen = Arc::new(Mutex::new(Vec::with_capacity(N * M)));
    let start = Arc::new(Barrier::new(N));
    let producers: Vec<_> = (0..N)
        .map(|p| {
            let (looper, seen, start) = (looper.clone(), seen.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for i in 0..M {
                    let seen = seen.clone();
                    looper
                        .post(move || seen.lock().unwrap().push((p, i)))
                        .unwrap();
                }
            })
        })
        .collect();
    let l = looper.clone();
    let closer = thread::spawn(move || {
        for p in producers {
            p.join().unwrap();
        }
        // Everything posted so far is due, so quit_safely delivers all of it.
        l.quit_safely().unwrap();
    });
    local.run();
    closer.join().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), N * M, "nothing lost, nothing duplicated");
    let mut next = [0usize; N];
    for &(p, i) in seen.iter() {
        assert_eq!(i, next[p], "producer {p}: FIFO broken at {i}");
        next[p] += 1;
    }
}

#[test]
fn remove_racing_dispatch_is_exactly_one_of_removed_or_ran() {
    const K: usize = 5_000;
    let local = Looper::prepare().unwrap();
    let looper = local.looper();
    let ran: Arc<Vec<AtomicBool>> = Arc::new((0..K).map(|_| AtomicBool::new(false)).collect());
    let (tx, rx) = mpsc::channel();
    let (l, r) = (looper.clone(), ran.clone());
    let racer = thread::spawn(move || {
        let mut removed = vec![false; K];
        let mut tokens = Vec::with_capacity(K);
        for i in 0..K {
            let r = r.clone();
            tokens.push(l.post(move || r[i].store(true, SeqCst)).unwrap());
            // Remove a recent one while the looper is dispatching others.
            if i % 2 == 1 {
                let j = i - 1;
                removed[j] = l.remove(tokens[j]);
            }
        }
        for j in (1..K).step_by(2) {
            removed[j] = l.remove(tokens[j]);
        }
        l.quit_safely().unwrap();
        tx.send(removed).unwrap();
    });
    local.run();
    racer.join().unwrap();
    let removed = rx.recv().unwrap();
    for i in 0..K {
        let ran = ran[i].load(SeqCst);
        assert!(
            ran != removed[i],
            "job {i}: ran={ran} removed={}",
            removed[i]
        );
    }
}

fn ping_pong(spin: bool) {
    // Enough rounds to hit the window between the looper checking its queue
    // and deciding to sleep: 2 000 rounds missed a lost wake-up (a sleeper
    // that read the epoch after checking the inbox) that this many catch.
    const ROUNDS: usize = 20_000;
    let (htx, hrx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let local = LooperBuilder::new()
            .spin_before_park(spin)
            .prepare()
            .unwrap();
        htx.send(local.looper()).unwrap();
        local.run();
    });
    let looper: looper::Looper = hrx.recv().unwrap();
    let (tx, rx) = mpsc::channel();
    for round in 0..ROUNDS {
        let tx = tx.clone();
        looper.post(move || tx.send(round).unwrap()).unwrap();
        // The looper goes back to sleep between rounds: a lost wake-up
        // would leave this waiting.
        assert_eq!(
            rx.recv_timeout(GENEROUS),
            Ok(round),
            "lost wake-up in round {round}"
        );
    }
    looper.quit().unwrap();
    worker.join().unwrap();
}

#[test]
fn wake_protocol_loses_no_wake_up_with_spin() {
    ping_pong(true);
}

#[test]
fn wake_protocol_loses_no_wake_up_without_spin() {
    ping_pong(false);
}

#[test]
fn delayed_posts_from_another_thread_fire_on_the_system_clock() {
    let (htx, hrx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let local = Looper::prepare().unwrap();
        htx.send(local.looper()).unwrap();
        local.run();
    });
    let looper: looper::Looper = hrx.recv().unwrap();
    let (tx, rx) = mpsc::channel();
    // Absolute instants from one reading, so a slow poster cannot reorder them.
    let t0 = looper.now();
    for d in [3u64, 1, 2] {
        let tx = tx.clone();
        looper
            .post_at(move || tx.send(d).unwrap(), t0 + Duration::from_millis(d))
            .unwrap();
    }
    let got: Vec<u64> = (0..3).map(|_| rx.recv_timeout(GENEROUS).unwrap()).collect();
    assert_eq!(got, [1, 2, 3], "delayed messages fire in due order");
    looper.quit().unwrap();
    worker.join().unwrap();
}

#[test]
fn quit_from_another_thread_wakes_a_sleeping_looper() {
    let (htx, hrx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let local = Looper::prepare().unwrap();
        local
            .looper()
            .post_delayed(|| (), Duration::from_secs(3600))
            .unwrap();
        htx.send(local.looper()).unwrap();
        local.run();
        done_tx.send(()).unwrap();
    });
    let looper: looper::Looper = hrx.recv().unwrap();
    looper.quit().unwrap();
    assert!(
        done_rx.recv_timeout(GENEROUS).is_ok(),
        "run() returned after quit"
    );
    worker.join().unwrap();
}
