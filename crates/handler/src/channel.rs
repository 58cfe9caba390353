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
//! * If the looper quits before the close event is delivered, `on_closed`
//!   never runs; the receiving callbacks are dropped on the looper thread:
//!   at once when the last sender drops there or the quit happens there,
//!   otherwise at the next [`attach`](ChannelBuilder::attach) or handler
//!   registration on that thread, or when the thread exits.
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
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

static NEXT_CHANNEL: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Receiving sides of the channels attached on this thread, by id.
    static RECEIVERS: RefCell<HashMap<u64, Entry>> = RefCell::new(HashMap::new());
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

/// A channel being set up on the looper thread (`!Send`): it holds the
/// `!Send` callbacks until [`attach`](ChannelBuilder::attach) registers them.
///
/// ```
/// let local = looper::Looper::prepare().unwrap();
/// let builder = looper_handler::channel::<u8>(&local).asynchronous(false);
/// let tx = builder.attach(|v| assert_eq!(v, 1));
/// tx.send(1).unwrap();
/// assert_eq!(local.dispatch_pending(), 1);
/// ```
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
    /// value sent before that was delivered. It does not run if the looper
    /// quits first (see the module docs).
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let local = looper::Looper::prepare().unwrap();
    /// let closed = Rc::new(Cell::new(false));
    /// let c = closed.clone();
    /// let tx = looper_handler::channel::<u8>(&local)
    ///     .on_closed(move || c.set(true))
    ///     .attach(|_| ());
    /// let tx2 = tx.clone();
    /// drop(tx);
    /// local.dispatch_pending();
    /// assert!(!closed.get(), "a clone is still alive");
    /// drop(tx2);
    /// local.dispatch_pending();
    /// assert!(closed.get());
    /// ```
    pub fn on_closed(mut self, f: impl FnOnce() + 'static) -> Self {
        self.on_closed = Some(Box::new(f));
        self
    }

    /// Sends the values as asynchronous messages, which pass sync barriers
    /// (SEMANTICS Q9).
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let tx = looper_handler::channel::<u8>(&local).asynchronous(true).attach(|_| ());
    /// let barrier = local.looper().post_sync_barrier().unwrap();
    /// tx.send(1).unwrap();
    /// assert_eq!(local.dispatch_pending(), 1, "passed the barrier");
    /// local.looper().remove_sync_barrier(barrier).unwrap();
    /// ```
    pub fn asynchronous(mut self, asynchronous: bool) -> Self {
        self.asynchronous = asynchronous;
        self
    }

    /// Attaches `on_value`, which runs on the looper thread for every value,
    /// and returns the sender.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// let local = looper::Looper::prepare().unwrap();
    /// let got = Rc::new(RefCell::new(String::new()));
    /// let g = got.clone();
    /// let tx = looper_handler::channel::<char>(&local).attach(move |c| g.borrow_mut().push(c));
    /// "hi".chars().for_each(|c| tx.send(c).unwrap());
    /// local.dispatch_pending();
    /// assert_eq!(*got.borrow(), "hi");
    /// ```
    pub fn attach(self, on_value: impl FnMut(T) + 'static) -> Sender<T> {
        sweep_orphans();
        let id = NEXT_CHANNEL.fetch_add(1, Ordering::Relaxed);
        let slot: Rc<Slot<T>> = Rc::new(Slot {
            on_value: RefCell::new(Box::new(on_value)),
            backlog: RefCell::new(VecDeque::new()),
            on_closed: RefCell::new(self.on_closed),
        });
        let shared = Arc::new(ChannelShared {
            id,
            looper: self.local.looper(),
            senders: AtomicUsize::new(1),
            asynchronous: self.asynchronous,
            orphaned: AtomicBool::new(false),
        });
        let entry = Entry {
            slot: slot as Rc<dyn Receiving>,
            shared: shared.clone(),
        };
        RECEIVERS.with(|r| r.borrow_mut().insert(id, entry));
        Sender {
            shared,
            _values: PhantomData,
        }
    }
}

/// A registered receiving side, with the shared state that says whether its
/// close event was lost to a quit.
struct Entry {
    slot: Rc<dyn Receiving>,
    shared: Arc<ChannelShared>,
}

