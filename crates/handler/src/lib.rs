//! Handler, Message, HandlerThread and typed channels: how every thread
//! talks to a looper.
//!
//! A [`looper::Looper`] runs one thread's queue. This crate gives the rest of
//! the program the Android way of talking to it:
//!
//! * [`Handler`]: `Send + Sync + Clone`; posts closures and sends
//!   [`Message`]s to one looper from any thread, removes them by token, by
//!   `what` or all at once, and asks what is queued. A handler built on the
//!   looper thread ([`Handler::builder`]) carries callbacks that may capture
//!   `!Send` UI state: they never leave that thread.
//! * [`LocalHandler`]: the same handler on its own thread, also posting
//!   `!Send` closures, checked by the compiler rather than at run time.
//! * [`Handler::run_sync`]: run a closure on the looper and get its value,
//!   with a timeout, inline on the looper thread, never hanging on a quit.
//! * [`HandlerThread`]: a named thread with its own looper.
//! * [`channel()`]: a typed channel into a looper whose receiving callback
//!   stays on the looper thread.
//!
//! ```
//! use looper::Looper;
//! use looper_handler::{Handler, HandlerThread};
//! use std::{cell::RefCell, rc::Rc};
//!
//! // The UI thread: a looper and a handler whose callback owns !Send state.
//! let ui = Looper::prepare().unwrap();
//! let labels = Rc::new(RefCell::new(Vec::new()));
//! let l = labels.clone();
//! let ui_handler = Handler::builder(&ui)
//!     .name("ui")
//!     .handle_message(move |msg| {
//!         let text = msg.obj_ref::<String>().cloned().unwrap_or_default();
//!         l.borrow_mut().push(text);
//!     })
//!     .build();
//!
//! // A worker thread with its own looper computes, then reports back.
//! let worker = HandlerThread::spawn("worker").unwrap();
//! let reply_to = ui_handler.clone();
//! worker
//!     .handler()
//!     .post(move || {
//!         let result = format!("answer: {}", 6 * 7);
//!         let msg = reply_to.obtain_message(1).obj(std::sync::Arc::new(result));
//!         reply_to.send_message(msg).unwrap();
//!         looper::Looper::current().unwrap().quit_safely().unwrap();
//!     })
//!     .unwrap();
//! worker.join().unwrap(); // the worker quit itself after replying
//!
//! ui.dispatch_pending();
//! assert_eq!(*labels.borrow(), ["answer: 42"]);
//! ```
//!
//! # Decisions (SEMANTICS.md)
//!
//! * D1: callbacks run on the looper thread may be `!Send`; only what
//!   crosses threads (posted closures, payloads, channel values) is `Send`.
//! * D3: posted closures have no `what`; `remove_messages(0)` never removes
//!   them; the [`looper::Token`] a post returns removes exactly it.
//! * D4: no message pool; a [`Message`] is an owned value.
//!
//! # Tracing
//!
//! Every dispatch through a handler runs in a `handler.dispatch` trace span
//! whose `handler` field is the handler's id ([`Handler::id`]); message
//! dispatches also carry `handler_name` and `what`, closure dispatches
//! `closure = true`.
//!
//! # Features
//!
//! * `test-util`: enables looper's test helpers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod channel;
mod dispatch;
pub mod handler;
pub mod local;
pub mod message;
mod post;
mod queries;
pub mod run_sync;
pub mod thread;

pub use channel::{channel, ChannelBuilder, SendError, Sender};
pub use handler::{Handler, HandlerBuilder, NoLooperError, PostError};
pub use local::LocalHandler;
pub use message::{Message, Payload, SendToTargetError};
pub use run_sync::{Delivery, RunSyncError};
pub use thread::{HandlerThread, HandlerThreadBuilder, JoinError, SpawnError};

/// How many handlers have callbacks registered on the calling thread (for
/// tests that check callbacks are released).
///
/// ```
/// let local = looper::Looper::prepare().unwrap();
/// let h = looper_handler::Handler::builder(&local).handle_message(|_| ()).build();
/// assert_eq!(looper_handler::registered_handlers(), 1);
/// drop(h);
/// assert_eq!(looper_handler::registered_handlers(), 0);
/// ```
pub fn registered_handlers() -> usize {
    dispatch::registered_here()
}

/// Compiles and runs the README's example as a doctest, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
