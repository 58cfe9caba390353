//! [`HandlerThread`]: a named thread running its own looper (T1-T3).
//!
//! # Guarantees
//!
//! * [`HandlerThread::spawn`] returns once the looper exists (and, for
//!   [`HandlerThreadBuilder::spawn_with`], once the prepare callback
//!   returned), so [`looper`](HandlerThread::looper) and
//!   [`handler`](HandlerThread::handler) never block (T2 adapted).
//! * After the loop exits (quit, or a panic unwinding out of it),
//!   [`looper`](HandlerThread::looper) and
//!   [`thread_id`](HandlerThread::thread_id) return `None` and
//!   [`quit`](HandlerThread::quit) returns `false` (T3).
//! * [`join`](HandlerThread::join) returns a panic on the thread as an
//!   error value; it never re-panics in the caller.
//! * Dropping a `HandlerThread` detaches the thread, which keeps running
//!   its loop for the handlers still pointing at it: quit it first.

use crate::handler::Handler;
use looper::{LocalLooper, Looper, LooperBuilder, LooperError};
use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, ThreadId};

/// A thread with its own looper and a handler for it (Android's
/// `HandlerThread`).
///
/// ```
/// use looper_handler::HandlerThread;
///
/// let thread = HandlerThread::spawn("io").unwrap();
/// let answer = thread.handler().run_sync(|| 6 * 7, None).unwrap();
/// assert_eq!(answer, 42);
/// assert!(thread.quit_safely());
/// thread.join().unwrap();
/// ```
pub struct HandlerThread {
    name: String,
    handler: Handler,
    thread_id: ThreadId,
    alive: Arc<AtomicBool>,
    join: JoinHandle<()>,
}

impl fmt::Debug for HandlerThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerThread")
            .field("name", &self.name)
            .field("alive", &self.alive.load(Ordering::Acquire))
            .field("handler", &self.handler)
            .finish()
    }
}

/// Configures a [`HandlerThread`] before spawning it.
///
/// ```
/// use looper::{LooperBuilder, PanicPolicy};
/// let thread = looper_handler::HandlerThread::builder("render")
///     .looper(LooperBuilder::new().panic_policy(PanicPolicy::CatchAndLog))
///     .spawn()
///     .unwrap();
/// assert_eq!(thread.name(), "render");
/// thread.quit();
/// thread.join().unwrap();
/// ```
#[derive(Debug)]
pub struct HandlerThreadBuilder {
    name: String,
    looper: LooperBuilder,
}

