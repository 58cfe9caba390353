//! Typed channels into a looper: a `Send` sender of `T`, and a receiving
//! callback that runs on the looper thread and may capture `!Send` state.
//!
//! # Guarantees
//!
//! * Values arrive in the order each sender sent them, each as one message in
//!   the looper's queue, so they interleave correctly with other posts: a
//!   value sent before a `Looper::post` from the same thread is received
//!   before that post runs.
//! * [`Sender`] is `Send + Sync + Clone`; the callback given to
//!   [`ChannelBuilder::attach`] never leaves the looper thread (it is kept in
//!   a thread-local registry there; only an id travels with each value).
//! * Once every sender is dropped, the `on_closed` callback runs on the looper
//!   thread after every value sent before the last drop was delivered.
//! * A send to a looper that has quit fails with [`SendError`], which gives
//!   the value back: nothing is dropped silently.
//!
//! This is the building block `looper-asynctask` delivers progress and
//! results through.

use looper::{Dispatch, Job, LocalLooper, Looper, Schedule};
use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

static NEXT_CHANNEL: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Receiving sides of the channels attached on this thread, by id.
    static RECEIVERS: RefCell<HashMap<u64, Rc<dyn Receiving>>> = RefCell::new(HashMap::new());
}

/// Starts a typed channel into the looper `local` runs. Finish it with
/// [`ChannelBuilder::attach`].
///
/// ```
/// use looper::Looper;
/// use std::{cell::RefCell, rc::Rc};
///
/// let local = Looper::prepare().unwrap();
/// let received = Rc::new(RefCell::new(Vec::new())); // !Send UI state
/// let closed = Rc::new(RefCell::new(false));
/// let (r, c) = (received.clone(), closed.clone());
/// let tx = looper_handler::channel::<u32>(&local)
///     .on_closed(move || *c.borrow_mut() = true)
///     .attach(move |v| r.borrow_mut().push(v));
///
/// std::thread::spawn(move || {
///     for i in 0..3 {
///         tx.send(i).unwrap();
///     }
/// }) // tx dropped here: the channel closes after delivering 0, 1, 2
/// .join()
/// .unwrap();
/// local.dispatch_pending();
/// assert_eq!(*received.borrow(), [0, 1, 2]);
/// assert!(*closed.borrow());
/// ```
pub fn channel<T: Send + 'static>(local: &LocalLooper) -> ChannelBuilder<T> {
    ChannelBuilder {
        local: local.clone(),
        on_closed: None,
        asynchronous: false,
        _values: PhantomData,
    }
}

/// A channel being set up on the looper thread (`!Send`).
pub struct ChannelBuilder<T> {
    local: LocalLooper,
    on_closed: Option<Box<dyn FnOnce()>>,
    asynchronous: bool,
    _values: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for ChannelBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelBuilder")
            .field("looper", &self.local.looper())
            .field("on_closed", &self.on_closed.is_some())
            .field("asynchronous", &self.asynchronous)
            .finish()
    }
}

impl<T: Send + 'static> ChannelBuilder<T> {
    /// Runs `f` on the looper thread once every sender is dropped and every
    /// value sent before that was delivered.
    pub fn on_closed(mut self, f: impl FnOnce() + 'static) -> Self {
        self.on_closed = Some(Box::new(f));
        self
    }

    /// Sends the values as asynchronous messages, which pass sync barriers
    /// (SEMANTICS Q9).
    pub fn asynchronous(mut self, asynchronous: bool) -> Self {
        self.asynchronous = asynchronous;
        self
    }

    /// Attaches `on_value`, which runs on the looper thread for every value,
    /// and returns the sender.
    pub fn attach(self, on_value: impl FnMut(T) + 'static) -> Sender<T> {
        let id = NEXT_CHANNEL.fetch_add(1, Ordering::Relaxed);
        let slot: Rc<Slot<T>> = Rc::new(Slot {
            on_value: RefCell::new(Box::new(on_value)),
            backlog: RefCell::new(VecDeque::new()),
            on_closed: RefCell::new(self.on_closed),
        });
        RECEIVERS.with(|r| r.borrow_mut().insert(id, slot as Rc<dyn Receiving>));
        Sender {
            shared: Arc::new(ChannelShared {
                id,
                looper: self.local.looper(),
                senders: AtomicUsize::new(1),
                asynchronous: self.asynchronous,
            }),
            _values: PhantomData,
        }
    }
}

