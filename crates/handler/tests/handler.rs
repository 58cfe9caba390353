//! Handler behaviour, one test per SEMANTICS.md item (H1-H7, D1, D3, Q9,
//! Q10). Ported in spirit from AOSP's `HandlerTest`/CTS `HandlerTest`; the
//! tests are ours, driven on a manual clock with `dispatch_pending`.

use looper::{Looper, LooperBuilder, ManualClock, Schedule};
use looper_handler::{Handler, LocalHandler, Message, Payload};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn manual() -> (looper::LocalLooper, ManualClock) {
    let clock = ManualClock::new();
    let local = LooperBuilder::new().clock(clock.clone()).prepare().unwrap();
    (local, clock)
}

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push(log: &Log, s: &str) -> impl FnOnce() + Send + 'static {
    let log = log.clone();
    let s = s.to_string();
    move || log.lock().unwrap().push(s)
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[test]
fn h1_for_current_thread_fails_with_android_message_without_looper() {
    let err = std::thread::Builder::new()
        .name("no-looper".into())
        .spawn(|| Handler::for_current_thread().unwrap_err())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "Can't create handler inside thread no-looper that has not called Looper.prepare()",
        "H1: the error keeps Android's text"
    );
}

#[test]
fn h1_for_current_thread_binds_to_this_threads_looper() {
    let local = Looper::prepare().unwrap();
    let h = Handler::for_current_thread().expect("this thread has a looper");
    assert_eq!(
        h.looper(),
        &local.looper(),
        "H1: bound to the calling thread's looper"
    );
    h.post(|| ()).unwrap();
    assert_eq!(
        local.dispatch_pending(),
        1,
        "the post reached this thread's queue"
    );
}

#[test]
fn h2_async_handler_marks_everything_it_sends_asynchronous() {
    let (local, _clock) = manual();
    let h = Handler::create_async(&local.looper());
    h.post(|| ()).unwrap();
    h.send_empty_message(1).unwrap();
    h.send_message_delayed(Message::new(2), Duration::from_secs(1))
        .unwrap();
    h.post_at_front(|| ()).unwrap();
    let looper = local.looper();
    assert!(
        !looper.any(|job| !job.is_asynchronous()),
        "H2: every job of an async handler is asynchronous"
    );
    let sync = Handler::new(&looper);
    sync.post(|| ()).unwrap();
    assert!(
        looper.any(|job| !job.is_asynchronous()),
        "a normal handler's jobs are synchronous"
    );
}

#[test]
fn h2_q9_async_handler_passes_a_sync_barrier_normal_handler_stalls() {
    let (local, _clock) = manual();
    let looper = local.looper();
    let log = log();
    let sync = Handler::new(&looper);
    let asynch = Handler::create_async(&looper);
    let barrier = looper.post_sync_barrier().unwrap();
    sync.post(push(&log, "sync post")).unwrap();
    asynch.post(push(&log, "async post")).unwrap();
    let l = log.clone();
    let with_cb = Handler::builder(&local)
        .asynchronous(true)
        .handle_message(move |m| l.lock().unwrap().push(format!("async msg {}", m.what)))
        .build();
    with_cb.send_empty_message(7).unwrap();
    local.dispatch_pending();
    assert_eq!(
        take(&log),
        ["async post", "async msg 7"],
        "Q9: async work passes the barrier, sync work stalls"
    );
    looper.remove_sync_barrier(barrier).unwrap();
    local.dispatch_pending();
    assert_eq!(
        take(&log),
        ["sync post"],
        "removing the barrier releases sync work"
    );
}

#[test]
fn h3_posted_closure_runs_alone_without_the_callbacks() {
    let local = Looper::prepare().unwrap();
    let calls = Rc::new(Cell::new(0));
    let (a, b) = (calls.clone(), calls.clone());
    let h = Handler::builder(&local)
        .callback(move |_| {
            a.set(a.get() + 1);
            false
        })
        .handle_message(move |_| b.set(b.get() + 100))
        .build();
    let ran = Arc::new(Mutex::new(false));
    let r = ran.clone();
    h.post(move || *r.lock().unwrap() = true).unwrap();
    local.dispatch_pending();
    assert!(*ran.lock().unwrap(), "H3: the posted closure ran");
    assert_eq!(calls.get(), 0, "H3: neither callback sees a posted closure");
}

