//! Target 3: many pending delayed messages.
//!
//! * Insert: `n` closures (each capturing a `u64`) posted with pseudo-random
//!   delays in [0, 1 s) to a looper that is not running, against a plain
//!   `BinaryHeap` holding the same keys and the same boxed closures (the work
//!   any timer queue must do), and a keys-only heap for reference.
//! * Removal: every pending message removed by its token, in random order.
//! * Lateness: the same closures on a running looper, each recording how late
//!   it ran against its due time, with the default timer margin and with a
//!   zero margin (park all the way), against a heap drained by a thread using
//!   `park_timeout` (the limit of a plain timed wait).

use looper::{LooperBuilder, Token};
use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::sync::mpsc::channel;
use std::thread;
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift64*), so every implementation
/// gets the same keys.
pub struct Rng(u64);

impl Rng {
    /// Seeded generator; the seed must not be 0.
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// Next pseudo-random number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// `n` delays in [0, span), in nanoseconds.
pub fn delays(n: usize, span: Duration, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    let span = span.as_nanos() as u64;
    (0..n).map(|_| rng.next_u64() % span).collect()
}

/// Per-item costs of one insert/remove measurement, in nanoseconds.
#[derive(Debug, Clone, Copy)]
pub struct QueueCosts {
    /// `Looper::post_at` per item.
    pub looper_insert: f64,
    /// `Looper::remove(token)` per item, random order.
    pub looper_remove: f64,
    /// `Looper::remove(token)` per item, newest first.
    pub looper_remove_newest: f64,
    /// `BinaryHeap::push` of (due, seq, boxed closure) per item.
    pub heap_insert: f64,
    /// `BinaryHeap::push` of (due, seq) per item.
    pub heap_keys_insert: f64,
}

/// A timer-queue entry as a plain heap would hold it.
pub struct Entry {
    due: Instant,
    seq: u64,
    f: Box<dyn FnOnce() + Send>,
}

impl Entry {
    /// An entry due at `due`, ordered by (`due`, `seq`).
    pub fn new(due: Instant, seq: u64, f: Box<dyn FnOnce() + Send>) -> Self {
        Entry { due, seq, f }
    }

