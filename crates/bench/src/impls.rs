//! The implementations under test, behind one small trait.
//!
//! Every implementation is "a thread that runs posted closures": the looper
//! runs [`looper::LocalLooper::run`]; each channel peer runs a receive loop
//! that calls the boxed closures it receives. A benchmark is written once,
//! generic over [`Exec`], so every implementation does the same work per
//! message: one boxed closure allocated by the poster, moved across threads,
//! called and freed by the loop thread.

use std::sync::mpsc::sync_channel;
use std::thread::{self, JoinHandle};

/// A boxed closure as the channel peers carry it.
pub type Task = Box<dyn FnOnce() + Send + 'static>;

/// What the channel peers carry: a closure to run, or the order to stop.
pub enum Msg {
    /// Run this closure on the loop thread.
    Run(Task),
    /// Leave the receive loop.
    Stop,
}

/// An event loop on its own thread that runs closures posted from anywhere.
pub trait Exec: Clone + Send + 'static {
    /// Starts the loop on a new thread, pinned to `core` if given.
    fn spawn(core: Option<usize>) -> Running<Self>;

    /// Posts `f` to run on the loop thread (boxing it exactly once).
    fn post<F: FnOnce() + Send + 'static>(&self, f: F);
}

/// A started loop: the handle to post with, and how to stop it.
pub struct Running<E> {
    /// The posting handle.
    pub exec: E,
    stop: Option<Box<dyn FnOnce() + Send>>,
}

impl<E> Running<E> {
    /// Stops the loop and joins its thread.
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

impl<E> Drop for Running<E> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

/// Pins the calling thread to CPU `core` (an index into the allowed CPUs).
pub fn pin(core: Option<usize>) {
    if let Some(core) = core {
        let ids = core_affinity::get_core_ids().unwrap_or_default();
        if let Some(id) = ids.get(core % ids.len().max(1)) {
            core_affinity::set_for_current(*id);
        }
    }
}

/// Spawns a named thread pinned to `core`; `body` sends back the posting
/// handle once the loop is ready to receive, then runs the loop.
fn spawn_loop<E, B>(name: &str, core: Option<usize>, body: B) -> (E, JoinHandle<()>)
where
    E: Send + 'static,
    B: FnOnce(std::sync::mpsc::SyncSender<E>) + Send + 'static,
{
    let (tx, rx) = sync_channel(1);
    let join = thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            pin(core);
            body(tx);
        })
        .expect("spawn a loop thread");
    let exec = rx.recv().expect("loop thread reports ready");
    (exec, join)
}

fn stopper(
    send_stop: impl FnOnce() + Send + 'static,
    join: JoinHandle<()>,
) -> Option<Box<dyn FnOnce() + Send>> {
    Some(Box::new(move || {
        send_stop();
        join.join().expect("loop thread exits cleanly");
    }))
}

/// Starts a looper thread built with `spin_before_park(spin)`; returns its
/// handle and the stopper.
fn spawn_looper(
    core: Option<usize>,
    spin: bool,
) -> (looper::Looper, Option<Box<dyn FnOnce() + Send>>) {
    let (looper, join) = spawn_loop("looper", core, move |tx| {
        let local = looper::LooperBuilder::new()
            .spin_before_park(spin)
            .prepare()
            .expect("fresh thread has no looper");
        tx.send(local.looper()).expect("spawner waits");
        local.run();
    });
    let handle = looper.clone();
    let stop = stopper(
        move || {
            let _ = handle.quit();
        },
        join,
    );
    (looper, stop)
}

#[inline]
fn looper_post<F: FnOnce() + Send + 'static>(looper: &looper::Looper, f: F) {
    // A benchmark never posts after quit; a rejection would be a bench bug.
    if looper.post(f).is_err() {
        panic!("looper rejected a post during a benchmark");
    }
}

/// `looper::Looper::post` into a thread running `LocalLooper::run`
/// (default settings: spin briefly before parking).
#[derive(Clone)]
pub struct LooperExec(pub looper::Looper);

impl Exec for LooperExec {
    fn spawn(core: Option<usize>) -> Running<Self> {
        let (looper, stop) = spawn_looper(core, true);
        Running {
            exec: LooperExec(looper),
            stop,
        }
    }

    #[inline]
    fn post<F: FnOnce() + Send + 'static>(&self, f: F) {
        looper_post(&self.0, f);
    }
}

/// As [`LooperExec`], built with `spin_before_park(false)`.
#[derive(Clone)]
pub struct LooperNoSpinExec(pub looper::Looper);

