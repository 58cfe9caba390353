//! [`Handler`]: post closures and send messages to one looper, from any
//! thread.
//!
//! # Guarantees
//!
//! * `Handler` is `Send + Sync + Clone`; clones are the same handler (equal,
//!   same id, same callbacks).
//! * Every post and send either queues and returns a [`Token`](looper::Token), or, after
//!   the looper quit, hands the closure or message back in [`PostError`]
//!   (L9, P12): nothing is dropped silently.
//! * Closures and messages do not share a `what` namespace (D3): a posted
//!   closure has no `what`, [`remove_messages`](Handler::remove_messages)
//!   never removes one, and the token a post returns removes exactly it.
//! * Removals and queries see only this handler's posts and messages; other
//!   handlers on the same looper are untouched (Q10). A removal is effective
//!   when it returns, and is never a panic.
//! * An asynchronous handler marks everything it posts or sends
//!   asynchronous, so it passes sync barriers (H2, Q9).
//! * Callbacks run on the looper thread and may capture `!Send` state (D1);
//!   they can only be attached there, through [`Handler::builder`], which
//!   takes a `&LocalLooper` as proof.

use crate::dispatch::{self, Callbacks, DefaultHandler, MessageCallback};
use crate::local::LocalHandler;
use crate::message::Message;
use looper::{LocalLooper, Looper};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_HANDLER: AtomicU64 = AtomicU64::new(1);

pub(crate) struct Inner {
    pub(crate) id: u64,
    pub(crate) looper: Looper,
    asynchronous: bool,
    name: Option<Box<str>>,
    /// Whether callbacks were registered on the looper thread.
    registered: bool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.registered {
            dispatch::unregister(self);
        }
    }
}

/// Sends work to one looper from any thread (SEMANTICS H1-H9).
///
/// ```
/// use looper::Looper;
/// use looper_handler::Handler;
/// use std::sync::mpsc;
///
/// let local = Looper::prepare().unwrap();
/// let handler = Handler::new(&local.looper());
/// let (tx, rx) = mpsc::channel();
///
/// let h = handler.clone();
/// std::thread::spawn(move || {
///     h.post(move || tx.send("ran on the looper thread").unwrap()).unwrap();
/// })
/// .join()
/// .unwrap();
/// local.dispatch_pending();
/// assert_eq!(rx.try_recv().unwrap(), "ran on the looper thread");
/// ```
#[derive(Clone)]
pub struct Handler {
    inner: Arc<Inner>,
}

impl PartialEq for Handler {
    fn eq(&self, other: &Self) -> bool {
        self.inner.id == other.inner.id
    }
}

impl Eq for Handler {}

impl std::hash::Hash for Handler {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.id.hash(state);
    }
}

impl fmt::Debug for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handler")
            .field("id", &self.inner.id)
            .field("name", &self.inner.name)
            .field("asynchronous", &self.inner.asynchronous)
            .field("looper", &self.inner.looper)
            .finish()
    }
}

impl Handler {
    pub(crate) fn from_parts(
        looper: Looper,
        asynchronous: bool,
        name: Option<Box<str>>,
        callbacks: Option<(MessageCallback, DefaultHandler)>,
    ) -> Handler {
        let id = NEXT_HANDLER.fetch_add(1, Ordering::Relaxed);
        let registered = callbacks.is_some();
        let inner = Arc::new(Inner {
            id,
            looper,
            asynchronous,
            name,
            registered,
        });
        if let Some((callback, handle_message)) = callbacks {
            dispatch::register(
                id,
                Callbacks {
                    callback: Some(callback),
                    handle_message: Some(handle_message),
                    owner: Arc::downgrade(&inner),
                },
            );
        }
        Handler { inner }
    }

    /// A handler for `looper`, without callbacks, usable from any thread
    /// (H1 adapted: the looper is explicit). Messages sent to it are
    /// delivered to nobody; use it to post closures.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let handler = looper_handler::Handler::new(&local.looper());
    /// assert_eq!(handler.looper(), &local.looper());
    /// ```
    pub fn new(looper: &Looper) -> Handler {
        Handler::from_parts(looper.clone(), false, None, None)
    }

    /// An asynchronous handler for `looper` (H2, `createAsync`): everything
    /// it posts or sends passes sync barriers.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let handler = looper_handler::Handler::create_async(&local.looper());
    /// assert!(handler.is_async());
    /// ```
    pub fn create_async(looper: &Looper) -> Handler {
        Handler::from_parts(looper.clone(), true, None, None)
    }

