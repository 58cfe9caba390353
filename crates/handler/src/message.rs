//! [`Message`]: what a [`Handler`] sends, Android's `Message` without the
//! pool.
//!
//! # Guarantees
//!
//! * A message is a plain owned value (D4, M2): sending moves it into the
//!   queue, dispatch lends it to the callbacks as `&Message`, so it can be
//!   neither re-sent while queued nor read after it was recycled (P11). To
//!   send the same content twice, clone it.
//! * Everything in a message is `Send + Sync`: the payload `obj` and the
//!   values in `data` are `Arc<dyn Any + Send + Sync>`, so a message crosses
//!   threads with no runtime check.
//! * [`when`](Message::when) is `None` until the message is queued; a handler
//!   sets it and the [`target`](Message::target) as it enqueues (M1, H5).
//! * Payload identity, for removal and queries, is `Arc::ptr_eq` (X5).

use crate::handler::{Handler, PostError};
use looper::Token;
use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// A message payload: shared, thread-safe, compared by identity.
///
/// ```
/// let payload: looper_handler::Payload = std::sync::Arc::new(vec![1, 2, 3]);
/// assert_eq!(payload.downcast_ref::<Vec<i32>>().unwrap().len(), 3);
/// ```
pub type Payload = Arc<dyn Any + Send + Sync>;

/// A message for a [`Handler`] (SEMANTICS M1).
///
/// ```
/// use looper_handler::Message;
/// use std::sync::Arc;
///
/// let payload: looper_handler::Payload = Arc::new(String::from("hello"));
/// let msg = Message::new(7).args(1, 2).obj(payload.clone());
/// assert_eq!((msg.what, msg.arg1, msg.arg2), (7, 1, 2));
/// assert!(msg.obj_is(&payload));
/// assert_eq!(msg.obj_ref::<String>().unwrap(), "hello");
/// assert!(msg.when().is_none(), "not queued yet");
/// ```
#[derive(Default)]
pub struct Message {
    /// What the message is about; the handler's own code space.
    pub what: i32,
    /// A small integer argument.
    pub arg1: i32,
    /// A second small integer argument.
    pub arg2: i32,
    /// An optional payload, matched by identity in removals and queries.
    pub obj: Option<Payload>,
    data: Option<HashMap<String, Payload>>,
    asynchronous: bool,
    when: Option<Instant>,
    target: Option<Handler>,
}

impl Message {
    /// A message with `what` and every other field empty.
    ///
    /// ```
    /// let msg = looper_handler::Message::new(3);
    /// assert_eq!((msg.what, msg.arg1, msg.arg2), (3, 0, 0));
    /// assert!(msg.obj.is_none() && msg.peek_data().is_none());
    /// ```
    pub fn new(what: i32) -> Self {
        Message {
            what,
            ..Message::default()
        }
    }

    /// Sets `arg1` and `arg2`.
    ///
    /// ```
    /// let msg = looper_handler::Message::new(0).args(4, 5);
    /// assert_eq!((msg.arg1, msg.arg2), (4, 5));
    /// ```
    pub fn args(mut self, arg1: i32, arg2: i32) -> Self {
        self.arg1 = arg1;
        self.arg2 = arg2;
        self
    }

    /// Sets the payload.
    ///
    /// ```
    /// let msg = looper_handler::Message::new(0).obj(std::sync::Arc::new(5u8));
    /// assert_eq!(msg.obj_ref::<u8>(), Some(&5));
    /// ```
    pub fn obj(mut self, obj: Payload) -> Self {
        self.obj = Some(obj);
        self
    }

    /// The payload, if it is a `T`.
    ///
    /// ```
    /// let msg = looper_handler::Message::new(0).obj(std::sync::Arc::new(5u8));
    /// assert_eq!(msg.obj_ref::<u8>(), Some(&5));
    /// assert_eq!(msg.obj_ref::<u16>(), None);
    /// ```
    pub fn obj_ref<T: Any>(&self) -> Option<&T> {
        self.obj.as_deref().and_then(|o| o.downcast_ref::<T>())
    }

