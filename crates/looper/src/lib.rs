//! A single-threaded event loop with a time-ordered message queue: the
//! Android `Looper`/`MessageQueue` pair for Rust, with the thread rules
//! enforced by the compiler.
//!
//! A thread *prepares* a looper and gets a [`LocalLooper`], which only that
//! thread can hold; it runs the loop ([`LocalLooper::run`]) or lets a host
//! loop pump it ([`LocalLooper::pump`]). Any thread holding the `Send`
//! handle [`Looper`] can post closures to it, delayed, at an instant or at
//! the front, remove them by [`Token`], and quit it.
//!
//! ```
//! use looper::Looper;
//! use std::time::Duration;
//!
//! let local = Looper::prepare().unwrap();
//! let looper = local.looper();
//!
//! std::thread::spawn(move || {
//!     looper.post(|| println!("1: from another thread")).unwrap();
//!     let handle = looper.clone();
//!     looper
//!         .post_delayed(move || handle.quit().unwrap(), Duration::from_millis(5))
//!         .unwrap();
//! });
//! local.run(); // returns once the delayed quit ran
//! ```
//!
//! # The queue contract
//!
//! * Messages run in due-time order; equal due times run in post order (Q2).
//! * Front posts run before everything else, last-in first-out (Q3).
//! * A removal (by [`Token`] or predicate) is effective when it returns.
//! * After quit, every post fails with [`Rejected`], which hands the job
//!   back (L9); `quit` drops all pending jobs, `quit_safely` only those not
//!   yet due (L8).
//! * Delays too long to represent (`Duration::MAX`) make a job that is never
//!   due; instants in the past are due at once, in order of that instant
//!   (distinguished down to about 146 years before the looper was created).
//! * When the looper's thread exits, the looper quits: pending jobs are
//!   dropped and later posts are rejected with the job handed back.
//! * Insert and removal by token are O(log n) or better with any number of
//!   pending jobs: there is no sorted-list insert.
//!
//! # Embedding in a host loop
//!
//! GUI toolkits and game loops own their main loop. Pump the looper from it:
//! [`LocalLooper::pump`] dispatches what is due within a [`Budget`] and
//! returns [`Next`], the instant to wake at; a wake hook
//! ([`LooperBuilder::wake_hook`]) tells the sleeping host that another thread
//! posted.
//!
//! # Time
//!
//! Every due time is read from the looper's [`Clock`]. Tests use a
//! [`ManualClock`], which never moves by itself, to test delays without
//! sleeping.
//!
//! # Panics in messages
//!
//! By default a panic unwinds out of `run`/`pump` with the rest of the queue
//! intact, and the looper can be run again ([`PanicPolicy::Propagate`], L7).
//! [`PanicPolicy::CatchAndLog`] reports it through `tracing` and continues.
//!
//! # Observability
//!
//! Each dispatch runs inside a `looper.dispatch` trace span carrying the
//! looper id, the sequence number and the queue delay; a dispatch slower than
//! the threshold set with [`LooperBuilder::slow_dispatch_threshold`] logs a
//! warning; [`Looper::dump`] lists what is pending.
//!
//! # Features
//!
//! * `test-util`: helpers for tests that drive a looper on a manual clock
//!   (the [`testing`] module: `run_due`, `run_one`, `advance_by`,
//!   `advance_to_next`, `run_until_idle` on [`LocalLooper`]), and
//!   `Looper::clear_main_for_test`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod builder;
mod clock;
mod dump;
mod error;
mod idle;
mod job;
mod local;
mod looper;
mod pump;
mod queue;
mod shared;
#[cfg(feature = "test-util")]
pub mod testing;

pub use builder::LooperBuilder;
pub use clock::{Clock, ClockWaker, ManualClock, SystemClock};
pub use dump::{Due, Dump, DumpEntry};
pub use error::{BarrierError, LooperError, Rejected};
pub use job::{BarrierToken, Dispatch, Job, Schedule, Token};
pub use local::{run_current, LocalLooper, LocalRejected};
pub use looper::{IdleHandlerId, Looper};
pub use pump::{Budget, Next, Pump};
pub use shared::PanicPolicy;
#[cfg(feature = "test-util")]
pub use testing::{StepError, RUNAWAY_LIMIT};