    /// Runs the closure.
    pub fn run(self) {
        (self.f)()
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, the earliest due must be on top.
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

/// Measures insert and remove costs with `n` pending items.
pub fn queue_costs(n: usize, seed: u64) -> QueueCosts {
    let keys = delays(n, Duration::from_secs(1), seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed ^ 0x9E37_79B9);
    for i in (1..n).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    thread::spawn(move || {
        let local = LooperBuilder::new()
            .prepare()
            .expect("fresh thread has no looper");
        let looper = local.looper();
        let base = Instant::now() + Duration::from_secs(10);
        let mut tokens: Vec<Token> = Vec::with_capacity(n);
        let t = Instant::now();
        for (i, &k) in keys.iter().enumerate() {
            let x = i as u64;
            let due = base + Duration::from_nanos(k);
            match looper.post_at(
                move || {
                    black_box(x);
                },
                due,
            ) {
                Ok(token) => tokens.push(token),
                Err(_) => panic!("looper rejected a post during a benchmark"),
            }
        }
        let looper_insert = t.elapsed().as_nanos() as f64 / n as f64;
        let t = Instant::now();
        for &i in &order {
            black_box(looper.remove(tokens[i]));
        }
        let looper_remove = t.elapsed().as_nanos() as f64 / n as f64;
        assert_eq!(looper.pending_count(), 0, "every token removed its message");
        // Again, removing the newest first (cancelling what was just posted).
        tokens.clear();
        for (i, &k) in keys.iter().enumerate() {
            let x = i as u64;
            let due = base + Duration::from_nanos(k);
            match looper.post_at(
                move || {
                    black_box(x);
                },
                due,
            ) {
                Ok(token) => tokens.push(token),
                Err(_) => panic!("looper rejected a post during a benchmark"),
            }
        }
        let t = Instant::now();
        for &token in tokens.iter().rev() {
            black_box(looper.remove(token));
        }
        let looper_remove_newest = t.elapsed().as_nanos() as f64 / n as f64;
        assert_eq!(looper.pending_count(), 0, "every token removed its message");

        let mut heap = BinaryHeap::with_capacity(0);
        let t = Instant::now();
        for (i, &k) in keys.iter().enumerate() {
            let x = i as u64;
            heap.push(Entry {
                due: base + Duration::from_nanos(k),
                seq: x,
                f: Box::new(move || {
                    black_box(x);
                }),
            });
        }
        let heap_insert = t.elapsed().as_nanos() as f64 / n as f64;
        black_box(heap.peek().map(|e| e.seq));
        for e in heap.into_vec() {
            e.run();
        }

        let mut keys_heap = BinaryHeap::with_capacity(0);
        let t = Instant::now();
        for (i, &k) in keys.iter().enumerate() {
            keys_heap.push(Reverse((base + Duration::from_nanos(k), i as u64)));
        }
        let heap_keys_insert = t.elapsed().as_nanos() as f64 / n as f64;
        black_box(keys_heap.peek());
        QueueCosts {
            looper_insert,
            looper_remove,
            looper_remove_newest,
            heap_insert,
            heap_keys_insert,
        }
    })
    .join()
    .expect("queue cost thread exits")
}

thread_local! {
    static LATE: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

fn record_late(due: Instant) {
    let late = Instant::now().saturating_duration_since(due).as_nanos() as u64;
    LATE.with(|l| l.borrow_mut().push(late));
}

/// Lateness (ns) of `n` closures due over `span` on a running looper with the
/// given timer margin (`None` = the default).
pub fn looper_lateness(n: usize, span: Duration, margin: Option<Duration>, seed: u64) -> Vec<u64> {
    let keys = delays(n, span, seed);
    let (tx, rx) = channel();
    let handle = thread::spawn(move || {
        let mut builder = LooperBuilder::new();
        if let Some(m) = margin {
            builder = builder.timer_margin(m);
        }
        let local = builder.prepare().expect("fresh thread has no looper");
        let looper = local.looper();
        LATE.with(|l| l.borrow_mut().reserve(n));
        // Start after posting is surely over, so no deadline is already past.
        let base = Instant::now() + Duration::from_millis(30);
        for &k in &keys {
            let due = base + Duration::from_nanos(k);
            if looper.post_at(move || record_late(due), due).is_err() {
                panic!("looper rejected a post during a benchmark");
            }
        }
        let quitter = looper.clone();
        let end = base + span + Duration::from_millis(2);
        let posted = looper.post_at(
            move || {
                let samples = LATE.with(|l| std::mem::take(&mut *l.borrow_mut()));
                let _ = tx.send(samples);
                let _ = quitter.quit();
            },
            end,
        );
        assert!(posted.is_ok(), "looper accepts the final post");
        local.run();
    });
    let samples = rx.recv().expect("lateness run finishes");
    handle.join().expect("lateness thread exits");
    samples
}

/// Lateness (ns) of the same keys drained from a `BinaryHeap` by a thread that
/// waits with `park_timeout` until the earliest deadline.
pub fn heap_park_lateness(n: usize, span: Duration, seed: u64) -> Vec<u64> {
    let keys = delays(n, span, seed);
    thread::spawn(move || {
        let base = Instant::now() + Duration::from_millis(30);
        let mut heap: BinaryHeap<Reverse<(Instant, u64)>> = keys
            .iter()
            .enumerate()
            .map(|(i, &k)| Reverse((base + Duration::from_nanos(k), i as u64)))
            .collect();
        let mut samples = Vec::with_capacity(n);
        while let Some(&Reverse((due, _))) = heap.peek() {
            let now = Instant::now();
            if now >= due {
                heap.pop();
                samples.push(now.saturating_duration_since(due).as_nanos() as u64);
            } else {
                thread::park_timeout(due - now);
            }
        }
        samples
    })
    .join()
    .expect("heap thread exits")
}

/// Lateness (ns) of the same keys as tokio tasks on a current-thread runtime,
/// each sleeping until its due time (`tokio::time::sleep_until`).
pub fn tokio_lateness(n: usize, span: Duration, seed: u64) -> Vec<u64> {
    let keys = delays(n, span, seed);
    thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("tokio runtime");
        rt.block_on(async move {
            LATE.with(|l| l.borrow_mut().reserve(n));
            let base = Instant::now() + Duration::from_millis(30);
            for &k in &keys {
                let due = base + Duration::from_nanos(k);
                tokio::spawn(async move {
                    tokio::time::sleep_until(due.into()).await;
                    record_late(due);
                });
            }
            let end = base + span + Duration::from_millis(20);
            tokio::time::sleep_until(end.into()).await;
        });
        drop(rt);
        LATE.with(|l| std::mem::take(&mut *l.borrow_mut()))
    })
    .join()
    .expect("tokio lateness thread exits")
}