#[test]
fn h3_callback_returning_true_stops_false_falls_through_to_default() {
    let local = Looper::prepare().unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (a, b) = (seen.clone(), seen.clone());
    let h = Handler::builder(&local)
        .callback(move |m| {
            a.borrow_mut().push(("callback", m.what));
            m.what % 2 == 0
        })
        .handle_message(move |m| b.borrow_mut().push(("default", m.what)))
        .build();
    h.send_empty_message(2).unwrap();
    h.send_empty_message(3).unwrap();
    local.dispatch_pending();
    assert_eq!(
        *seen.borrow(),
        [("callback", 2), ("callback", 3), ("default", 3)],
        "H3: true consumes; false reaches handle_message"
    );
}

#[test]
fn h3_default_handler_alone_and_callback_alone() {
    let local = Looper::prepare().unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let only_default = Handler::builder(&local)
        .handle_message(move |m| s.borrow_mut().push(m.what))
        .build();
    let s = seen.clone();
    let only_callback = Handler::with_callback(&local, move |m| {
        s.borrow_mut().push(m.what * 10);
        false
    });
    let bare = Handler::new(&local.looper());
    only_default.send_empty_message(1).unwrap();
    only_callback.send_empty_message(2).unwrap();
    bare.send_empty_message(3).unwrap();
    assert_eq!(
        local.dispatch_pending(),
        3,
        "all three messages were dispatched"
    );
    assert_eq!(
        *seen.borrow(),
        [1, 20],
        "each handler's own callbacks, none for the bare one"
    );
}

#[test]
fn h4_post_variants_run_in_schedule_order_on_a_manual_clock() {
    let (local, clock) = manual();
    let h = Handler::new(&local.looper());
    let log = log();
    let t0 = local.looper().now();
    h.post_delayed(push(&log, "delayed 20"), Duration::from_millis(20))
        .unwrap();
    h.post_at(push(&log, "at 10"), t0 + Duration::from_millis(10))
        .unwrap();
    h.post(push(&log, "now 1")).unwrap();
    h.post(push(&log, "now 2")).unwrap();
    h.post_at_front(push(&log, "front")).unwrap();
    local.dispatch_pending();
    assert_eq!(
        take(&log),
        ["front", "now 1", "now 2"],
        "H4: front first, then FIFO"
    );
    clock.advance(Duration::from_millis(10));
    local.dispatch_pending();
    assert_eq!(take(&log), ["at 10"], "post_at runs at its instant");
    clock.advance(Duration::from_millis(10));
    local.dispatch_pending();
    assert_eq!(
        take(&log),
        ["delayed 20"],
        "post_delayed runs after its delay"
    );
}

#[test]
fn h4_post_after_quit_hands_the_closure_back() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    local.looper().quit().unwrap();
    let log = log();
    let err = h.post(push(&log, "rescued")).unwrap_err();
    (err.into_inner())();
    assert_eq!(
        take(&log),
        ["rescued"],
        "P12: the refused closure came back, runnable"
    );
    let err = h.post_delayed(|| (), Duration::from_secs(1)).unwrap_err();
    assert!(
        err.to_string().contains("dead thread"),
        "the error says why: {err}"
    );
}

#[test]
fn h4_a_queued_post_is_not_a_promise_quit_drops_it() {
    let (local, _clock) = manual();
    let h = Handler::new(&local.looper());
    let log = log();
    let token = h
        .post_delayed(push(&log, "never"), Duration::from_secs(1))
        .unwrap();
    local.looper().quit().unwrap();
    assert!(!h.has_callbacks(token), "quit dropped the pending post");
    local.run();
    assert!(
        take(&log).is_empty(),
        "H4: a post accepted before quit may never run"
    );
}

