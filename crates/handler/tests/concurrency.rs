//! Many threads posting at once through clones of one handler: per-thread
//! FIFO holds, nothing is lost or duplicated (issue 3, "What must show").

use looper::Looper;
use looper_handler::Handler;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Barrier, Mutex};

const THREADS: usize = 8;
const PER_THREAD: usize = 500;

fn check(seen: &[(usize, usize)], what: &str) {
    assert_eq!(
        seen.len(),
        THREADS * PER_THREAD,
        "{what}: nothing lost or duplicated"
    );
    for t in 0..THREADS {
        let mine: Vec<usize> = seen
            .iter()
            .filter(|(th, _)| *th == t)
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(
            mine,
            (0..PER_THREAD).collect::<Vec<_>>(),
            "{what}: thread {t}'s items arrive in its own order, once each"
        );
    }
}

/// Starts THREADS posters behind a barrier; a last thread joins them and
/// then quits the looper safely, so everything posted runs first.
fn run_posters(local: &looper::LocalLooper, post: impl Fn(usize, usize) + Send + Sync + 'static) {
    let post = Arc::new(post);
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (post, start) = (post.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..PER_THREAD {
                    post(t, i);
                }
            })
        })
        .collect();
    let looper = local.looper();
    let quitter = std::thread::spawn(move || {
        for t in threads {
            t.join().unwrap();
        }
        looper.quit_safely().unwrap();
    });
    local.run();
    quitter.join().unwrap();
}

#[test]
fn many_threads_post_closures_through_one_handler_fifo_per_thread() {
    let local = Looper::prepare().unwrap();
    let handler = Handler::new(&local.looper());
    let seen = Arc::new(Mutex::new(Vec::with_capacity(THREADS * PER_THREAD)));
    let s = seen.clone();
    run_posters(&local, move |t, i| {
        let s = s.clone();
        handler
            .post(move || s.lock().unwrap().push((t, i)))
            .unwrap();
    });
    check(&seen.lock().unwrap(), "posted closures");
}

#[test]
fn many_threads_send_messages_to_a_not_send_callback_fifo_per_thread() {
    let local = Looper::prepare().unwrap();
    // The receiving state is !Send: only the looper thread ever touches it.
    let seen: Rc<RefCell<Vec<(usize, usize)>>> = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let handler = Handler::builder(&local)
        .handle_message(move |m| s.borrow_mut().push((m.arg1 as usize, m.arg2 as usize)))
        .build();
    let h = handler.clone();
    run_posters(&local, move |t, i| {
        h.send_message(h.obtain_message(0).args(t as i32, i as i32))
            .unwrap();
    });
    check(&seen.borrow(), "sent messages");
}

#[test]
fn removal_racing_with_posts_never_loses_unremoved_work() {
    let local = Looper::prepare().unwrap();
    let looper = local.looper();
    let keep = Handler::new(&looper);
    let doomed = Handler::new(&looper);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let d = doomed.clone();
    run_posters(&local, move |t, i| {
        let s = s.clone();
        keep.post(move || s.lock().unwrap().push((t, i))).unwrap();
        d.send_empty_message(1).unwrap();
        if i % 50 == 0 {
            d.remove_callbacks_and_messages(); // Q10: never touches `keep`
        }
    });
    check(&seen.lock().unwrap(), "the kept handler's posts");
}

#[test]
fn d1_clones_dropped_on_many_threads_release_the_callbacks_exactly_once() {
    let local = Looper::prepare().unwrap();
    let state = Rc::new(RefCell::new(0usize)); // !Send, captured by the callback
    let s = state.clone();
    let handler = Handler::builder(&local)
        .handle_message(move |_| *s.borrow_mut() += 1)
        .build();
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (h, start) = (handler.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..PER_THREAD {
                    h.send_empty_message(0).unwrap();
                }
                // `h` drops here, racing with the looper delivering.
            })
        })
        .collect();
    drop(handler);
    let looper = local.looper();
    let quitter = std::thread::spawn(move || {
        for t in threads {
            t.join().unwrap();
        }
        looper.quit_safely().unwrap();
    });
    local.run();
    quitter.join().unwrap();
    assert_eq!(
        *state.borrow(),
        THREADS * PER_THREAD,
        "every message delivered once"
    );
    assert_eq!(
        Rc::strong_count(&state),
        1,
        "D1: the callback was dropped on the looper thread"
    );
    assert_eq!(
        looper_handler::registered_handlers(),
        0,
        "no registry entry left behind"
    );
}
