//! [`LocalHandler`]: a handler as seen from its own looper thread, which may
//! also post `!Send` closures (UI code posting to itself).
//!
//! # Guarantees
//!
//! * `LocalHandler` is `!Send` (it holds a `LocalLooper`), so the type
//!   system proves every `post_local` happens on the looper thread: there is
//!   no runtime thread check (D1).
//! * It dereferences to its [`Handler`], so every `Send` method is there
//!   too; [`handler`](LocalHandler::handler) gives the `Send` handle away.
//! * Local posts are ordinary looper entries (`LocalLooper::post_with`):
//!   they order with everything else by due time and FIFO ties.
//!   [`remove_callbacks`](Handler::remove_callbacks) removes one by token
//!   from any thread; [`LocalHandler::remove_callbacks_and_messages`]
//!   removes the local posts made through this `LocalHandler` (or its
//!   clones) as well as every `Send` post and message of the handler.
//! * Local posts are always synchronous, even for an asynchronous handler:
//!   the looper offers no asynchronous local post (see the crate README).

use crate::dispatch;
use crate::handler::Handler;
use crate::message::Message;
use looper::{LocalLooper, LocalRejected, Schedule, Token};
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// A [`Handler`] on its own looper thread: adds `!Send` posting.
///
/// ```
/// use looper_handler::LocalHandler;
/// use std::{cell::RefCell, rc::Rc};
///
/// let local = looper::Looper::prepare().unwrap();
/// let handler = LocalHandler::new(&local);
/// let log = Rc::new(RefCell::new(Vec::new())); // !Send
/// let l = log.clone();
/// handler.post_local(move || l.borrow_mut().push("local")).unwrap();
/// handler.post(|| ()).unwrap(); // the Send API is there too
/// local.dispatch_pending();
/// assert_eq!(*log.borrow(), ["local"]);
/// ```
///
/// It cannot leave its thread:
///
/// ```compile_fail
/// let local = looper::Looper::prepare().unwrap();
/// let handler = looper_handler::LocalHandler::new(&local);
/// std::thread::spawn(move || drop(handler));
/// ```
#[derive(Clone)]
pub struct LocalHandler {
    handler: Handler,
    local: LocalLooper,
    /// Tokens of local posts that may still be queued, for
    /// `remove_callbacks_and_messages`; pruned as it grows.
    posted: Rc<RefCell<Vec<Token>>>,
}

impl fmt::Debug for LocalHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LocalHandler").field(&self.handler).finish()
    }
}

impl Deref for LocalHandler {
    type Target = Handler;

    fn deref(&self) -> &Handler {
        &self.handler
    }
}

impl LocalHandler {
    pub(crate) fn wrap(handler: Handler, local: &LocalLooper) -> LocalHandler {
        LocalHandler {
            handler,
            local: local.clone(),
            posted: Rc::new(RefCell::new(Vec::new())),
        }
    }

    /// A handler without callbacks for the looper `local` runs.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::LocalHandler::new(&local);
    /// assert_eq!(h.looper(), &local.looper());
    /// ```
    pub fn new(local: &LocalLooper) -> LocalHandler {
        LocalHandler::wrap(Handler::new(&local.looper()), local)
    }

    /// The `Send` handle, for other threads.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::LocalHandler::new(&local).handler().clone();
    /// std::thread::spawn(move || h.post(|| ()).unwrap()).join().unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn handler(&self) -> &Handler {
        &self.handler
    }

    /// Posts a closure that may capture `!Send` state, due now. After quit
    /// the closure comes back in [`LocalRejected`].
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::LocalHandler::new(&local);
    /// let rc = std::rc::Rc::new(7);
    /// h.post_local(move || assert_eq!(*rc, 7)).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn post_local<F: FnOnce() + 'static>(&self, f: F) -> Result<Token, LocalRejected<F>> {
        self.post_local_with(f, Schedule::Now)
    }

    /// Posts a `!Send` closure due after `delay`.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::LocalHandler::new(&local);
    /// let token = h.post_local_delayed(|| (), std::time::Duration::from_secs(60)).unwrap();
    /// assert!(h.remove_callbacks(token));
    /// ```
    pub fn post_local_delayed<F: FnOnce() + 'static>(
        &self,
        f: F,
        delay: Duration,
    ) -> Result<Token, LocalRejected<F>> {
        self.post_local_with(f, Schedule::Delayed(delay))
    }

    /// Posts a `!Send` closure due at `at` on the looper's clock.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::LocalHandler::new(&local);
    /// h.post_local_at(|| (), local.looper().now()).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn post_local_at<F: FnOnce() + 'static>(
        &self,
        f: F,
        at: Instant,
    ) -> Result<Token, LocalRejected<F>> {
        self.post_local_with(f, Schedule::At(at))
    }

    /// Posts a `!Send` closure ahead of everything queued (Q3).
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::LocalHandler::new(&local);
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// let (a, b) = (log.clone(), log.clone());
    /// h.post_local(move || a.borrow_mut().push(2)).unwrap();
    /// h.post_local_at_front(move || b.borrow_mut().push(1)).unwrap();
    /// local.dispatch_pending();
    /// assert_eq!(*log.borrow(), [1, 2]);
    /// ```
    pub fn post_local_at_front<F: FnOnce() + 'static>(
        &self,
        f: F,
    ) -> Result<Token, LocalRejected<F>> {
        self.post_local_with(f, Schedule::Front)
    }

    /// Posts a `!Send` closure under any [`Schedule`].
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::LocalHandler::new(&local);
    /// h.post_local_with(|| (), looper::Schedule::Now).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn post_local_with<F: FnOnce() + 'static>(
        &self,
        f: F,
        schedule: Schedule,
    ) -> Result<Token, LocalRejected<F>> {
        let token = self.local.post_with(f, schedule)?;
        let mut posted = self.posted.borrow_mut();
        // Amortised pruning keeps the list proportional to what is queued.
        if posted.len() >= 64 && posted.len().is_power_of_two() {
            let looper = self.local.looper();
            posted.retain(|t| looper.contains(*t));
        }
        posted.push(token);
        Ok(token)
    }

    /// Removes every queued closure (local or `Send`) and message of this
    /// handler (Q10); returns how many.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::LocalHandler::new(&local);
    /// let rc = std::rc::Rc::new(());
    /// h.post_local(move || drop(rc)).unwrap();
    /// h.post(|| ()).unwrap();
    /// h.send_empty_message(1).unwrap();
    /// assert_eq!(h.remove_callbacks_and_messages(), 3);
    /// assert_eq!(local.dispatch_pending(), 0);
    /// ```
    pub fn remove_callbacks_and_messages(&self) -> usize {
        let looper = self.local.looper();
        let tokens = std::mem::take(&mut *self.posted.borrow_mut());
        let local = tokens.into_iter().filter(|t| looper.remove(*t)).count();
        local + self.handler.remove_callbacks_and_messages()
    }

    /// Delivers `msg` to this handler's callbacks now, inline (Android's
    /// `dispatchMessage`; H3).
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let local = looper::Looper::prepare().unwrap();
    /// let seen = Rc::new(Cell::new(0));
    /// let s = seen.clone();
    /// let h = looper_handler::Handler::builder(&local)
    ///     .handle_message(move |m| s.set(m.what))
    ///     .build_local();
    /// h.dispatch_message(&looper_handler::Message::new(8));
    /// assert_eq!(seen.get(), 8);
    /// ```
    pub fn dispatch_message(&self, msg: &Message) {
        dispatch::deliver(&self.handler, msg);
    }
}