/// Clears `alive` however the thread's body ends, unwinding included.
struct AliveGuard(Arc<AtomicBool>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl HandlerThreadBuilder {
    /// Sets how the thread's looper is built (clock, panic policy, ...).
    /// The looper is always named after the thread.
    ///
    /// ```
    /// let clock = looper::ManualClock::new();
    /// let thread = looper_handler::HandlerThread::builder("timed")
    ///     .looper(looper::LooperBuilder::new().clock(clock.clone()))
    ///     .spawn()
    ///     .unwrap();
    /// assert_eq!(thread.looper().unwrap().name(), Some("timed"));
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn looper(mut self, looper: LooperBuilder) -> Self {
        self.looper = looper;
        self
    }

    /// Spawns the thread; returns once its looper exists.
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::builder("bg").spawn().unwrap();
    /// assert!(thread.looper().is_some());
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn spawn(self) -> Result<HandlerThread, SpawnError> {
        self.spawn_with(|_| ()).map(|(thread, ())| thread)
    }

    /// Spawns the thread and runs `on_looper_prepared` on it before the loop
    /// starts (T1); returns once that callback returned, with its value.
    /// The callback may build handlers with `!Send` callbacks there and
    /// return their `Send` handles.
    ///
    /// ```
    /// use looper_handler::{Handler, HandlerThread};
    /// use std::{cell::Cell, rc::Rc};
    ///
    /// let (thread, counter) = HandlerThread::builder("counter")
    ///     .spawn_with(|local| {
    ///         let count = Rc::new(Cell::new(0)); // lives on the new thread
    ///         Handler::builder(local)
    ///             .handle_message(move |m| count.set(count.get() + m.arg1))
    ///             .build()
    ///     })
    ///     .unwrap();
    /// counter.send_message(counter.obtain_message(0).args(5, 0)).unwrap();
    /// thread.quit_safely();
    /// thread.join().unwrap();
    /// ```
    pub fn spawn_with<T, F>(self, on_looper_prepared: F) -> Result<(HandlerThread, T), SpawnError>
    where
        T: Send + 'static,
        F: FnOnce(&LocalLooper) -> T + Send + 'static,
    {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let alive = Arc::new(AtomicBool::new(true));
        let guard = AliveGuard(alive.clone());
        let looper = self.looper.name(self.name.clone());
        let join = std::thread::Builder::new()
            .name(self.name.clone())
            .spawn(move || {
                let _guard = guard;
                let local = match looper.prepare() {
                    Ok(local) => local,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let value = on_looper_prepared(&local);
                if tx.send(Ok((local.looper(), value))).is_err() {
                    return;
                }
                drop(tx);
                local.run();
            })
            .map_err(SpawnError::Io)?;
        let ready = rx.recv();
        let (looper, value) = match ready {
            Ok(Ok(ready)) => ready,
            Ok(Err(e)) => {
                let _ = join.join();
                return Err(SpawnError::Looper(e));
            }
            // The sender died unsent: the prepare callback panicked.
            Err(_) => {
                let message = match join.join() {
                    Err(panic) => panic_text(&*panic),
                    Ok(()) => "the thread ended before its looper was ready".to_string(),
                };
                return Err(SpawnError::Panicked(message));
            }
        };
        let handler =
            Handler::from_parts(looper.clone(), false, Some(self.name.clone().into()), None);
        Ok((
            HandlerThread {
                name: self.name,
                handler,
                thread_id: looper.thread_id(),
                alive,
                join,
            },
            value,
        ))
    }
}

impl HandlerThread {
    /// Spawns a thread named `name` running a looper; returns once the
    /// looper exists (T1, T2).
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("net").unwrap();
    /// let name = thread.handler().run_sync(|| std::thread::current().name().map(String::from), None);
    /// assert_eq!(name.unwrap().as_deref(), Some("net"));
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn spawn(name: impl Into<String>) -> Result<HandlerThread, SpawnError> {
        HandlerThread::builder(name).spawn()
    }

    /// Starts configuring a thread named `name`.
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::builder("x").spawn().unwrap();
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn builder(name: impl Into<String>) -> HandlerThreadBuilder {
        HandlerThreadBuilder {
            name: name.into(),
            looper: LooperBuilder::new(),
        }
    }

    /// The thread's name.
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("named").unwrap();
    /// assert_eq!(thread.name(), "named");
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A handler (without callbacks) for the thread's looper, named after
    /// the thread. It stays usable after the thread exits; posts then fail.
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("h").unwrap();
    /// assert_eq!(thread.handler().name(), Some("h"));
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn handler(&self) -> &Handler {
        &self.handler
    }

    /// The thread's looper, or `None` once its loop has exited (T2).
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("l").unwrap();
    /// assert!(thread.looper().is_some());
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn looper(&self) -> Option<Looper> {
        self.is_alive().then(|| self.handler.looper().clone())
    }

    /// The thread's id, or `None` once its loop has exited (T3).
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("t").unwrap();
    /// assert!(thread.thread_id().is_some());
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn thread_id(&self) -> Option<ThreadId> {
        self.is_alive().then_some(self.thread_id)
    }

    /// Whether the thread's loop is still running.
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("a").unwrap();
    /// assert!(thread.is_alive());
    /// thread.quit();
    /// thread.join().unwrap();
    /// ```
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// Quits the looper, dropping what is pending (T3, L8); `false` if the
    /// loop had already exited.
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("q").unwrap();
    /// assert!(thread.quit());
    /// thread.join().unwrap();
    /// ```
    pub fn quit(&self) -> bool {
        self.is_alive() && self.handler.looper().quit().is_ok()
    }

    /// Quits the looper after delivering what is already due (T3, L8);
    /// `false` if the loop had already exited.
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("qs").unwrap();
    /// assert!(thread.quit_safely());
    /// thread.join().unwrap();
    /// ```
    pub fn quit_safely(&self) -> bool {
        self.is_alive() && self.handler.looper().quit_safely().is_ok()
    }

    /// Waits for the thread to finish. A panic that ended it comes back as
    /// [`JoinError`], never re-raised here.
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("j").unwrap();
    /// thread.handler().post(|| panic!("boom")).unwrap();
    /// let err = thread.join().unwrap_err();
    /// assert_eq!(err.message(), "boom");
    /// ```
    pub fn join(self) -> Result<(), JoinError> {
        self.join.join().map_err(|panic| JoinError {
            message: panic_text(&*panic),
            payload: panic,
        })
    }
}

/// Why [`HandlerThread::spawn`] failed.
///
/// ```
/// let err = looper_handler::HandlerThread::builder("p")
///     .spawn_with(|_| -> () { panic!("bad setup") })
///     .unwrap_err();
/// assert_eq!(err.to_string(), "the handler thread panicked while starting: bad setup");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SpawnError {
    /// The OS refused to start the thread.
    Io(std::io::Error),
    /// The looper could not be prepared on the new thread.
    Looper(LooperError),
    /// The prepare callback panicked; the panic's message.
    Panicked(String),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::Io(e) => write!(f, "could not spawn the handler thread: {e}"),
            SpawnError::Looper(e) => {
                write!(f, "could not prepare the handler thread's looper: {e}")
            }
            SpawnError::Panicked(m) => write!(f, "the handler thread panicked while starting: {m}"),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpawnError::Io(e) => Some(e),
            SpawnError::Looper(e) => Some(e),
            SpawnError::Panicked(_) => None,
        }
    }
}

/// A [`HandlerThread`] ended by a panic.
///
/// ```
/// let thread = looper_handler::HandlerThread::spawn("e").unwrap();
/// thread.handler().post(|| panic!("oops")).unwrap();
/// let err = thread.join().unwrap_err();
/// assert_eq!(err.to_string(), "the handler thread panicked: oops");
/// let payload = err.into_panic(); // e.g. for std::panic::resume_unwind
/// assert_eq!(payload.downcast_ref::<&str>(), Some(&"oops"));
/// ```
pub struct JoinError {
    message: String,
    payload: Box<dyn Any + Send>,
}

impl JoinError {
    /// The panic's message (or a placeholder for non-string payloads).
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("m").unwrap();
    /// thread.handler().post(|| panic!("{}", 42)).unwrap();
    /// assert_eq!(thread.join().unwrap_err().message(), "42");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind`.
    ///
    /// ```
    /// let thread = looper_handler::HandlerThread::spawn("p").unwrap();
    /// thread.handler().post(|| std::panic::panic_any(7u8)).unwrap();
    /// let payload = thread.join().unwrap_err().into_panic();
    /// assert_eq!(payload.downcast_ref::<u8>(), Some(&7));
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinError")
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the handler thread panicked: {}", self.message)
    }
}

impl std::error::Error for JoinError {}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
