//! What a handler puts in the queue, and how it is delivered on the looper
//! thread.
//!
//! # Guarantees
//!
//! * A handler's callbacks never leave the looper thread (D1): they live in
//!   a thread-local registry there, keyed by handler id; only the id travels
//!   through the queue.
//! * Delivery follows H3: a posted closure runs alone; a message goes to the
//!   handler's `callback`, and to `handle_message` unless the callback
//!   returned `true`.
//! * Every queued message holds its target handler, so a handler's callbacks
//!   stay registered until its last clone and its last queued message are
//!   gone (as Android's `msg.target` keeps the handler alive). The registry
//!   entry is then removed on the looper thread: at once when the last
//!   reference drops there, through a queued unregister message otherwise,
//!   and by a sweep at the next registration if the looper had quit.
//! * Callbacks are `Fn`, not `FnMut`, so a callback that runs a nested loop
//!   which delivers to the same handler re-enters safely; keep mutable
//!   state in a `Cell`/`RefCell`.

use crate::handler::{Handler, Inner};
use crate::message::Message;
use looper::{Dispatch, Job, Schedule};
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Weak;

pub(crate) type MessageCallback = Box<dyn Fn(&Message) -> bool>;
pub(crate) type DefaultHandler = Box<dyn Fn(&Message)>;

pub(crate) struct Callbacks {
    pub(crate) callback: Option<MessageCallback>,
    pub(crate) handle_message: Option<DefaultHandler>,
    /// Dead once every clone and every queued message of the handler is
    /// gone: the sweep's test for an orphaned entry.
    pub(crate) owner: Weak<Inner>,
}

thread_local! {
    static HANDLERS: RefCell<HashMap<u64, Rc<Callbacks>>> = RefCell::new(HashMap::new());
}

/// Registers `callbacks` on the calling (looper) thread, first sweeping
/// entries whose handler is gone without its unregister message arriving.
pub(crate) fn register(id: u64, callbacks: Callbacks) {
    crate::channel::sweep_orphans();
    let swept: Vec<Rc<Callbacks>> = HANDLERS.with(|h| {
        let mut h = h.borrow_mut();
        let dead: Vec<u64> = h
            .iter()
            .filter(|(_, c)| c.owner.strong_count() == 0)
            .map(|(id, _)| *id)
            .collect();
        let swept = dead.iter().filter_map(|id| h.remove(id)).collect();
        h.insert(id, Rc::new(callbacks));
        swept
    });
    // User closures may touch handlers when dropped: never under the borrow.
    drop(swept);
}

/// Removes `id`'s callbacks if they are registered on the calling thread.
/// Ids are process-unique, so calling this on another thread is a no-op.
pub(crate) fn unregister_here(id: u64) {
    let removed = HANDLERS
        .try_with(|h| h.borrow_mut().remove(&id))
        .ok()
        .flatten();
    drop(removed);
}

/// How many handlers have callbacks registered on the calling thread.
pub(crate) fn registered_here() -> usize {
    HANDLERS.with(|h| h.borrow().len())
}

/// H3 for a message: the callback, then the default handler unless the
/// callback consumed it. A handler without callbacks drops the message, as
/// Android's empty `handleMessage` does.
pub(crate) fn deliver(handler: &Handler, msg: &Message) {
    let span = tracing::trace_span!(
        "handler.dispatch",
        handler = handler.id(),
        handler_name = handler.name().unwrap_or(""),
        what = msg.what,
    );
    let _enter = span.enter();
    let callbacks = HANDLERS.with(|h| h.borrow().get(&handler.id()).cloned());
    let Some(callbacks) = callbacks else {
        tracing::trace!(
            handler = handler.id(),
            what = msg.what,
            "no callbacks: dropped"
        );
        return;
    };
    if let Some(callback) = &callbacks.callback {
        if callback(msg) {
            return;
        }
    }
    if let Some(handle_message) = &callbacks.handle_message {
        handle_message(msg);
    }
}

/// Marks a queued closure as posted through a handler; `as_any` of a
/// [`Posted`] returns this, so removals can match closures by handler
/// without knowing their type. Only the id: a closure needs no callbacks,
/// and cloning the handler's `Arc` per post would bounce its count between
/// the posting threads and the looper thread.
pub(crate) struct Tag {
    pub(crate) handler: u64,
}

/// A `Send` closure posted through a handler (one allocation per post).
pub(crate) struct Posted<F> {
    pub(crate) tag: Tag,
    pub(crate) f: F,
}

impl<F: FnOnce() + Send + 'static> Dispatch for Posted<F> {
    fn dispatch(self: Box<Self>) {
        let Posted { tag, f } = *self;
        let span = tracing::trace_span!("handler.dispatch", handler = tag.handler, closure = true);
        let _enter = span.enter();
        f();
    }

    fn as_any(&self) -> &dyn Any {
        &self.tag
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "closure for handler #{}", self.tag.handler)
    }
}

/// A message sent through a handler; `msg.target` is always set.
pub(crate) struct Sent {
    pub(crate) msg: Message,
}

impl Sent {
    pub(crate) fn target(&self) -> &Handler {
        self.msg
            .target()
            .expect("a handler stamps its messages before queueing them")
    }
}

impl Dispatch for Sent {
    fn dispatch(self: Box<Self>) {
        deliver(self.target(), &self.msg);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "message what={} for handler #{}",
            self.msg.what,
            self.target().id()
        )
    }
}

/// Queued by the last reference to a handler with callbacks when it drops
/// off the looper thread.
struct Unregister(u64);

impl Dispatch for Unregister {
    fn dispatch(self: Box<Self>) {
        unregister_here(self.0);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unregister handler #{}", self.0)
    }
}

/// Removes a dropped handler's callbacks from its looper thread.
pub(crate) fn unregister(inner: &Inner) {
    if inner.looper.is_current_thread() {
        unregister_here(inner.id);
        return;
    }
    // Asynchronous so a barrier cannot hold the callbacks (and the `!Send`
    // state they capture) alive. After quit the enqueue fails and the next
    // registration on that thread (or the thread's exit) frees them.
    let job = Job::message(Box::new(Unregister(inner.id))).asynchronous(true);
    let _ = inner.looper.enqueue(job, Schedule::Now);
}
