//! A game loop that owns its main loop and pumps a looper once per frame.
//!
//! The looper is the "game thread": worker threads post results to it, and the
//! frame loop dispatches them with a time budget so a burst of messages can
//! never blow a frame. Between frames the loop sleeps until the next frame,
//! the looper's next deadline, or a wake-up from the wake hook, whichever is
//! first, so an idle game uses no CPU.
//!
//! Run: `cargo run --release --example game_loop`

use crossbeam_channel::{bounded, RecvTimeoutError};
use looper::{Budget, LooperBuilder, Next};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

const FRAME: Duration = Duration::from_millis(16);
const FRAMES: u32 = 40;

fn main() {
    // The wake hook fires when another thread posts while the loop sleeps;
    // here it feeds a channel the frame loop waits on (winit would use an
    // EventLoopProxy, egui `request_repaint`).
    let (wake_tx, wake_rx) = bounded::<()>(1);
    let local = LooperBuilder::new()
        .name("game")
        .wake_hook(move || {
            let _ = wake_tx.try_send(());
        })
        .prepare()
        .expect("the main thread has no looper yet");
    let looper = local.looper();

    // Game state lives on this thread only; Rc<RefCell<_>> is fine.
    let score = Rc::new(RefCell::new(0u64));

    // A worker "path-finding" thread posts results as it finds them.
    let (done_tx, done_rx) = bounded::<()>(1);
    let worker_looper = looper.clone();
    let worker = std::thread::spawn(move || {
        for i in 1..=10u64 {
            // Stand-in for real work: spin a little.
            let mut x = i;
            for _ in 0..200_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            std::hint::black_box(x);
            worker_looper
                .post(move || println!("  path #{i} ready"))
                .expect("the game looper is running");
        }
        let _ = done_tx.send(());
    });

    // A timer on the game thread: every 100 ms, add to the score.
    fn schedule_tick(local: &looper::LocalLooper, score: Rc<RefCell<u64>>) {
        let again = local.clone();
        local
            .post_delayed(
                move || {
                    *score.borrow_mut() += 10;
                    schedule_tick(&again, score);
                },
                Duration::from_millis(100),
            )
            .expect("looper is running");
    }
    schedule_tick(&local, score.clone());

    let start = Instant::now();
    let mut next_frame = start;
    for frame in 0..FRAMES {
        // Update: give the looper at most 4 ms of this frame.
        let pump = local.pump(Budget::unlimited().max_time(Duration::from_millis(4)));
        if pump.dispatched > 0 {
            println!(
                "frame {frame:>2}: dispatched {} message(s), score {}",
                pump.dispatched,
                score.borrow()
            );
        }
        // Render would go here.

        // Sleep until the next frame, or earlier if the looper needs us.
        next_frame += FRAME;
        let wake_at = match pump.next {
            Next::Now => Instant::now(),
            Next::At(t) => t.min(next_frame),
            Next::Idle => next_frame,
            Next::Quit => break,
        };
        match wake_rx.recv_deadline(wake_at) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    done_rx.recv().expect("worker finished");
    worker.join().expect("worker did not panic");
    local.dispatch_pending();
    println!(
        "{FRAMES} frames in {:?}; final score {}",
        start.elapsed(),
        score.borrow()
    );
}
