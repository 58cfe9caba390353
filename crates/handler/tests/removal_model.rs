//! Property test: handler removal and queries against a model of the queue
//! (D3, Q10, H4, H7). Two handlers share one looper; every operation's
//! answer and the final delivery order must match the model.

use looper::{LocalLooper, Looper, Token};
use looper_handler::Handler;
use proptest::prelude::*;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
enum Op {
    Post(usize),
    Send(usize, i32),
    RemoveMessages(usize, i32),
    RemoveToken(usize),
    RemoveAll(usize),
    HasMessages(usize, i32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize).prop_map(Op::Post),
        3 => (0..2usize, 0..3i32).prop_map(|(h, w)| Op::Send(h, w)),
        1 => (0..2usize, 0..3i32).prop_map(|(h, w)| Op::RemoveMessages(h, w)),
        1 => (0..64usize).prop_map(Op::RemoveToken),
        1 => (0..2usize).prop_map(Op::RemoveAll),
        1 => (0..2usize, 0..3i32).prop_map(|(h, w)| Op::HasMessages(h, w)),
    ]
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    id: i32,
    handler: usize,
    what: Option<i32>, // None: a closure (D3: no what)
    queued: bool,
}

fn local() -> LocalLooper {
    LocalLooper::current().unwrap_or_else(|| Looper::prepare().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn removal_matches_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        let local = local();
        let delivered: Arc<Mutex<Vec<i32>>> = Arc::new(Mutex::new(Vec::new()));
        let handlers: Vec<Handler> = (0..2)
            .map(|_| {
                let all = delivered.clone();
                Handler::builder(&local)
                    .handle_message(move |m| all.lock().unwrap().push(m.arg1))
                    .build()
            })
            .collect();
        let mut model: Vec<Entry> = Vec::new();
        let mut tokens: Vec<Token> = Vec::new();
        for (n, op) in ops.into_iter().enumerate() {
            let id = n as i32;
            match op {
                Op::Post(h) => {
                    let all = delivered.clone();
                    tokens.push(handlers[h].post(move || all.lock().unwrap().push(id)).unwrap());
                    model.push(Entry { id, handler: h, what: None, queued: true });
                }
                Op::Send(h, what) => {
                    let msg = handlers[h].obtain_message(what).args(id, 0);
                    tokens.push(handlers[h].send_message(msg).unwrap());
                    model.push(Entry { id, handler: h, what: Some(what), queued: true });
                }
                Op::RemoveMessages(h, what) => {
                    let mut expected = 0;
                    for e in model.iter_mut().filter(|e| e.queued && e.handler == h && e.what == Some(what)) {
                        e.queued = false;
                        expected += 1;
                    }
                    prop_assert_eq!(handlers[h].remove_messages(what), expected, "remove_messages count");
                }
                Op::RemoveToken(i) => {
                    if tokens.is_empty() { continue; }
                    let i = i % tokens.len();
                    let expected = std::mem::replace(&mut model[i].queued, false);
                    prop_assert_eq!(handlers[0].remove_callbacks(tokens[i]), expected, "token removal");
                }
                Op::RemoveAll(h) => {
                    let mut expected = 0;
                    for e in model.iter_mut().filter(|e| e.queued && e.handler == h) {
                        e.queued = false;
                        expected += 1;
                    }
                    prop_assert_eq!(handlers[h].remove_callbacks_and_messages(), expected, "remove all");
                }
                Op::HasMessages(h, what) => {
                    let expected = model.iter().any(|e| e.queued && e.handler == h && e.what == Some(what));
                    prop_assert_eq!(handlers[h].has_messages(what), expected, "has_messages");
                }
            }
        }
        local.dispatch_pending();
        let survivors: Vec<i32> = model.iter().filter(|e| e.queued).map(|e| e.id).collect();
        prop_assert_eq!(&*delivered.lock().unwrap(), &survivors, "exactly the survivors ran, in FIFO order");
    }
}
