//! How a task's events reach its UI side: one looper message per event,
//! routed by task id to the UI side registered on the looper thread.
//!
//! # Guarantees
//!
//! * Events of one task are dispatched in the order they were sent, each as
//!   one message in the looper's queue (so they interleave correctly with
//!   other posts), and the UI side they reach never leaves the looper thread:
//!   only the task id travels.
//! * `Finish` is the last event of a task: the UI side is unregistered when
//!   it has been handled, so the registry holds only live tasks. Registering
//!   and unregistering are O(1), and no extra message is needed to close.
//! * A send to a looper that has quit fails and hands the event back.
//! * An event arriving while the same task's handler runs (a nested loop
//!   inside a UI callback) waits for it and runs next, keeping the order.
//!
//! The typed channel of `looper-handler` offers the same ordering; this
//! registry exists because a task needs no close message and no orphan
//! sweep, which keeps the per-task cost flat with many tasks in flight
//! (PERFORMANCE target 5).

use crate::progress::Event;
use looper::{Dispatch, Job, LocalLooper, Looper, Schedule};
use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;

thread_local! {
    /// The UI sides of the tasks executed on this thread's looper, by id.
    static SINKS: RefCell<HashMap<u64, Rc<dyn Any>>> = RefCell::new(HashMap::new());
}

struct Sink<Pr> {
    handler: RefCell<Box<dyn FnMut(Event<Pr>)>>,
    backlog: RefCell<VecDeque<Event<Pr>>>,
}

/// The `Send` end: enqueues a task's events on its looper.
pub(crate) struct UiTx<Pr> {
    looper: Looper,
    task: u64,
    _events: PhantomData<fn(Pr)>,
}

impl<Pr> Clone for UiTx<Pr> {
    fn clone(&self) -> Self {
        UiTx {
            looper: self.looper.clone(),
            task: self.task,
            _events: PhantomData,
        }
    }
}

/// Registers `handler` for task `task` on this (the looper's) thread.
pub(crate) fn register<Pr: Send + 'static>(
    local: &LocalLooper,
    task: u64,
    handler: impl FnMut(Event<Pr>) + 'static,
) -> UiTx<Pr> {
    let sink: Rc<Sink<Pr>> = Rc::new(Sink {
        handler: RefCell::new(Box::new(handler)),
        backlog: RefCell::new(VecDeque::new()),
    });
    SINKS.with(|s| s.borrow_mut().insert(task, sink as Rc<dyn Any>));
    UiTx {
        looper: local.looper(),
        task,
        _events: PhantomData,
    }
}

impl<Pr: Send + 'static> UiTx<Pr> {
    /// Queues `event`; gives it back if the looper has quit.
    pub(crate) fn send(&self, event: Event<Pr>) -> Result<(), Event<Pr>> {
        let msg = Box::new(Msg {
            task: self.task,
            event,
        });
        match self.looper.enqueue(Job::message(msg), Schedule::Now) {
            Ok(_) => Ok(()),
            Err(rejected) => match rejected
                .into_job()
                .into_message()
                .map(|m| m.into_any().downcast::<Msg<Pr>>())
            {
                Some(Ok(msg)) => Err(msg.event),
                _ => unreachable!("the rejected job is the message we built"),
            },
        }
    }
}

struct Msg<Pr> {
    task: u64,
    event: Event<Pr>,
}

impl<Pr: Send + 'static> Dispatch for Msg<Pr> {
    fn dispatch(self: Box<Self>) {
        let Some(sink) = SINKS.with(|s| s.borrow().get(&self.task).cloned()) else {
            return; // only possible if the task's thread state is gone
        };
        let sink = sink
            .downcast::<Sink<Pr>>()
            .unwrap_or_else(|_| unreachable!("task ids are unique and typed at registration"));
        let last = matches!(self.event, Event::Finish);
        deliver(&sink, self.event);
        if last {
            // Dropped outside the registry borrow: the UI side's captures may
            // post or send when dropped.
            let removed = SINKS.with(|s| s.borrow_mut().remove(&self.task));
            drop(removed);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.event {
            Event::Progress(_) => "progress",
            Event::Coalesced => "coalesced progress",
            Event::Finish => "finish",
        };
        write!(f, "task #{} {what}", self.task)
    }
}

fn deliver<Pr>(sink: &Sink<Pr>, event: Event<Pr>) {
    let Ok(mut handler) = sink.handler.try_borrow_mut() else {
        sink.backlog.borrow_mut().push_back(event);
        return;
    };
    handler(event);
    loop {
        let next = sink.backlog.borrow_mut().pop_front();
        match next {
            Some(e) => handler(e),
            None => break,
        }
    }
}
