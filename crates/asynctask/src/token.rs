//! [`CancellationToken`]: a cancellation signal usable on its own, with
//! .NET's callbacks and tokio-util's tree of children.
//!
//! # Guarantees
//!
//! * `cancel` is idempotent: the first call flips the token, wakes every
//!   waiter, then runs the registered callbacks **synchronously on the
//!   calling thread, last registered first**, outside every lock (C1); later
//!   calls do nothing. A callback's panic is caught; all panics are returned
//!   together as [`CallbackErrors`] once every callback ran (C2).
//! * A callback registered on a token that is already cancelled runs at once,
//!   inline, on the registering thread (C3). A `register` racing a `cancel`
//!   is run exactly once, by one of the two threads.
//! * [`Registration::unregister`] returns `true` only if it removed the
//!   callback before it started, and never waits; dropping a
//!   [`Registration`] removes the callback too, and if that callback is
//!   running on *another* thread it waits for it to return (never on the
//!   cancelling thread itself, so a callback may drop its own registration)
//!   (C4). Between an unregister and a cancel, exactly one of "unregister
//!   returned true" and "the callback ran" happens.
//! * [`child_token`](CancellationToken::child_token): a child is cancelled
//!   with its parent, never the other way; a child of a cancelled token
//!   starts cancelled; dropping a parent cancels nothing and a grandchild
//!   stays attached through a dropped middle token (K1, K2, K4). When
//!   `cancel` returns the whole subtree is cancelled.
//! * Clones share one state and compare equal; tokens from different
//!   `new()` calls never do (C11).
//!
//! # Lock order
//!
//! Each token has one mutex. No code path holds two of them at once: a
//! cancel takes a node's lock to flip it and detach its children and
//! callbacks, releases it, runs callbacks, then moves to the children one at
//! a time. So no lock-order cycle, and so no deadlock, can arise inside the
//! token; user callbacks never run under a lock.

pub use crate::error::{CallbackErrors, Cancelled};
use crate::sync::{
    self, current_thread_id, AtomicBool, Condvar, Mutex, MutexGuard, Ordering, ThreadId,
};
pub use crate::waiting::{DropGuard, WaitForCancellation};
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

type Callback = Box<dyn FnOnce() + Send>;

/// A shared, cloneable cancellation signal. `Send + Sync` (K7).
///
/// ```
/// use looper_asynctask::CancellationToken;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let token = CancellationToken::new();
/// let child = token.child_token();
/// let hits = Arc::new(AtomicUsize::new(0));
/// let h = hits.clone();
/// let _reg = child.register(move || { h.fetch_add(1, Ordering::SeqCst); });
///
/// token.cancel().unwrap();
/// assert!(child.is_cancelled());
/// assert_eq!(hits.load(Ordering::SeqCst), 1);
/// assert!(child.check().is_err());
/// ```
#[derive(Clone)]
pub struct CancellationToken {
    pub(crate) node: Arc<Node>,
}

pub(crate) struct Node {
    /// Mirrors `State::cancelled` for the lock-free fast path.
    flag: AtomicBool,
    state: Mutex<State>,
    changed: Condvar,
    /// Keeps ancestors alive so a grandchild stays attached through a dropped
    /// middle token (K4). Parents only hold children weakly.
    _parent: Option<Arc<Node>>,
    /// Registrations this token holds on its sources (C6), removed when it
    /// is dropped.
    links: Mutex<Vec<Registration>>,
}

#[derive(Default)]
struct State {
    cancelled: bool,
    next_id: u64,
    /// Ordered by registration, so `pop_last` gives LIFO (C1).
    callbacks: BTreeMap<u64, Callback>,
    /// The callback being run by `cancel`, and on which thread (C4).
    running: Option<(u64, ThreadId)>,
    children: Vec<Weak<Node>>,
    prune_at: usize,
    wakers: BTreeMap<u64, Waker>,
    /// Threads blocked on `changed`; notify only when there are some.
    sleepers: usize,
    /// Bumped to disarm a pending `cancel_after` (C7).
    pub(crate) timer_generation: u64,
}