#[test]
fn h5_send_sets_target_when_and_async_flag() {
    let (local, clock) = manual();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let h = Handler::builder(&local)
        .asynchronous(true)
        .handle_message(move |m| {
            s.borrow_mut().push((
                m.what,
                m.when(),
                m.is_asynchronous(),
                m.target().map(Handler::id),
            ))
        })
        .build();
    let t0 = local.looper().now();
    h.send_message_delayed(Message::new(1), Duration::from_millis(5))
        .unwrap();
    h.send_empty_message_at_time(2, t0 + Duration::from_millis(7))
        .unwrap();
    h.send_message_at_front_of_queue(Message::new(3)).unwrap();
    h.send_empty_message_delayed(4, Duration::from_millis(9))
        .unwrap();
    clock.advance(Duration::from_millis(10));
    local.dispatch_pending();
    let id = Some(h.id());
    assert_eq!(
        *seen.borrow(),
        [
            (3, None, true, id),
            (1, Some(t0 + Duration::from_millis(5)), true, id),
            (2, Some(t0 + Duration::from_millis(7)), true, id),
            (4, Some(t0 + Duration::from_millis(9)), true, id),
        ],
        "H5: target, when and the async flag are set as the message is queued"
    );
}

#[test]
fn h5_send_after_quit_hands_the_message_back() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    local.looper().quit_safely().unwrap();
    let payload: Payload = Arc::new("keep me");
    let err = h
        .send_message(h.obtain_message(5).obj(payload.clone()))
        .unwrap_err();
    let back = err.into_inner();
    assert_eq!(back.what, 5, "P12: the message came back");
    assert!(back.obj_is(&payload), "with its payload");
    assert!(
        h.send_empty_message(1).is_err(),
        "send_empty_message is refused too"
    );
}

#[test]
fn h6_obtain_message_fills_target_and_fields() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    let obj: Payload = Arc::new(9u64);
    let m = h.obtain_message(1).args(2, 3).obj(obj.clone());
    assert_eq!(m.target(), Some(&h), "H6: target is the obtaining handler");
    assert_eq!((m.what, m.arg1, m.arg2), (1, 2, 3), "H6: fields as given");
    assert!(m.obj_is(&obj), "H6: payload as given");
    assert!(m.when().is_none(), "not queued yet");
    m.send_to_target().unwrap();
    assert!(
        h.has_messages_with_obj(1, &obj),
        "send_to_target queued it on h"
    );
}

#[test]
fn h7_queries_see_only_what_is_still_queued() {
    let (local, clock) = manual();
    let h = Handler::new(&local.looper());
    assert!(!h.has_messages_or_callbacks(), "H7: nothing queued yet");
    let token = h.post_delayed(|| (), Duration::from_millis(5)).unwrap();
    h.send_empty_message_delayed(1, Duration::from_millis(5))
        .unwrap();
    assert!(
        h.has_callbacks(token) && h.has_messages(1),
        "H7: both visible while queued"
    );
    assert!(!h.has_messages(2), "H7: other whats are not");
    clock.advance(Duration::from_millis(5));
    local.dispatch_pending();
    assert!(
        !h.has_callbacks(token) && !h.has_messages(1) && !h.has_messages_or_callbacks(),
        "H7: nothing after dispatch"
    );
}

#[test]
fn d3_remove_messages_zero_never_removes_closures() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    let log = log();
    h.post(push(&log, "closure")).unwrap();
    h.send_empty_message(0).unwrap();
    assert!(h.has_messages(0), "the what=0 message is there");
    assert_eq!(h.remove_messages(0), 1, "D3: only the message has what=0");
    assert!(
        !h.has_messages(0),
        "D3 (P13 dropped): a closure is not a what=0 message"
    );
    local.dispatch_pending();
    assert_eq!(
        take(&log),
        ["closure"],
        "D3: the closure survived remove_messages(0)"
    );
}