impl Exec for LooperNoSpinExec {
    fn spawn(core: Option<usize>) -> Running<Self> {
        let (looper, stop) = spawn_looper(core, false);
        Running {
            exec: LooperNoSpinExec(looper),
            stop,
        }
    }

    #[inline]
    fn post<F: FnOnce() + Send + 'static>(&self, f: F) {
        looper_post(&self.0, f);
    }
}

macro_rules! channel_exec {
    ($ty:ident, $name:literal, $sender:ty, $make:expr, $recv_loop:expr) => {
        /// A receive loop over this channel that calls each boxed closure.
        #[derive(Clone)]
        pub struct $ty(pub $sender);

        impl Exec for $ty {
            fn spawn(core: Option<usize>) -> Running<Self> {
                let (tx, rx) = $make;
                let (exec, join) = spawn_loop($name, core, move |ready| {
                    ready.send($ty(tx)).expect("spawner waits");
                    #[allow(clippy::redundant_closure_call)]
                    ($recv_loop)(rx);
                });
                let tx = exec.0.clone();
                Running {
                    exec,
                    stop: stopper(move || drop(tx.send(Msg::Stop)), join),
                }
            }

            #[inline]
            fn post<F: FnOnce() + Send + 'static>(&self, f: F) {
                if self.0.send(Msg::Run(Box::new(f))).is_err() {
                    panic!(concat!($name, " receiver gone during a benchmark"));
                }
            }
        }
    };
}

channel_exec!(
    CrossbeamExec,
    "crossbeam-channel",
    crossbeam_channel::Sender<Msg>,
    crossbeam_channel::unbounded::<Msg>(),
    |rx: crossbeam_channel::Receiver<Msg>| {
        while let Ok(Msg::Run(f)) = rx.recv() {
            f();
        }
    }
);

channel_exec!(
    StdExec,
    "std mpsc",
    std::sync::mpsc::Sender<Msg>,
    std::sync::mpsc::channel::<Msg>(),
    |rx: std::sync::mpsc::Receiver<Msg>| {
        while let Ok(Msg::Run(f)) = rx.recv() {
            f();
        }
    }
);

channel_exec!(
    FlumeExec,
    "flume",
    flume::Sender<Msg>,
    flume::unbounded::<Msg>(),
    |rx: flume::Receiver<Msg>| {
        while let Ok(Msg::Run(f)) = rx.recv() {
            f();
        }
    }
);

channel_exec!(
    TokioExec,
    "tokio current_thread+mpsc",
    tokio::sync::mpsc::UnboundedSender<Msg>,
    tokio::sync::mpsc::unbounded_channel::<Msg>(),
    |mut rx: tokio::sync::mpsc::UnboundedReceiver<Msg>| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("tokio runtime");
        rt.block_on(async move {
            while let Some(Msg::Run(f)) = rx.recv().await {
                f();
            }
        });
    }
);

channel_exec!(
    CalloopExec,
    "calloop channel",
    calloop::channel::Sender<Msg>,
    calloop::channel::channel::<Msg>(),
    |rx: calloop::channel::Channel<Msg>| {
        let mut event_loop: calloop::EventLoop<'static, calloop::LoopSignal> =
            calloop::EventLoop::try_new().expect("calloop event loop");
        let mut signal = event_loop.get_signal();
        let inserted =
            event_loop
                .handle()
                .insert_source(
                    rx,
                    |event, _, signal: &mut calloop::LoopSignal| match event {
                        calloop::channel::Event::Msg(Msg::Run(f)) => f(),
                        _ => signal.stop(),
                    },
                );
        assert!(inserted.is_ok(), "calloop accepts the channel source");
        event_loop
            .run(None, &mut signal, |_| {})
            .expect("calloop loop runs");
    }
);

/// `looper_handler::Handler::post` into a thread running `LocalLooper::run`.
#[cfg(feature = "handler")]
#[derive(Clone)]
pub struct HandlerExec(pub looper_handler::Handler);

#[cfg(feature = "handler")]
impl Exec for HandlerExec {
    fn spawn(core: Option<usize>) -> Running<Self> {
        let (exec, join) = spawn_loop("handler", core, |tx| {
            let local = looper::Looper::prepare().expect("fresh thread has no looper");
            tx.send(HandlerExec(looper_handler::Handler::new(&local.looper())))
                .expect("spawner waits");
            local.run();
        });
        let looper = exec.0.looper().clone();
        Running {
            exec,
            stop: stopper(
                move || {
                    let _ = looper.quit();
                },
                join,
            ),
        }
    }

    #[inline]
    fn post<F: FnOnce() + Send + 'static>(&self, f: F) {
        if self.0.post(f).is_err() {
            panic!("handler rejected a post during a benchmark");
        }
    }
}
