//! HandlerThread (T1-T3), after AOSP's `HandlerThreadTest`.

use looper_handler::{Handler, HandlerThread, SpawnError};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

/// Spins (yielding) until `cond` holds; panics after a generous bound.
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::yield_now();
    }
}

#[test]
fn t1_prepare_callback_runs_on_the_named_thread_before_the_loop() {
    let (thread, (name, id, had_looper)) = HandlerThread::builder("t1-thread")
        .spawn_with(|local| {
            (
                std::thread::current().name().map(String::from),
                std::thread::current().id(),
                local.looper().is_current_thread(),
            )
        })
        .unwrap();
    assert_eq!(
        name.as_deref(),
        Some("t1-thread"),
        "T1: the thread has the given name"
    );
    assert!(had_looper, "T1: the looper existed when the callback ran");
    assert_eq!(
        thread.thread_id(),
        Some(id),
        "T1: same thread as the callback"
    );
    assert_eq!(
        thread.looper().unwrap().name(),
        Some("t1-thread"),
        "the looper is named too"
    );
    thread.quit();
    thread.join().unwrap();
}

#[test]
fn t1_prepare_callback_can_build_a_not_send_handler_for_the_thread() {
    let (thread, counter) = HandlerThread::builder("t1-counter")
        .spawn_with(|local| {
            let total = Rc::new(Cell::new(0)); // lives on the handler thread only
            let (tx, rx) = mpsc::channel();
            let t = total.clone();
            let h = Handler::builder(local)
                .handle_message(move |m| {
                    t.set(t.get() + m.arg1);
                    if m.what == 1 {
                        tx.send(t.get()).unwrap();
                    }
                })
                .build();
            (h, rx)
        })
        .unwrap();
    let (h, rx) = counter;
    for i in 1..=4 {
        h.send_message(h.obtain_message(0).args(i, 0)).unwrap();
    }
    h.send_message(h.obtain_message(1)).unwrap();
    assert_eq!(
        rx.recv().unwrap(),
        10,
        "D1/T1: state confined to the thread summed every message"
    );
    thread.quit();
    thread.join().unwrap();
}

#[test]
fn t2_looper_is_ready_when_spawn_returns_and_none_after_exit() {
    let thread = HandlerThread::spawn("t2").unwrap();
    let looper = thread
        .looper()
        .expect("T2: spawn returned, so the looper exists");
    assert!(!looper.is_current_thread(), "it is the new thread's looper");
    assert!(thread.quit_safely(), "T3: quit forwards to a live looper");
    wait_until("the loop to exit", || !thread.is_alive());
    assert!(
        thread.looper().is_none(),
        "T2: no looper once the thread's loop exited"
    );
    thread.join().unwrap();
}

#[test]
fn t3_quit_returns_false_and_thread_id_none_after_exit() {
    let thread = HandlerThread::spawn("t3").unwrap();
    assert!(
        thread.thread_id().is_some(),
        "T3: a running thread has an id"
    );
    assert!(thread.quit(), "T3: true while the looper is alive");
    wait_until("the loop to exit", || !thread.is_alive());
    assert!(!thread.quit(), "T3: false once the loop exited");
    assert!(!thread.quit_safely(), "T3: false once the loop exited");
    assert_eq!(
        thread.thread_id(),
        None,
        "T3: no thread id after the loop exits"
    );
    assert!(
        thread.handler().post(|| ()).is_err(),
        "posts to the dead thread are refused"
    );
    thread.join().unwrap();
}

#[test]
fn t3_quit_safely_delivers_what_is_due_and_drops_the_rest() {
    let thread = HandlerThread::spawn("t3-safely").unwrap();
    let (tx, rx) = mpsc::channel();
    let gate = std::sync::Arc::new(std::sync::Barrier::new(2));
    let g = gate.clone();
    thread
        .handler()
        .post(move || {
            g.wait();
        })
        .unwrap(); // hold the loop
    gate.wait();
    let t = tx.clone();
    thread
        .handler()
        .post(move || t.send("due").unwrap())
        .unwrap();
    thread
        .handler()
        .post_delayed(move || tx.send("later").unwrap(), Duration::from_secs(3600))
        .unwrap();
    assert!(thread.quit_safely());
    thread.join().unwrap();
    assert_eq!(
        rx.try_iter().collect::<Vec<_>>(),
        ["due"],
        "L8/T3: due delivered, later dropped"
    );
}

#[test]
fn join_returns_a_panic_on_the_thread_as_a_value() {
    let thread = HandlerThread::spawn("panicky").unwrap();
    thread
        .handler()
        .post(|| panic!("looper message panicked"))
        .unwrap();
    let err = thread.join().expect_err("the panic ended the thread");
    assert_eq!(
        err.message(),
        "looper message panicked",
        "the panic message is kept"
    );
}

#[test]
fn spawn_reports_a_panicking_prepare_callback_as_an_error() {
    let err = HandlerThread::builder("bad-prepare")
        .spawn_with(|_| -> u8 { panic!("no setup for you") })
        .unwrap_err();
    match err {
        SpawnError::Panicked(m) => assert_eq!(m, "no setup for you", "the panic message is kept"),
        other => panic!("expected Panicked, got {other:?}"),
    }
}
