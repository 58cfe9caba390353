//! The typed channel into a looper: order, interleaving with other posts,
//! close after every value, many senders, quit.

use looper::Looper;
use looper_handler::{channel, Handler, SendError};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, Barrier, Mutex};

#[test]
fn values_interleave_with_other_posts_in_send_order() {
    let local = Looper::prepare().unwrap();
    let log: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let tx = channel::<u32>(&local).attach(move |v| l.lock().unwrap().push(format!("value {v}")));
    let looper = local.looper();
    let handler = Handler::new(&looper);
    let sender_log = log.clone();
    std::thread::spawn(move || {
        for i in 0..3u32 {
            tx.send(i).unwrap();
            let l = sender_log.clone();
            looper
                .post(move || l.lock().unwrap().push(format!("post {i}")))
                .unwrap();
            let l = sender_log.clone();
            handler
                .post(move || l.lock().unwrap().push(format!("handler {i}")))
                .unwrap();
        }
    })
    .join()
    .unwrap();
    local.dispatch_pending();
    let expected: Vec<String> = (0..3)
        .flat_map(|i| {
            [
                format!("value {i}"),
                format!("post {i}"),
                format!("handler {i}"),
            ]
        })
        .collect();
    assert_eq!(
        *log.lock().unwrap(),
        expected,
        "values interleave with posts in send order"
    );
}

#[test]
fn close_runs_once_after_every_value_from_many_senders_on_many_threads() {
    const THREADS: usize = 6;
    const PER_THREAD: usize = 300;
    let local = Looper::prepare().unwrap();
    let got: Rc<RefCell<Vec<(usize, usize)>>> = Rc::new(RefCell::new(Vec::new()));
    let closed_after = Rc::new(Cell::new(None));
    let (g, g2, c) = (got.clone(), got.clone(), closed_after.clone());
    let tx = channel::<(usize, usize)>(&local)
        .on_closed(move || {
            assert!(c.get().is_none(), "on_closed runs once");
            c.set(Some(g2.borrow().len()));
        })
        .attach(move |v| g.borrow_mut().push(v));
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let tx = tx.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                for i in 0..PER_THREAD {
                    tx.send((t, i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let looper = local.looper();
    // Quit once every thread is done; the close event is queued by then.
    std::thread::spawn(move || {
        for t in threads {
            t.join().unwrap();
        }
        looper.quit_safely().unwrap();
    });
    local.run();
    let got = got.borrow();
    assert_eq!(
        got.len(),
        THREADS * PER_THREAD,
        "nothing lost or duplicated"
    );
    for t in 0..THREADS {
        let mine: Vec<usize> = got
            .iter()
            .filter(|(th, _)| *th == t)
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(
            mine,
            (0..PER_THREAD).collect::<Vec<_>>(),
            "per-sender FIFO for thread {t}"
        );
    }
    assert_eq!(
        closed_after.get(),
        Some(THREADS * PER_THREAD),
        "closed after every value"
    );
}

#[test]
fn send_after_quit_gives_the_value_back() {
    let local = Looper::prepare().unwrap();
    let tx = channel::<Vec<u8>>(&local).attach(|_| ());
    local.looper().quit().unwrap();
    let err: SendError<Vec<u8>> = tx.send(vec![1, 2]).unwrap_err();
    assert_eq!(err.into_inner(), [1, 2], "the refused value came back");
}

#[test]
fn asynchronous_channel_passes_a_sync_barrier() {
    let local = Looper::prepare().unwrap();
    let got = Rc::new(RefCell::new(Vec::new()));
    let (a, b) = (got.clone(), got.clone());
    let fast = channel::<u8>(&local)
        .asynchronous(true)
        .attach(move |v| a.borrow_mut().push(v));
    let slow = channel::<u8>(&local).attach(move |v| b.borrow_mut().push(v));
    let barrier = local.looper().post_sync_barrier().unwrap();
    slow.send(1).unwrap();
    fast.send(2).unwrap();
    local.dispatch_pending();
    assert_eq!(
        *got.borrow(),
        [2],
        "Q9: the asynchronous channel passed the barrier"
    );
    local.looper().remove_sync_barrier(barrier).unwrap();
    local.dispatch_pending();
    assert_eq!(*got.borrow(), [2, 1], "the synchronous one follows");
}

/// Sets its flag when dropped: observes when receiving callbacks are freed.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn receiver_is_freed_at_once_when_the_last_sender_drops_on_the_looper_thread_after_quit() {
    let local = Looper::prepare().unwrap();
    let freed = Rc::new(Cell::new(false));
    let flag = DropFlag(freed.clone());
    let closed = Rc::new(Cell::new(false));
    let c = closed.clone();
    let tx = channel::<u8>(&local)
        .on_closed(move || c.set(true))
        .attach(move |_| {
            let _ = &flag;
        });
    local.looper().quit().unwrap();
    drop(tx);
    assert!(freed.get(), "the receiving callback was dropped at once");
    assert!(!closed.get(), "on_closed does not run after quit");
}

#[test]
fn receiver_orphaned_by_a_quit_is_swept_at_the_next_attach() {
    let local = Looper::prepare().unwrap();
    let freed = Rc::new(Cell::new(false));
    let flag = DropFlag(freed.clone());
    let tx = channel::<u8>(&local).attach(move |_| {
        let _ = &flag;
    });
    local.looper().quit().unwrap();
    std::thread::spawn(move || drop(tx)).join().unwrap(); // close event refused
    assert!(!freed.get(), "nothing on this thread has looked yet");
    let _other = channel::<u8>(&local).attach(|_| ());
    assert!(freed.get(), "the next attach swept the orphaned receiver");
}

#[test]
fn receiver_whose_close_was_discarded_by_quit_is_swept() {
    let local = Looper::prepare().unwrap();
    let freed = Rc::new(Cell::new(false));
    let flag = DropFlag(freed.clone());
    let tx = channel::<u8>(&local).attach(move |_| {
        let _ = &flag;
    });
    let looper = local.looper();
    std::thread::spawn(move || {
        drop(tx); // close event queued
        looper.quit().unwrap(); // and discarded, on this other thread
    })
    .join()
    .unwrap();
    assert!(!freed.get(), "the discard happened off the looper thread");
    let _h = Handler::builder(&local).handle_message(|_| ()).build();
    assert!(
        freed.get(),
        "a handler registration sweeps orphaned receivers too"
    );
}