#[test]
fn d3_a_token_removes_exactly_its_post() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    let log = log();
    h.post(push(&log, "a")).unwrap();
    let b = h.post(push(&log, "b")).unwrap();
    h.post(push(&log, "c")).unwrap();
    assert!(h.remove_callbacks(b), "D3: the token found its post");
    assert!(
        !h.remove_callbacks(b),
        "a second removal is false, never a panic"
    );
    local.dispatch_pending();
    assert_eq!(take(&log), ["a", "c"], "D3: exactly b was removed");
}

#[test]
fn q10_remove_callbacks_and_messages_leaves_other_handlers_alone() {
    let (local, _clock) = manual();
    let looper = local.looper();
    let log = log();
    let mine = Handler::new(&looper);
    let other = Handler::new(&looper);
    mine.post(push(&log, "mine closure")).unwrap();
    mine.send_empty_message(1).unwrap();
    mine.send_empty_message_delayed(2, Duration::from_secs(1))
        .unwrap();
    other.post(push(&log, "other closure")).unwrap();
    other.send_empty_message(1).unwrap();
    looper.post(push(&log, "plain looper post")).unwrap();
    assert_eq!(mine.remove_callbacks_and_messages(), 3, "Q10: all of mine");
    assert!(!mine.has_messages_or_callbacks(), "Q10: none of mine left");
    assert!(
        other.has_messages(1),
        "Q10: other handler's message untouched"
    );
    assert_eq!(
        other.remove_messages(2),
        0,
        "Q10: removal by what is per handler"
    );
    local.dispatch_pending();
    assert_eq!(
        take(&log),
        ["other closure", "plain looper post"],
        "the rest still runs"
    );
}

#[test]
fn q10_remove_messages_by_what_is_per_handler() {
    let local = Looper::prepare().unwrap();
    let looper = local.looper();
    let mine = Handler::new(&looper);
    let other = Handler::new(&looper);
    mine.send_empty_message(1).unwrap();
    other.send_empty_message(1).unwrap();
    assert_eq!(mine.remove_messages(1), 1, "Q10: only mine");
    assert!(
        other.has_messages(1) && !mine.has_messages(1),
        "Q10: the other handler keeps its what=1"
    );
}

#[test]
fn q10_x5_obj_matching_is_identity_not_equality() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    let a: Payload = Arc::new(String::from("same"));
    let b: Payload = Arc::new(String::from("same"));
    h.send_message(h.obtain_message(1).obj(a.clone())).unwrap();
    h.send_message(h.obtain_message(1).obj(b.clone())).unwrap();
    h.send_message(h.obtain_message(2).obj(a.clone())).unwrap();
    assert!(
        h.has_messages_with_obj(1, &b),
        "X5: b is queued under what=1"
    );
    assert_eq!(
        h.remove_messages_with_obj(1, &a),
        1,
        "X5: only the identical payload with what=1"
    );
    assert!(
        !h.has_messages_with_obj(1, &a),
        "a's what=1 message is gone"
    );
    assert!(
        h.has_messages_with_obj(1, &b),
        "an equal but distinct payload stays"
    );
    assert!(
        h.has_messages_with_obj(2, &a),
        "the same payload under another what stays"
    );
}

#[test]
fn d1_callbacks_capture_not_send_state_and_are_released_with_the_handler() {
    let local = Looper::prepare().unwrap();
    let state = Rc::new(Cell::new(0));
    let s = state.clone();
    let h = Handler::builder(&local)
        .handle_message(move |m| s.set(s.get() + m.what))
        .build();
    assert_eq!(Rc::strong_count(&state), 2, "the callback holds the state");
    let sender = h.clone();
    std::thread::spawn(move || {
        sender.send_empty_message(5).unwrap();
        // The last clone dies off the looper thread: an unregister is queued.
    })
    .join()
    .unwrap();
    drop(h);
    local.dispatch_pending();
    assert_eq!(
        state.get(),
        5,
        "D1: the !Send state was updated on the looper thread"
    );
    assert_eq!(
        Rc::strong_count(&state),
        1,
        "the callbacks were dropped with the last handler"
    );
    assert_eq!(
        looper_handler::registered_handlers(),
        0,
        "the registry is empty"
    );
}

