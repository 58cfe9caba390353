//! Posting closures and sending messages through a [`Handler`] (H4-H6).
//!
//! # Guarantees
//!
//! * One allocation per post or send: the closure (with its handler's id)
//!   or the message (with its target) is boxed once, as a looper message.
//! * A post or send either queues and returns its [`Token`], or, after quit,
//!   hands the closure or message back in [`PostError`] (L9, P12).
//! * A message is stamped as it is queued: target, due time (`None` for the
//!   front of the queue) and, for an asynchronous handler, the asynchronous
//!   flag (H2, H5).

use crate::dispatch::{Posted, Sent, Tag};
use crate::handler::{Handler, PostError};
use crate::message::Message;
use looper::{Job, Schedule, Token};
use std::time::{Duration, Instant};

impl Handler {
    /// Posts `f` to run on the looper thread behind everything already due
    /// (H4). After quit, `f` comes back in the error.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// let token = h.post(|| println!("hi")).unwrap();
    /// assert!(h.has_callbacks(token));
    /// local.looper().quit().unwrap();
    /// let f = h.post(|| println!("too late")).unwrap_err().into_inner();
    /// f(); // still ours
    /// ```
    pub fn post<F: FnOnce() + Send + 'static>(&self, f: F) -> Result<Token, PostError<F>> {
        self.post_with(f, Schedule::Now)
    }

    /// Posts `f` to run after `delay` on the looper's clock.
    ///
    /// ```
    /// use std::time::Duration;
    /// let clock = looper::ManualClock::new();
    /// let local = looper::LooperBuilder::new().clock(clock.clone()).prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.post_delayed(|| (), Duration::from_secs(1)).unwrap();
    /// assert_eq!(local.dispatch_pending(), 0);
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn post_delayed<F: FnOnce() + Send + 'static>(
        &self,
        f: F,
        delay: Duration,
    ) -> Result<Token, PostError<F>> {
        self.post_with(f, Schedule::Delayed(delay))
    }

    /// Posts `f` to run at `at` on the looper's clock (`postAtTime`).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.post_at(|| (), local.looper().now()).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn post_at<F: FnOnce() + Send + 'static>(
        &self,
        f: F,
        at: Instant,
    ) -> Result<Token, PostError<F>> {
        self.post_with(f, Schedule::At(at))
    }

    /// Posts `f` ahead of everything queued; several run last-in first-out
    /// (Q3).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let l = log.clone();
    /// h.post(move || l.lock().unwrap().push("normal")).unwrap();
    /// let l = log.clone();
    /// h.post_at_front(move || l.lock().unwrap().push("front")).unwrap();
    /// local.dispatch_pending();
    /// assert_eq!(*log.lock().unwrap(), ["front", "normal"]);
    /// ```
    pub fn post_at_front<F: FnOnce() + Send + 'static>(&self, f: F) -> Result<Token, PostError<F>> {
        self.post_with(f, Schedule::Front)
    }

    /// Posts `f` under any [`Schedule`]: the primitive the other posts use.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.post_with(|| (), looper::Schedule::Now).unwrap();
    /// assert!(h.has_messages_or_callbacks());
    /// ```
    pub fn post_with<F: FnOnce() + Send + 'static>(
        &self,
        f: F,
        schedule: Schedule,
    ) -> Result<Token, PostError<F>> {
        let posted = Box::new(Posted {
            tag: Tag { handler: self.id() },
            f,
        });
        let job = Job::message(posted).asynchronous(self.is_async());
        self.looper().enqueue(job, schedule).map_err(|rejected| {
            let posted = rejected
                .into_job()
                .into_message()
                .expect("a handler post is a message job")
                .into_any()
                .downcast::<Posted<F>>()
                .unwrap_or_else(|_| unreachable!("the rejected job is the post we built"));
            PostError(posted.f)
        })
    }

    /// A message with `what` whose target is this handler (H6); chain
    /// [`Message::args`] and [`Message::obj`] for the other fields.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// let msg = h.obtain_message(1).args(2, 3).obj(std::sync::Arc::new("x"));
    /// assert_eq!(msg.target(), Some(&h));
    /// assert_eq!((msg.what, msg.arg1, msg.arg2), (1, 2, 3));
    /// ```
    pub fn obtain_message(&self, what: i32) -> Message {
        let mut msg = Message::new(what);
        msg.set_target(Some(self.clone()));
        msg
    }

    /// Sends `msg` to this handler, due now (H5). Sets its target, its due
    /// time and, for an asynchronous handler, its asynchronous flag.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let local = looper::Looper::prepare().unwrap();
    /// let got = Rc::new(Cell::new(0));
    /// let g = got.clone();
    /// let h = looper_handler::Handler::builder(&local)
    ///     .handle_message(move |m| g.set(m.arg1))
    ///     .build();
    /// h.send_message(h.obtain_message(1).args(42, 0)).unwrap();
    /// local.dispatch_pending();
    /// assert_eq!(got.get(), 42);
    /// ```
    pub fn send_message(&self, msg: Message) -> Result<Token, PostError<Message>> {
        self.send_message_with(msg, Schedule::Now)
    }

    /// Sends `msg`, due after `delay`.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.send_message_delayed(h.obtain_message(1), std::time::Duration::from_secs(9)).unwrap();
    /// assert!(h.has_messages(1));
    /// ```
    pub fn send_message_delayed(
        &self,
        msg: Message,
        delay: Duration,
    ) -> Result<Token, PostError<Message>> {
        self.send_message_with(msg, Schedule::Delayed(delay))
    }

    /// Sends `msg`, due at `at` on the looper's clock.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.send_message_at_time(h.obtain_message(1), local.looper().now()).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn send_message_at_time(
        &self,
        msg: Message,
        at: Instant,
    ) -> Result<Token, PostError<Message>> {
        self.send_message_with(msg, Schedule::At(at))
    }

    /// Sends `msg` ahead of everything queued (Q3).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.send_message_at_front_of_queue(h.obtain_message(1)).unwrap();
    /// assert!(h.has_messages(1));
    /// ```
    pub fn send_message_at_front_of_queue(
        &self,
        msg: Message,
    ) -> Result<Token, PostError<Message>> {
        self.send_message_with(msg, Schedule::Front)
    }

    /// Sends a message with only `what` set.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.send_empty_message(4).unwrap();
    /// assert!(h.has_messages(4));
    /// ```
    pub fn send_empty_message(&self, what: i32) -> Result<Token, PostError<Message>> {
        self.send_message(Message::new(what))
    }

    /// Sends a message with only `what` set, due after `delay`.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.send_empty_message_delayed(4, std::time::Duration::from_secs(1)).unwrap();
    /// assert_eq!(local.dispatch_pending(), 0);
    /// ```
    pub fn send_empty_message_delayed(
        &self,
        what: i32,
        delay: Duration,
    ) -> Result<Token, PostError<Message>> {
        self.send_message_delayed(Message::new(what), delay)
    }

    /// Sends a message with only `what` set, due at `at`.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.send_empty_message_at_time(4, local.looper().now()).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1);
    /// ```
    pub fn send_empty_message_at_time(
        &self,
        what: i32,
        at: Instant,
    ) -> Result<Token, PostError<Message>> {
        self.send_message_at_time(Message::new(what), at)
    }

    /// Sends `msg` under any [`Schedule`]: the primitive the other sends use.
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let h = looper_handler::Handler::new(&local.looper());
    /// h.send_message_with(h.obtain_message(2), looper::Schedule::Front).unwrap();
    /// assert!(h.has_messages(2));
    /// ```
    pub fn send_message_with(
        &self,
        mut msg: Message,
        schedule: Schedule,
    ) -> Result<Token, PostError<Message>> {
        let when = match schedule {
            Schedule::Now => Some(self.looper().now()),
            Schedule::Delayed(d) => self.looper().now().checked_add(d),
            Schedule::At(at) => Some(at),
            Schedule::Front => None,
        };
        msg.stamp(self, when);
        let asynchronous = msg.is_asynchronous();
        let job = Job::message(Box::new(Sent { msg })).asynchronous(asynchronous);
        self.looper().enqueue(job, schedule).map_err(|rejected| {
            let sent = rejected
                .into_job()
                .into_message()
                .expect("a handler send is a message job")
                .into_any()
                .downcast::<Sent>()
                .unwrap_or_else(|_| unreachable!("the rejected job is the message we built"));
            PostError(sent.msg)
        })
    }
}