struct Slot<T> {
    on_value: RefCell<Box<dyn FnMut(T)>>,
    /// Values that arrived while `on_value` was running (a nested loop run
    /// from inside the callback); delivered in order when it returns.
    backlog: RefCell<VecDeque<T>>,
    on_closed: RefCell<Option<Box<dyn FnOnce()>>>,
}

/// The type-erased view of a receiving slot the registry holds.
trait Receiving {
    fn close(&self);
    fn into_any(self: Rc<Self>) -> Rc<dyn Any>;
}

impl<T: 'static> Receiving for Slot<T> {
    fn close(&self) {
        let on_closed = self.on_closed.borrow_mut().take();
        if let Some(f) = on_closed {
            f();
        }
    }
    fn into_any(self: Rc<Self>) -> Rc<dyn Any> {
        self
    }
}

struct ChannelShared {
    id: u64,
    looper: Looper,
    senders: AtomicUsize,
    asynchronous: bool,
}

/// The sending half of a typed channel: `Send + Sync + Clone`, usable from
/// any thread.
pub struct Sender<T> {
    shared: Arc<ChannelShared>,
    _values: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("channel", &self.shared.id)
            .field("looper", &self.shared.looper)
            .finish()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            shared: self.shared.clone(),
            _values: PhantomData,
        }
    }
}

impl<T: Send + 'static> Sender<T> {
    /// Queues `value` for the receiving callback. Fails, giving the value
    /// back, if the looper has quit.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let msg = Box::new(Delivery::<T> {
            channel: self.shared.id,
            value,
        });
        let job = Job::message(msg).asynchronous(self.shared.asynchronous);
        match self.shared.looper.enqueue(job, Schedule::Now) {
            Ok(_) => Ok(()),
            Err(rejected) => {
                let message = rejected
                    .into_job()
                    .into_message()
                    .expect("a channel job carries a message");
                match message.into_any().downcast::<Delivery<T>>() {
                    Ok(delivery) => Err(SendError(delivery.value)),
                    Err(_) => unreachable!("the rejected job is the delivery we built"),
                }
            }
        }
    }

    /// The looper the values go to.
    pub fn looper(&self) -> &Looper {
        &self.shared.looper
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // The last sender: every send of every clone happened before its drop,
        // and so before this point, so the close message queues after them.
        let msg = Box::new(Close {
            channel: self.shared.id,
        });
        let job = Job::message(msg).asynchronous(self.shared.asynchronous);
        // A looper that quit drops its thread's receivers itself.
        let _ = self.shared.looper.enqueue(job, Schedule::Now);
    }
}

/// A value refused because the looper has quit; holds the value.
#[derive(PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a channel into a looper that has quit")
    }
}

impl<T> std::error::Error for SendError<T> {}

struct Delivery<T> {
    channel: u64,
    value: T,
}

impl<T: Send + 'static> Dispatch for Delivery<T> {
    fn dispatch(self: Box<Self>) {
        let slot = RECEIVERS.with(|r| r.borrow().get(&self.channel).cloned());
        let Some(slot) = slot else {
            return; // receiver gone with its thread's looper state
        };
        let slot = slot
            .into_any()
            .downcast::<Slot<T>>()
            .unwrap_or_else(|_| unreachable!("channel ids are unique per value type"));
        deliver(&slot, self.value);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel #{} value", self.channel)
    }
}

/// Queued by the last sender's drop, behind every value sent before it.
struct Close {
    channel: u64,
}

impl Dispatch for Close {
    fn dispatch(self: Box<Self>) {
        let slot = RECEIVERS.with(|r| r.borrow_mut().remove(&self.channel));
        if let Some(slot) = slot {
            slot.close();
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel #{} closed", self.channel)
    }
}

fn deliver<T>(slot: &Slot<T>, value: T) {
    let Ok(mut on_value) = slot.on_value.try_borrow_mut() else {
        // Re-entered from a nested loop inside the callback: keep the order
        // by queueing behind the value being handled.
        slot.backlog.borrow_mut().push_back(value);
        return;
    };
    on_value(value);
    loop {
        let next = slot.backlog.borrow_mut().pop_front();
        match next {
            Some(v) => on_value(v),
            None => break,
        }
    }
}