/// Drops the receiving sides on this thread whose close event can no longer
/// arrive (rejected or discarded by a quit).
/// Orphaned receiving sides not yet freed, across all threads.
static ORPHANS_PENDING: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn sweep_orphans() {
    // Orphans only appear after a looper quit with a close event pending, so
    // the scan is skipped (one relaxed load) unless one is waiting somewhere:
    // attaching a channel per task stays O(1).
    if ORPHANS_PENDING.load(Ordering::Acquire) == 0 {
        return;
    }
    let swept: Vec<Entry> = RECEIVERS
        .try_with(|r| {
            let mut r = r.borrow_mut();
            let dead: Vec<u64> = r
                .iter()
                .filter(|(_, e)| e.shared.orphaned.load(Ordering::Acquire))
                .map(|(id, _)| *id)
                .collect();
            dead.iter().filter_map(|id| r.remove(id)).collect()
        })
        .unwrap_or_default();
    if !swept.is_empty() {
        ORPHANS_PENDING.fetch_sub(swept.len(), Ordering::AcqRel);
    }
    // User callbacks may post or send when dropped: never under the borrow.
    drop(swept);
}

/// Removes channel `id`'s receiving side if it lives on this thread (ids are
/// process-unique, so elsewhere this is a no-op), dropping it unclosed.
fn remove_here(id: u64) -> bool {
    let removed = RECEIVERS
        .try_with(|r| r.borrow_mut().remove(&id))
        .ok()
        .flatten();
    let found = removed.is_some();
    drop(removed);
    found
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
    /// Set when the close event was refused or discarded by a quit: the
    /// receiving side can then never close and is swept.
    orphaned: AtomicBool,
}

/// The sending half of a typed channel: `Send + Sync + Clone`, usable from
/// any thread. Dropping the last clone closes the channel.
///
/// ```
/// let local = looper::Looper::prepare().unwrap();
/// let tx = looper_handler::channel::<u32>(&local).attach(|v| assert!(v < 2));
/// let tx2 = tx.clone();
/// std::thread::spawn(move || tx2.send(1).unwrap()).join().unwrap();
/// tx.send(0).unwrap();
/// assert_eq!(local.dispatch_pending(), 2);
/// ```
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
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let tx = looper_handler::channel::<String>(&local).attach(|_| ());
    /// tx.send("queued".into()).unwrap();
    /// local.looper().quit().unwrap();
    /// let back = tx.send("refused".into()).unwrap_err().into_inner();
    /// assert_eq!(back, "refused");
    /// ```
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
    ///
    /// ```
    /// let local = looper::Looper::prepare().unwrap();
    /// let tx = looper_handler::channel::<u8>(&local).attach(|_| ());
    /// assert_eq!(tx.looper(), &local.looper());
    /// ```
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
            shared: Some(self.shared.clone()),
        });
        let job = Job::message(msg).asynchronous(self.shared.asynchronous);
        // Refused after quit: dropping the returned `Close` marks the
        // receiving side orphaned (and frees it at once on the looper thread).
        let _ = self.shared.looper.enqueue(job, Schedule::Now);
    }
}

/// A value refused because the looper has quit; holds the value.
///
/// ```
/// let local = looper::Looper::prepare().unwrap();
/// let tx = looper_handler::channel::<u8>(&local).attach(|_| ());
/// local.looper().quit().unwrap();
/// let err = tx.send(7).unwrap_err();
/// assert_eq!(err.to_string(), "sending on a channel into a looper that has quit");
/// assert_eq!(err.0, 7);
/// ```
#[derive(PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// assert_eq!(looper_handler::SendError(3).into_inner(), 3);
    /// ```
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
        let span = tracing::trace_span!("channel.dispatch", channel = self.channel);
        let _enter = span.enter();
        let slot = RECEIVERS.with(|r| r.borrow().get(&self.channel).map(|e| e.slot.clone()));
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
    /// Taken by `dispatch`; still here on drop means the event was lost.
    shared: Option<Arc<ChannelShared>>,
}

impl Close {
    fn channel(&self) -> u64 {
        self.shared.as_ref().map_or(0, |s| s.id)
    }
}

impl Dispatch for Close {
    fn dispatch(mut self: Box<Self>) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        let entry = RECEIVERS.with(|r| r.borrow_mut().remove(&shared.id));
        if let Some(entry) = entry {
            entry.slot.close();
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel #{} closed", self.channel())
    }
}

impl Drop for Close {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            // Counted before it becomes visible as orphaned, so a sweep that
            // sees the flag always finds the count non-zero.
            ORPHANS_PENDING.fetch_add(1, Ordering::AcqRel);
            shared.orphaned.store(true, Ordering::Release);
            if !remove_here(shared.id) {
                return;
            }
            // Freed right here, on its own looper thread: no sweep needed.
            ORPHANS_PENDING.fetch_sub(1, Ordering::AcqRel);
        }
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