    /// A handler for the calling thread's looper (H1); fails with Android's
    /// message on a thread that never prepared one.
    ///
    /// ```
    /// std::thread::spawn(|| {
    ///     let err = looper_handler::Handler::for_current_thread().unwrap_err();
    ///     assert!(err.to_string().contains("that has not called Looper.prepare()"));
    ///     let _local = looper::Looper::prepare().unwrap();
    ///     assert!(looper_handler::Handler::for_current_thread().is_ok());
    /// })
    /// .join()
    /// .unwrap();
    /// ```
    pub fn for_current_thread() -> Result<Handler, NoLooperError> {
        match Looper::current() {
            Some(looper) => Ok(Handler::new(&looper)),
            None => Err(NoLooperError::for_current_thread()),
        }
    }

    /// Starts a handler with callbacks, on the looper thread (`local` proves
    /// it): they may capture `!Send` state (D1).
    ///
    /// ```
    /// use looper_handler::Handler;
    /// use std::{cell::Cell, rc::Rc};
    ///
    /// let local = looper::Looper::prepare().unwrap();
    /// let seen = Rc::new(Cell::new(0)); // !Send UI state
    /// let s = seen.clone();
    /// let handler = Handler::builder(&local)
    ///     .name("ui")
    ///     .handle_message(move |msg| s.set(s.get() + msg.what))
    ///     .build();
    /// handler.send_empty_message(5).unwrap();
    /// local.dispatch_pending();
    /// assert_eq!(seen.get(), 5);
    /// ```
    pub fn builder(local: &LocalLooper) -> HandlerBuilder {
        HandlerBuilder {
            looper: local.clone(),
            name: None,
            asynchronous: false,
            callback: None,
            handle_message: None,
        }
    }

    /// Shortcut for a handler whose only callback is `callback` (Android's
    /// `Handler(looper, callback)`); return `true` to mark a message handled.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// let local = looper::Looper::prepare().unwrap();
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// let l = log.clone();
    /// let handler = looper_handler::Handler::with_callback(&local, move |msg| {
    ///     l.borrow_mut().push(msg.what);
    ///     true
    /// });
    /// handler.send_empty_message(1).unwrap();
    /// local.dispatch_pending();
    /// assert_eq!(*log.borrow(), [1]);
    /// ```
    pub fn with_callback(
        local: &LocalLooper,
        callback: impl Fn(&Message) -> bool + 'static,
    ) -> Handler {
        Handler::builder(local).callback(callback).build()
    }

    /// This handler's process-unique id, as the `handler` field of its
    /// `tracing` dispatch spans shows it.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let a = looper_handler::Handler::new(&local.looper());
    /// assert_eq!(a.id(), a.clone().id());
    /// assert_ne!(a.id(), looper_handler::Handler::new(&local.looper()).id());
    /// ```
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The name given to [`HandlerBuilder::name`], if any (the
    /// `handler_name` field of dispatch spans).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::builder(&local).name("ui").build();
    /// assert_eq!(h.name(), Some("ui"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The looper this handler posts to (H7's `getLooper`).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// assert!(h.looper().is_current_thread());
    /// ```
    pub fn looper(&self) -> &Looper {
        &self.inner.looper
    }

    /// Whether this handler marks everything it sends asynchronous (H2).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// assert!(!looper_handler::Handler::new(&local.looper()).is_async());
    /// ```
    pub fn is_async(&self) -> bool {
        self.inner.asynchronous
    }

    /// This handler with the looper thread's `!Send` posting methods, if
    /// `local` is its looper.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// let rc = std::rc::Rc::new(1);
    /// h.to_local(&local).unwrap().post_local(move || assert_eq!(*rc, 1)).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn to_local(&self, local: &LocalLooper) -> Option<LocalHandler> {
        (local.looper() == self.inner.looper).then(|| LocalHandler::wrap(self.clone(), local))
    }
}

/// Builds a [`Handler`] with callbacks on its looper thread (H2, H3, D1).
///
/// Dispatch order (H3): a posted closure runs alone; a message goes to
/// [`callback`](HandlerBuilder::callback) first and, unless it returned
/// `true`, to [`handle_message`](HandlerBuilder::handle_message).
///
/// ```
/// use looper_handler::Handler;
/// use std::{cell::RefCell, rc::Rc};
///
/// let local = looper::Looper::prepare().unwrap();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let (a, b) = (log.clone(), log.clone());
/// let handler = Handler::builder(&local)
///     .callback(move |m| {
///         a.borrow_mut().push(format!("callback {}", m.what));
///         m.what == 1 // consume what=1 only
///     })
///     .handle_message(move |m| b.borrow_mut().push(format!("default {}", m.what)))
///     .build();
/// handler.send_empty_message(1).unwrap();
/// handler.send_empty_message(2).unwrap();
/// local.dispatch_pending();
/// assert_eq!(*log.borrow(), ["callback 1", "callback 2", "default 2"]);
/// ```
pub struct HandlerBuilder {
    looper: LocalLooper,
    name: Option<Box<str>>,
    asynchronous: bool,
    callback: Option<MessageCallback>,
    handle_message: Option<DefaultHandler>,
}

