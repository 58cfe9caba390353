//! The `Send`/`Sync` shape of the public API (X3, D1), as static assertions.

use looper_handler::{
    Handler, HandlerThread, JoinError, Message, PostError, RunSyncError, SendError, Sender,
    SpawnError,
};

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn x3_cross_thread_types_are_send_and_sync() {
    send_sync::<Handler>();
    send_sync::<Message>();
    send_sync::<Sender<String>>();
    send_sync::<HandlerThread>();
    send_sync::<RunSyncError>();
    send_sync::<SpawnError>();
    send::<JoinError>();
    send::<PostError<Message>>();
    send::<SendError<String>>();
    // Reaching here at all is the assertion; make the test say so.
    assert!(std::mem::size_of::<Handler>() > 0, "Handler is Send + Sync");
}