impl Node {
    fn new(parent: Option<Arc<Node>>) -> Node {
        Node {
            flag: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            _parent: parent,
            links: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        sync::lock(&self.state)
    }

    fn notify(&self, st: &State) {
        if st.sleepers > 0 {
            self.changed.notify_all();
        }
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for CancellationToken {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }
}

impl Eq for CancellationToken {}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("id", &Arc::as_ptr(&self.node))
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancellationToken {
    /// A new, uncancelled token with no parent.
    pub fn new() -> CancellationToken {
        CancellationToken {
            node: Arc::new(Node::new(None)),
        }
    }

    /// A token cancelled whenever any of `sources` is (at once if one
    /// already is); cancelling it leaves the sources alone (C6). Dropping it
    /// removes its callbacks from the sources.
    ///
    /// ```
    /// use looper_asynctask::CancellationToken;
    /// let (a, b) = (CancellationToken::new(), CancellationToken::new());
    /// let linked = CancellationToken::linked(&[&a, &b]);
    /// b.cancel().unwrap();
    /// assert!(linked.is_cancelled() && !a.is_cancelled());
    /// ```
    pub fn linked(sources: &[&CancellationToken]) -> CancellationToken {
        let linked = CancellationToken::new();
        let mut regs = Vec::with_capacity(sources.len());
        for source in sources {
            let weak = Arc::downgrade(&linked.node);
            regs.push(source.register(move || {
                if let Some(node) = weak.upgrade() {
                    report(CancellationToken { node }.cancel(), "linked token");
                }
            }));
        }
        *sync::lock(&linked.node.links) = regs;
        linked
    }

    /// A token cancelled with this one (and its ancestors), but whose own
    /// cancellation does not reach this one or its siblings (K1).
    pub fn child_token(&self) -> CancellationToken {
        let child = Arc::new(Node::new(Some(self.node.clone())));
        let mut st = self.node.lock();
        if st.cancelled {
            drop(st);
            // A fresh node has no callbacks or children: marking it is all a
            // cancel would do.
            child.lock().cancelled = true;
            child.flag.store(true, Ordering::Release);
        } else {
            if st.children.len() >= st.prune_at {
                st.children.retain(|c| c.strong_count() > 0);
                st.prune_at = (st.children.len() * 2).max(16);
            }
            st.children.push(Arc::downgrade(&child));
        }
        CancellationToken { node: child }
    }

    /// Whether cancellation was requested (on this token or an ancestor).
    pub fn is_cancelled(&self) -> bool {
        self.node.flag.load(Ordering::Acquire)
    }

    /// `Err(Cancelled)` once cancelled, for `?` (C5).
    ///
    /// ```
    /// use looper_asynctask::{CancellationToken, Cancelled};
    /// fn step(token: &CancellationToken) -> Result<u32, Cancelled> {
    ///     token.check()?;
    ///     Ok(1)
    /// }
    /// let token = CancellationToken::new();
    /// assert_eq!(step(&token), Ok(1));
    /// token.cancel().unwrap();
    /// assert_eq!(step(&token).unwrap_err().token(), &token);
    /// ```
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled {
                token: self.clone(),
            })
        } else {
            Ok(())
        }
    }

    /// Cancels this token and its subtree (C1, C2, K2). Returns the panics of
    /// the callbacks that panicked, after all of them ran. A second call
    /// returns `Ok(())` at once.
    pub fn cancel(&self) -> Result<(), CallbackErrors> {
        let mut panics = Vec::new();
        let mut pending = vec![self.node.clone()];
        while let Some(node) = pending.pop() {
            let children = {
                let mut st = node.lock();
                if st.cancelled {
                    continue;
                }
                st.cancelled = true;
                node.flag.store(true, Ordering::Release);
                st.timer_generation += 1;
                // Read under the lock, notified after it: a woken sleeper
                // then finds the lock free instead of blocking on it again
                // (PERFORMANCE target 6). A sleeper registers under the lock
                // before waiting, so none is missed.
                let wake_sleepers = st.sleepers > 0;
                let wakers = std::mem::take(&mut st.wakers);
                let children = std::mem::take(&mut st.children);
                drop(st);
                if wake_sleepers {
                    node.changed.notify_all();
                }
                wakers.into_values().for_each(Waker::wake);
                children
            };
            run_callbacks(&node, &mut panics);
            // Reversed so the first child is cancelled first.
            pending.extend(children.iter().rev().filter_map(Weak::upgrade));
        }
        if panics.is_empty() {
            Ok(())
        } else {
            Err(CallbackErrors { panics })
        }
    }

    /// Runs `callback` when the token is cancelled, on the cancelling thread;
    /// at once, inline, if it already is (C3). Dropping the returned
    /// [`Registration`] unregisters it; call [`Registration::detach`] to keep
    /// it for the token's lifetime.
    ///
    /// A panic in an inline callback unwinds to the caller, as calling it
    /// directly would.
    pub fn register(&self, callback: impl FnOnce() + Send + 'static) -> Registration {
        let mut st = self.node.lock();
        if st.cancelled {
            drop(st);
            callback();
            return Registration::inert();
        }
        st.next_id += 1;
        let id = st.next_id;
        st.callbacks.insert(id, Box::new(callback));
        Registration {
            node: Arc::downgrade(&self.node),
            id,
        }
    }

    /// Blocks until the token is cancelled (K3's synchronous form).
    pub fn wait(&self) {
        let mut st = self.node.lock();
        while !st.cancelled {
            st.sleepers += 1;
            st = sync::wait(&self.node.changed, st);
            st.sleepers -= 1;
        }
    }

    /// Blocks until the token is cancelled or `timeout` passes; returns
    /// whether it was cancelled.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        if self.is_cancelled() {
            return true;
        }
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            self.wait();
            return true;
        };
        let mut st = self.node.lock();
        while !st.cancelled {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            st.sleepers += 1;
            st = sync::wait_timeout(&self.node.changed, st, deadline - now);
            st.sleepers -= 1;
        }
        true
    }

    /// Runs `f` unless the token is already cancelled; `None` if it was
    /// cancelled before `f` started or by the time `f` returned (then `f`'s
    /// output is dropped). The synchronous analogue of K6.
    ///
    /// ```
    /// use looper_asynctask::CancellationToken;
    /// let token = CancellationToken::new();
    /// assert_eq!(token.run_until_cancelled(|| 5), Some(5));
    /// token.cancel().unwrap();
    /// assert_eq!(token.run_until_cancelled(|| unreachable!()), None::<u32>);
    /// ```
    pub fn run_until_cancelled<T>(&self, f: impl FnOnce() -> T) -> Option<T> {
        if self.is_cancelled() {
            return None;
        }
        let out = f();
        (!self.is_cancelled()).then_some(out)
    }

    /// Polls `fut` until it completes (`Some`) or the token is cancelled
    /// (`None`); `fut` is never polled if the token is already cancelled (K6).
    pub async fn run_until_cancelled_async<F: Future>(&self, fut: F) -> Option<F::Output> {
        let mut fut = std::pin::pin!(fut);
        let mut cancelled = self.cancelled();
        std::future::poll_fn(move |cx| {
            if Pin::new(&mut cancelled).poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            fut.as_mut().poll(cx).map(Some)
        })
        .await
    }

    /// A future that resolves once the token is cancelled: at once if it
    /// already is; cancel-safe; no lost wake-ups (K3).
    pub fn cancelled(&self) -> WaitForCancellation {
        WaitForCancellation {
            token: self.clone(),
            waker_id: None,
        }
    }

    /// Cancels the token after `delay`, on a timer thread; a later call
    /// replaces the earlier one; `Duration::ZERO` cancels now; no effect once
    /// cancelled (C7). Panics in callbacks run by the timer are reported with
    /// `tracing::error!`.
    pub fn cancel_after(&self, delay: Duration) {
        if delay.is_zero() {
            report(self.cancel(), "cancel_after");
            return;
        }
        let generation = {
            let mut st = self.node.lock();
            if st.cancelled {
                return;
            }
            st.timer_generation += 1;
            st.timer_generation
        };
        if let Some(at) = Instant::now().checked_add(delay) {
            crate::timer::schedule(at, generation, Arc::downgrade(&self.node));
        }
    }

    /// Stores (or replaces) a future's waker, under the lock a cancel takes
    /// to take the wakers: `None` if the token is already cancelled.
    pub(crate) fn set_waker(&self, id: Option<u64>, waker: &Waker) -> Option<u64> {
        let mut st = self.node.lock();
        if st.cancelled {
            return None;
        }
        let id = id.unwrap_or_else(|| {
            st.next_id += 1;
            st.next_id
        });
        st.wakers.insert(id, waker.clone());
        Some(id)
    }

    pub(crate) fn remove_waker(&self, id: u64) {
        self.node.lock().wakers.remove(&id);
    }

    /// Disarms a pending [`cancel_after`](Self::cancel_after).
    pub fn clear_cancel_after(&self) {
        self.node.lock().timer_generation += 1;
    }

    /// Fires a `cancel_after` timer if it is still the current one.
    pub(crate) fn fire_timer(node: Arc<Node>, generation: u64) {
        let current = node.lock().timer_generation == generation;
        if current {
            report(CancellationToken { node }.cancel(), "cancel_after");
        }
    }

    /// If the token is not cancelled: drops every registration (they never
    /// run; their `unregister` returns `false`), disarms the timer and returns
    /// `true`. Returns `false` once cancelled (C8).
    pub fn try_reset(&self) -> bool {
        let mut st = self.node.lock();
        if st.cancelled {
            return false;
        }
        st.timer_generation += 1;
        let dropped = std::mem::take(&mut st.callbacks);
        drop(st);
        drop(dropped);
        true
    }

    /// A guard that cancels this token when dropped, unless disarmed (K5).
    ///
    /// ```
    /// use looper_asynctask::CancellationToken;
    /// let token = CancellationToken::new();
    /// drop(token.clone().drop_guard());
    /// assert!(token.is_cancelled());
    /// let other = CancellationToken::new();
    /// let kept = other.clone().drop_guard().disarm();
    /// assert!(!kept.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }
}

