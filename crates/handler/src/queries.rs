//! Removing and querying a [`Handler`]'s queued work (H7, Q10, D3).
//!
//! # Guarantees
//!
//! * Only this handler's closures and messages are seen: other handlers on
//!   the same looper are untouched (Q10).
//! * Closures have no `what` (D3): removal and queries by `what` only ever
//!   see messages; a closure is removed by its token or with everything else.
//! * Payloads match by identity, `Arc::ptr_eq` (X5).
//! * A removal is effective when it returns and is never a panic. Each
//!   removal or query by predicate walks the pending queue under its lock
//!   (O(n)); removal by token is O(log n).

use crate::dispatch::{Sent, Tag};
use crate::handler::Handler;
use crate::message::{Message, Payload};
use looper::{Job, Token};

impl Handler {
    /// Removes the post or message `token` names (H4, D3); returns whether
    /// it was still queued. Tokens are unique, so this removes exactly that
    /// entry of this handler's looper (whichever handler queued it); tokens
    /// of other loopers, of entries that already ran or were removed:
    /// `false`.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// let token = h.post(|| unreachable!("removed")).unwrap();
    /// assert!(h.remove_callbacks(token));
    /// assert!(!h.remove_callbacks(token));
    /// assert_eq!(local.dispatch_pending(), 0);
    /// ```
    pub fn remove_callbacks(&self, token: Token) -> bool {
        self.looper().remove(token)
    }

    /// Whether the post or message `token` names is still queued (H7).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// let token = h.post(|| ()).unwrap();
    /// assert!(h.has_callbacks(token));
    /// local.dispatch_pending();
    /// assert!(!h.has_callbacks(token));
    /// ```
    pub fn has_callbacks(&self, token: Token) -> bool {
        self.looper().contains(token)
    }

    /// Removes this handler's queued messages with `what` (never closures,
    /// D3); returns how many.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.send_empty_message(0).unwrap();
    /// h.post(|| ()).unwrap();
    /// assert_eq!(h.remove_messages(0), 1, "the closure is not a what=0 message");
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn remove_messages(&self, what: i32) -> usize {
        self.looper()
            .remove_if(|job| self.own_message(job).is_some_and(|m| m.what == what))
    }

    /// Removes this handler's queued messages with `what` whose payload is
    /// `obj` itself (`Arc::ptr_eq`, Q10, X5); returns how many.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// let a: looper_handler::Payload = Arc::new(1);
    /// h.send_message(h.obtain_message(3).obj(a.clone())).unwrap();
    /// h.send_message(h.obtain_message(3).obj(Arc::new(1))).unwrap();
    /// assert_eq!(h.remove_messages_with_obj(3, &a), 1);
    /// assert!(h.has_messages(3));
    /// ```
    pub fn remove_messages_with_obj(&self, what: i32, obj: &Payload) -> usize {
        self.looper().remove_if(|job| {
            self.own_message(job)
                .is_some_and(|m| m.what == what && m.obj_is(obj))
        })
    }

    /// Removes every queued closure and message of this handler, and only
    /// this handler (Q10); returns how many.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// let other = looper_handler::Handler::new(&local.looper());
    /// h.post(|| ()).unwrap();
    /// h.send_empty_message(1).unwrap();
    /// other.post(|| ()).unwrap();
    /// assert_eq!(h.remove_callbacks_and_messages(), 2);
    /// assert!(other.has_messages_or_callbacks());
    /// ```
    pub fn remove_callbacks_and_messages(&self) -> usize {
        self.looper().remove_if(|job| self.owns(job))
    }

    /// Whether a message of this handler with `what` is queued (H7; never
    /// closures, D3).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// assert!(!h.has_messages(1));
    /// h.send_empty_message(1).unwrap();
    /// assert!(h.has_messages(1));
    /// ```
    pub fn has_messages(&self, what: i32) -> bool {
        self.looper()
            .any(|job| self.own_message(job).is_some_and(|m| m.what == what))
    }

    /// Whether a message of this handler with `what` and payload `obj`
    /// (identity) is queued.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// let a: looper_handler::Payload = Arc::new(1);
    /// h.send_message(h.obtain_message(3).obj(a.clone())).unwrap();
    /// assert!(h.has_messages_with_obj(3, &a));
    /// assert!(!h.has_messages_with_obj(3, &(Arc::new(1) as looper_handler::Payload)));
    /// ```
    pub fn has_messages_with_obj(&self, what: i32, obj: &Payload) -> bool {
        self.looper().any(|job| {
            self.own_message(job)
                .is_some_and(|m| m.what == what && m.obj_is(obj))
        })
    }

    /// Whether anything of this handler is queued (H7's
    /// `hasMessagesOrCallbacks`).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// assert!(!h.has_messages_or_callbacks());
    /// h.post(|| ()).unwrap();
    /// assert!(h.has_messages_or_callbacks());
    /// ```
    pub fn has_messages_or_callbacks(&self) -> bool {
        self.looper().any(|job| self.owns(job))
    }

    fn own_message<'j>(&self, job: &'j Job) -> Option<&'j Message> {
        let sent = job.as_dispatch()?.as_any().downcast_ref::<Sent>()?;
        (sent.target() == self).then_some(&sent.msg)
    }

    fn owns(&self, job: &Job) -> bool {
        let Some(any) = job.as_dispatch().map(|d| d.as_any()) else {
            return false;
        };
        if let Some(tag) = any.downcast_ref::<Tag>() {
            return tag.handler == self.id();
        }
        any.downcast_ref::<Sent>()
            .is_some_and(|s| s.target() == self)
    }
}
