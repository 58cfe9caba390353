//! Message behaviour (M1-M4, D4), after AOSP's CTS `MessageTest`.

use looper::{Looper, LooperBuilder, ManualClock};
use looper_handler::{Handler, Message, Payload, SendToTargetError};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn m1_fields_default_and_data_is_created_lazily() {
    let mut m = Message::default();
    assert_eq!(
        (m.what, m.arg1, m.arg2),
        (0, 0, 0),
        "M1: integer fields start at 0"
    );
    assert!(
        m.obj.is_none() && m.target().is_none() && m.when().is_none(),
        "M1: no obj/target/when"
    );
    assert!(
        m.peek_data().is_none(),
        "M1: peek_data does not create the map"
    );
    m.data().insert("k".into(), Arc::new(1u8));
    assert_eq!(
        m.peek_data()
            .and_then(|d| d.get("k"))
            .and_then(|v| v.downcast_ref::<u8>()),
        Some(&1),
        "M1: data() created the map and kept the value"
    );
}

#[test]
fn m1_when_is_set_on_enqueue_from_the_loopers_clock() {
    let clock = ManualClock::new();
    let local = LooperBuilder::new().clock(clock.clone()).prepare().unwrap();
    let whens = Rc::new(RefCell::new(Vec::new()));
    let w = whens.clone();
    let h = Handler::builder(&local)
        .handle_message(move |m| w.borrow_mut().push(m.when()))
        .build();
    let t0 = local.looper().now();
    clock.advance(Duration::from_millis(3));
    h.send_empty_message(1).unwrap();
    local.dispatch_pending();
    assert_eq!(
        *whens.borrow(),
        [Some(t0 + Duration::from_millis(3))],
        "M1: when is the looper-clock time it was queued for"
    );
}

#[test]
fn m2_d4_a_sent_message_is_moved_and_resending_needs_a_clone() {
    let local = Looper::prepare().unwrap();
    let count = Rc::new(RefCell::new(0));
    let c = count.clone();
    let h = Handler::builder(&local)
        .handle_message(move |_| *c.borrow_mut() += 1)
        .build();
    let m = h.obtain_message(1);
    h.send_message(m.clone()).unwrap();
    h.send_message(m).unwrap(); // `m` is moved: no use-after-send (P11)
    local.dispatch_pending();
    assert_eq!(
        *count.borrow(),
        2,
        "D4: two deliveries from one message and its clone"
    );
}

#[test]
fn m3_copy_from_copies_content_but_not_target_or_when() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    let obj: Payload = Arc::new(5u32);
    let mut original = h.obtain_message(1).args(2, 3).obj(obj.clone());
    original.set_asynchronous(true);
    original.data().insert("x".into(), Arc::new(1u8));
    let mut copy = Message::new(99);
    copy.copy_from(&original);
    assert_eq!(
        (copy.what, copy.arg1, copy.arg2),
        (1, 2, 3),
        "M3: fields copied"
    );
    assert!(copy.obj_is(&obj), "M3: obj copied (same Arc)");
    assert!(copy.is_asynchronous(), "M3: flags copied");
    assert_eq!(
        copy.peek_data().map(|d| d.len()),
        Some(1),
        "M3: data copied"
    );
    assert!(
        copy.target().is_none(),
        "M3: copy_from does not copy the target"
    );
    copy.data().insert("y".into(), Arc::new(2u8));
    assert_eq!(
        original.peek_data().map(|d| d.len()),
        Some(1),
        "M3: data is a separate map"
    );
}

#[test]
fn m3_clone_is_a_full_copy_including_target_but_not_when() {
    let local = Looper::prepare().unwrap();
    let seen = Rc::new(RefCell::new(None));
    let s = seen.clone();
    let h = Handler::builder(&local)
        .callback(move |m| {
            *s.borrow_mut() = Some(m.clone());
            true
        })
        .build();
    h.send_message(h.obtain_message(4).args(1, 1)).unwrap();
    local.dispatch_pending();
    let copy = seen.borrow_mut().take().expect("delivered");
    assert_eq!(
        copy.target(),
        Some(&h),
        "M3: obtain(orig) copies the target"
    );
    assert_eq!((copy.what, copy.arg1), (4, 1), "M3: content copied");
    assert!(
        copy.when().is_none(),
        "a copy is not queued, so has no when"
    );
}

#[test]
fn m4_set_asynchronous_passes_a_barrier_on_a_sync_handler() {
    let local = Looper::prepare().unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let h = Handler::builder(&local)
        .handle_message(move |m| s.borrow_mut().push(m.what))
        .build();
    let barrier = local.looper().post_sync_barrier().unwrap();
    let mut m = h.obtain_message(1);
    m.set_asynchronous(true);
    assert!(m.is_asynchronous(), "M4: the flag reads back");
    h.send_message(m).unwrap();
    h.send_empty_message(2).unwrap();
    local.dispatch_pending();
    assert_eq!(
        *seen.borrow(),
        [1],
        "M4: only the asynchronous message passed the barrier"
    );
    local.looper().remove_sync_barrier(barrier).unwrap();
    local.dispatch_pending();
    assert_eq!(
        *seen.borrow(),
        [1, 2],
        "the sync one follows once the barrier is gone"
    );
}

#[test]
fn m4_send_to_target_without_target_or_after_quit_is_an_error_value() {
    let local = Looper::prepare().unwrap();
    let h = Handler::new(&local.looper());
    match Message::new(1).send_to_target() {
        Err(SendToTargetError::NoTarget(m)) => assert_eq!(m.what, 1, "M4: message handed back"),
        other => panic!("M4: expected NoTarget, got {other:?}"),
    }
    local.looper().quit().unwrap();
    match h.obtain_message(2).send_to_target() {
        Err(SendToTargetError::Quit(m)) => assert_eq!(m.what, 2, "M4: message handed back"),
        other => panic!("M4: expected Quit, got {other:?}"),
    }
}