/// Runs `node`'s callbacks one at a time, newest first, recording which one
/// runs so a concurrent `Registration` drop can wait for it (C4).
fn run_callbacks(node: &Node, panics: &mut Vec<Box<dyn Any + Send>>) {
    let me = current_thread_id();
    loop {
        let callback = {
            let mut st = node.lock();
            // Only a disposer waiting for the callback that just returned
            // needs this wake-up.
            if st.running.take().is_some() {
                node.notify(&st);
            }
            match st.callbacks.pop_last() {
                Some((id, cb)) => {
                    st.running = Some((id, me));
                    cb
                }
                None => return,
            }
        };
        if let Err(p) = catch_unwind(AssertUnwindSafe(callback)) {
            panics.push(p);
        }
    }
}

/// Logs callback panics that have nobody to return them to.
pub(crate) fn report(result: Result<(), CallbackErrors>, what: &str) {
    if let Err(e) = result {
        tracing::error!(target: "looper_asynctask::token", source = what, "{e}");
    }
}

/// A callback registered with [`CancellationToken::register`]. Dropping it
/// unregisters the callback, waiting for it if it is running on another
/// thread (C4).
#[must_use = "dropping a Registration unregisters the callback; call .detach() to keep it"]
pub struct Registration {
    node: Weak<Node>,
    /// 0 for the inert registration of a callback that already ran.
    id: u64,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("id", &self.id)
            .finish()
    }
}

impl Registration {
    fn inert() -> Registration {
        Registration {
            node: Weak::new(),
            id: 0,
        }
    }

    /// Removes the callback; `true` only if it had not started. Never waits.
    pub fn unregister(mut self) -> bool {
        let node = std::mem::take(&mut self.node);
        match node.upgrade() {
            Some(node) => node.lock().callbacks.remove(&self.id).is_some(),
            None => false,
        }
    }

    /// Keeps the callback registered for the token's lifetime.
    pub fn detach(mut self) {
        self.node = Weak::new();
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(node) = self.node.upgrade() else {
            return;
        };
        let mut st = node.lock();
        if st.callbacks.remove(&self.id).is_some() {
            return;
        }
        let me = current_thread_id();
        // Waiting on the cancelling thread itself would deadlock (C4).
        while matches!(st.running, Some((id, t)) if id == self.id && t != me) {
            st.sleepers += 1;
            st = sync::wait(&node.changed, st);
            st.sleepers -= 1;
        }
    }
}