    /// Whether the payload is this very `Arc` (identity, X5).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let a: looper_handler::Payload = Arc::new(1u8);
    /// let b: looper_handler::Payload = Arc::new(1u8);
    /// let msg = looper_handler::Message::new(0).obj(a.clone());
    /// assert!(msg.obj_is(&a));
    /// assert!(!msg.obj_is(&b), "equal values, different identity");
    /// ```
    pub fn obj_is(&self, obj: &Payload) -> bool {
        self.obj.as_ref().is_some_and(|o| Arc::ptr_eq(o, obj))
    }

    /// The data map, created on first use (Android's `getData`).
    ///
    /// ```
    /// let mut msg = looper_handler::Message::new(0);
    /// msg.data().insert("name".into(), std::sync::Arc::new("ok"));
    /// assert_eq!(msg.peek_data().unwrap().len(), 1);
    /// ```
    pub fn data(&mut self) -> &mut HashMap<String, Payload> {
        self.data.get_or_insert_with(HashMap::new)
    }

    /// The data map if one was created (Android's `peekData`).
    ///
    /// ```
    /// let msg = looper_handler::Message::new(0);
    /// assert!(msg.peek_data().is_none());
    /// ```
    pub fn peek_data(&self) -> Option<&HashMap<String, Payload>> {
        self.data.as_ref()
    }

    /// Replaces the data map.
    ///
    /// ```
    /// let mut msg = looper_handler::Message::new(0);
    /// msg.set_data(Some(Default::default()));
    /// assert!(msg.peek_data().is_some());
    /// ```
    pub fn set_data(&mut self, data: Option<HashMap<String, Payload>>) {
        self.data = data;
    }

    /// Marks the message asynchronous: it passes sync barriers (M4, Q9). An
    /// asynchronous handler sets this on everything it sends (H2).
    ///
    /// ```
    /// let mut msg = looper_handler::Message::new(0);
    /// msg.set_asynchronous(true);
    /// assert!(msg.is_asynchronous());
    /// ```
    pub fn set_asynchronous(&mut self, asynchronous: bool) {
        self.asynchronous = asynchronous;
    }

    /// Whether the message passes sync barriers (M4).
    ///
    /// ```
    /// assert!(!looper_handler::Message::new(0).is_asynchronous());
    /// ```
    pub fn is_asynchronous(&self) -> bool {
        self.asynchronous
    }

    /// When the message is due on its looper's clock: `None` until it is
    /// queued, for front-of-queue sends (no due time) and for delays too long
    /// to represent (never due) (M1).
    ///
    /// ```
    /// assert!(looper_handler::Message::new(0).when().is_none());
    /// ```
    pub fn when(&self) -> Option<Instant> {
        self.when
    }

    /// The handler the message is for, once obtained from or sent by one.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let handler = looper_handler::Handler::new(&local.looper());
    /// assert_eq!(handler.obtain_message(1).target(), Some(&handler));
    /// assert!(looper_handler::Message::new(1).target().is_none());
    /// ```
    pub fn target(&self) -> Option<&Handler> {
        self.target.as_ref()
    }

    /// Sets the handler [`send_to_target`](Message::send_to_target) uses.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let handler = looper_handler::Handler::new(&local.looper());
    /// let mut msg = looper_handler::Message::new(1);
    /// msg.set_target(Some(handler.clone()));
    /// assert_eq!(msg.target(), Some(&handler));
    /// ```
    pub fn set_target(&mut self, target: Option<Handler>) {
        self.target = target;
    }

    /// Sends the message to its target (M4). Fails with
    /// [`SendToTargetError::NoTarget`] without one, or hands the message
    /// back in [`SendToTargetError::Quit`] if the target's looper quit.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let handler = looper_handler::Handler::new(&local.looper());
    /// handler.obtain_message(1).send_to_target().unwrap();
    /// assert!(handler.has_messages(1));
    /// let err = looper_handler::Message::new(1).send_to_target().unwrap_err();
    /// assert!(matches!(err, looper_handler::SendToTargetError::NoTarget(_)));
    /// ```
    pub fn send_to_target(self) -> Result<Token, SendToTargetError> {
        match self.target.clone() {
            None => Err(SendToTargetError::NoTarget(self)),
            Some(target) => target
                .send_message(self)
                .map_err(|e| SendToTargetError::Quit(e.into_inner())),
        }
    }

