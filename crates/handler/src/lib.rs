//! Handler, Message, HandlerThread and typed channels: how every thread
//! talks to a looper.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod channel;

pub use channel::{channel, ChannelBuilder, SendError, Sender};