impl fmt::Debug for HandlerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerBuilder")
            .field("name", &self.name)
            .field("asynchronous", &self.asynchronous)
            .field("callback", &self.callback.is_some())
            .field("handle_message", &self.handle_message.is_some())
            .finish()
    }
}

impl HandlerBuilder {
    /// Names the handler in `tracing` dispatch spans and `Debug` output.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::builder(&local).name("net").build();
    /// assert_eq!(h.name(), Some("net"));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// Makes the handler asynchronous (H2).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// assert!(looper_handler::Handler::builder(&local).asynchronous(true).build().is_async());
    /// ```
    pub fn asynchronous(mut self, asynchronous: bool) -> Self {
        self.asynchronous = asynchronous;
        self
    }

    /// Sets the message callback (Android's `Handler.Callback`); returning
    /// `true` stops dispatch before the default handler.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::builder(&local).callback(|_| true).build();
    /// h.send_empty_message(1).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn callback(mut self, callback: impl Fn(&Message) -> bool + 'static) -> Self {
        self.callback = Some(Box::new(callback));
        self
    }

    /// Sets the default handler (Android's overridden `handleMessage`).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::builder(&local).handle_message(|m| println!("{m:?}")).build();
    /// h.send_empty_message(1).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn handle_message(mut self, handle_message: impl Fn(&Message) + 'static) -> Self {
        self.handle_message = Some(Box::new(handle_message));
        self
    }

    /// Registers the callbacks on this thread and returns the `Send` handle.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::builder(&local).build();
    /// std::thread::spawn(move || h.post(|| ()).unwrap()).join().unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn build(self) -> Handler {
        let callbacks = match (self.callback, self.handle_message) {
            (None, None) => None,
            (callback, handle_message) => Some((
                callback.unwrap_or_else(|| Box::new(|_| false)),
                handle_message.unwrap_or_else(|| Box::new(|_| ())),
            )),
        };
        Handler::from_parts(
            self.looper.looper(),
            self.asynchronous,
            self.name,
            callbacks,
        )
    }

    /// Like [`build`](HandlerBuilder::build), returning the [`LocalHandler`]
    /// view for posting `!Send` closures too.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::builder(&local).build_local();
    /// let rc = std::rc::Rc::new(());
    /// h.post_local(move || drop(rc)).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn build_local(self) -> LocalHandler {
        let local = self.looper.clone();
        LocalHandler::wrap(self.build(), &local)
    }
}

/// A post or send refused because the looper has quit (L9, P12); holds the
/// closure or message that was not queued.
///
/// ```
/// let local = looper::Looper::prepare().unwrap();
/// let h = looper_handler::Handler::new(&local.looper());
/// local.looper().quit().unwrap();
/// let err = h.send_empty_message(3).unwrap_err();
/// assert_eq!(err.to_string(), "sending to a Handler on a dead thread (its looper has quit)");
/// assert_eq!(err.into_inner().what, 3);
/// ```
#[derive(PartialEq, Eq)]
pub struct PostError<T>(pub T);

impl<T> PostError<T> {
    /// The closure or message that was not queued.
    ///
    /// ```
    /// assert_eq!(looper_handler::PostError(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for PostError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PostError(..)")
    }
}

impl<T> fmt::Display for PostError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending to a Handler on a dead thread (its looper has quit)")
    }
}

impl<T> std::error::Error for PostError<T> {}

/// [`Handler::for_current_thread`] on a thread without a looper (H1).
///
/// ```
/// std::thread::Builder::new().name("worker".into()).spawn(|| {
///     let err = looper_handler::Handler::for_current_thread().unwrap_err();
///     assert_eq!(
///         err.to_string(),
///         "Can't create handler inside thread worker that has not called Looper.prepare()"
///     );
/// }).unwrap().join().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoLooperError {
    thread: String,
}

impl NoLooperError {
    fn for_current_thread() -> Self {
        let current = std::thread::current();
        let thread = match current.name() {
            Some(name) => name.to_string(),
            None => format!("{:?}", current.id()),
        };
        NoLooperError { thread }
    }
}

impl fmt::Display for NoLooperError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Can't create handler inside thread {} that has not called Looper.prepare()",
            self.thread
        )
    }
}

impl std::error::Error for NoLooperError {}