    /// Copies the content of `other` into `self`, Android's `copyFrom` (M3):
    /// `what`, the arguments, the payload, a copy of `data` and the
    /// asynchronous flag. Not copied: `when` and the target.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let handler = looper_handler::Handler::new(&local.looper());
    /// let mut original = handler.obtain_message(9).args(1, 2);
    /// original.set_asynchronous(true);
    /// let mut copy = looper_handler::Message::new(0);
    /// copy.copy_from(&original);
    /// assert_eq!((copy.what, copy.arg1, copy.arg2), (9, 1, 2));
    /// assert!(copy.is_asynchronous());
    /// assert!(copy.target().is_none(), "copy_from leaves the target alone");
    /// ```
    pub fn copy_from(&mut self, other: &Message) {
        self.what = other.what;
        self.arg1 = other.arg1;
        self.arg2 = other.arg2;
        self.obj = other.obj.clone();
        self.data = other.data.clone();
        self.asynchronous = other.asynchronous;
    }

    pub(crate) fn stamp(&mut self, target: &Handler, when: Option<Instant>) {
        if target.is_async() {
            self.asynchronous = true;
        }
        self.when = when;
        if self.target.as_ref() != Some(target) {
            self.target = Some(target.clone());
        }
    }
}

/// A full copy, Android's `Message.obtain(orig)` (M3): the content and the
/// asynchronous flag as [`copy_from`](Message::copy_from) copies them, plus
/// the target. `when` is not copied: the copy is not queued.
///
/// ```
/// let local = looper::Looper::prepare().unwrap();
/// let handler = looper_handler::Handler::new(&local.looper());
/// let original = handler.obtain_message(9);
/// let copy = original.clone();
/// assert_eq!(copy.what, 9);
/// assert_eq!(copy.target(), Some(&handler));
/// ```
impl Clone for Message {
    fn clone(&self) -> Self {
        let mut copy = Message::new(0);
        copy.copy_from(self);
        copy.target = self.target.clone();
        copy
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Message");
        d.field("what", &self.what)
            .field("arg1", &self.arg1)
            .field("arg2", &self.arg2)
            .field("obj", &self.obj.is_some())
            .field("data", &self.data.as_ref().map(HashMap::len))
            .field("asynchronous", &self.asynchronous)
            .field("when", &self.when);
        if let Some(t) = &self.target {
            d.field("target", &t.id());
        }
        d.finish()
    }
}

/// Why [`Message::send_to_target`] failed; both variants hand the message
/// back.
///
/// ```
/// let err = looper_handler::Message::new(1).send_to_target().unwrap_err();
/// assert_eq!(err.to_string(), "the message has no target handler");
/// assert_eq!(err.into_message().what, 1);
/// ```
#[derive(Debug)]
pub enum SendToTargetError {
    /// The message has no target (Android throws a `NullPointerException`).
    NoTarget(Message),
    /// The target's looper has quit.
    Quit(Message),
}

impl SendToTargetError {
    /// The message that was not sent.
    ///
    /// ```
    /// let err = looper_handler::Message::new(2).send_to_target().unwrap_err();
    /// assert_eq!(err.into_message().what, 2);
    /// ```
    pub fn into_message(self) -> Message {
        match self {
            SendToTargetError::NoTarget(m) | SendToTargetError::Quit(m) => m,
        }
    }
}

impl fmt::Display for SendToTargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendToTargetError::NoTarget(_) => f.write_str("the message has no target handler"),
            SendToTargetError::Quit(_) => PostError(()).fmt(f),
        }
    }
}

impl std::error::Error for SendToTargetError {}
