//! Stress: 10k tasks cancelled at random moments (queued, running, done but
//! undelivered, finished), some failing; each must end in exactly one of
//! on_post_execute / on_cancelled / on_failed, exactly once.

mod common;

use common::Ui;
use looper_asynctask::{AsyncTask, Context, Status, ThreadPool};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

const N: usize = 10_000;

/// xorshift64*: a fixed seed keeps the run reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    Post,
    Cancelled,
    Failed,
}

#[test]
fn stress_10k_tasks_cancelled_at_random_end_exactly_once() {
    // Hundreds of deliberate panics would flood the output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info.to_string().contains("deliberately") {
            default_hook(info);
        }
    }));
    let ui = Ui::new();
    let pool = ThreadPool::builder()
        .threads(2)
        .queue_capacity(N)
        .name("stress")
        .build()
        .unwrap();
    let ends: Rc<RefCell<Vec<Vec<End>>>> = Rc::new(RefCell::new(vec![Vec::new(); N]));
    // Every cancel happens on this (the UI) thread, so a final callback can
    // check whether a cancel preceded it.
    let requested: Rc<RefCell<Vec<bool>>> = Rc::new(RefCell::new(vec![false; N]));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tasks = Vec::with_capacity(N);
    for i in 0..N {
        let (e1, e2, e3) = (ends.clone(), ends.clone(), ends.clone());
        let (q1, q2) = (requested.clone(), requested.clone());
        let task = AsyncTask::builder(move |i: usize, ctx: &Context<usize>| {
            ctx.publish_progress(i);
            if i % 13 == 0 {
                panic!("task {i} fails deliberately");
            }
            if i % 7 == 0 {
                ctx.sleep(Duration::from_micros(50))?;
            }
            if i % 5 == 0 {
                ctx.check_cancelled()?;
            }
            Ok(i)
        })
        .on_progress_update(|_| ())
        .on_post_execute(move |r| {
            assert!(
                !q1.borrow()[r],
                "task {r}: on_post_execute after cancel (A8)"
            );
            e1.borrow_mut()[r].push(End::Post);
        })
        .on_cancelled(move |_| {
            assert!(q2.borrow()[i], "task {i}: on_cancelled without cancel");
            e2.borrow_mut()[i].push(End::Cancelled);
        })
        .on_failed(move |_| e3.borrow_mut()[i].push(End::Failed))
        .build();
        task.execute_on(&pool, i).unwrap();
        tasks.push(task);
        if rng.below(3) == 0 {
            let j = rng.below(i as u64 + 1) as usize;
            requested.borrow_mut()[j] = true;
            tasks[j].cancel(rng.below(2) == 0);
        }
        if rng.below(50) == 0 {
            ui.local.dispatch_pending();
        }
    }
    ui.run_until("every task finished", || {
        tasks.iter().all(|t| t.status() == Status::Finished)
    });
    pool.shutdown();
    ui.drain();

    let ends = ends.borrow();
    let mut counts = [0usize; 3];
    for (i, e) in ends.iter().enumerate() {
        assert_eq!(e.len(), 1, "task {i} ended {e:?}");
        match e[0] {
            End::Post => assert_ne!(i % 13, 0, "task {i}: a failing task posted a result"),
            End::Cancelled => assert!(
                tasks[i].is_cancelled(),
                "task {i}: on_cancelled without cancel"
            ),
            End::Failed => assert_eq!(i % 13, 0, "task {i}: failed without failing"),
        }
        counts[e[0] as usize] += 1;
    }
    assert_eq!(counts.iter().sum::<usize>(), N);
    assert!(
        counts.iter().all(|&c| c > 0),
        "every outcome occurred: {counts:?}"
    );
    let _ = std::panic::take_hook();
}