#[test]
fn d1_a_queued_message_keeps_its_handler_callbacks_alive() {
    let (local, clock) = manual();
    let seen = Rc::new(Cell::new(0));
    let s = seen.clone();
    let h = Handler::builder(&local)
        .handle_message(move |m| s.set(m.what))
        .build();
    h.send_empty_message_delayed(9, Duration::from_secs(1))
        .unwrap();
    drop(h);
    assert_eq!(
        looper_handler::registered_handlers(),
        1,
        "the queued message holds the handler"
    );
    clock.advance(Duration::from_secs(1));
    local.dispatch_pending();
    assert_eq!(seen.get(), 9, "delivered after the last handle was dropped");
    assert_eq!(looper_handler::registered_handlers(), 0, "then released");
}

#[test]
fn d1_local_handler_posts_not_send_closures_and_removes_them() {
    let local = Looper::prepare().unwrap();
    let h = LocalHandler::new(&local);
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    h.post_local(move || l.borrow_mut().push("local")).unwrap();
    let l = log.clone();
    let token = h
        .post_local_with(move || l.borrow_mut().push("removed"), Schedule::Now)
        .unwrap();
    assert!(
        h.remove_callbacks(token),
        "a local post is removable by token"
    );
    local.dispatch_pending();
    assert_eq!(
        *log.borrow(),
        ["local"],
        "the local post ran on this thread"
    );
    let l = log.clone();
    h.post_local(move || l.borrow_mut().push("never")).unwrap();
    h.post(|| ()).unwrap();
    assert_eq!(
        h.remove_callbacks_and_messages(),
        2,
        "Q10: local and Send posts both removed"
    );
    assert_eq!(local.dispatch_pending(), 0, "nothing left");
}

#[test]
fn handler_to_local_requires_its_own_looper() {
    let local = Looper::prepare().unwrap();
    let other = std::thread::spawn(|| {
        let l = Looper::prepare().unwrap();
        Handler::new(&l.looper())
    })
    .join()
    .unwrap();
    assert!(
        other.to_local(&local).is_none(),
        "a handler for another looper has no local view here"
    );
    assert!(
        Handler::new(&local.looper()).to_local(&local).is_some(),
        "its own looper works"
    );
}

#[test]
fn d1_last_handle_dropped_on_another_thread_unregisters_through_the_queue() {
    let local = Looper::prepare().unwrap();
    let state = Rc::new(());
    let s = state.clone();
    let h = Handler::builder(&local)
        .handle_message(move |_| drop(s.clone()))
        .build();
    std::thread::spawn(move || drop(h)).join().unwrap();
    assert_eq!(
        Rc::strong_count(&state),
        2,
        "still registered until the looper thread runs"
    );
    assert_eq!(
        local.dispatch_pending(),
        1,
        "an unregister message was queued"
    );
    assert_eq!(
        Rc::strong_count(&state),
        1,
        "D1: callbacks dropped on the looper thread"
    );
}

#[test]
fn d1_handlers_orphaned_by_quit_are_swept_at_the_next_registration() {
    let local = Looper::prepare().unwrap();
    let state = Rc::new(());
    let s = state.clone();
    let h = Handler::builder(&local)
        .handle_message(move |_| drop(s.clone()))
        .build();
    local.looper().quit().unwrap();
    std::thread::spawn(move || drop(h)).join().unwrap(); // unregister refused
    assert_eq!(
        Rc::strong_count(&state),
        2,
        "the refused unregister left the entry"
    );
    let _next = Handler::builder(&local).handle_message(|_| ()).build();
    assert_eq!(
        Rc::strong_count(&state),
        1,
        "the next registration swept it"
    );
}
