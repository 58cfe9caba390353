//! Helpers shared by the integration tests: a manual-clock looper, an
//! order log, and a tracing capture.
#![allow(dead_code)] // each test file uses a different subset

use looper::{LocalLooper, LooperBuilder, ManualClock};
use std::io;
use std::sync::{Arc, Mutex};

/// A looper on a fresh manual clock, with the slow-dispatch warning off.
pub fn manual_looper() -> (LocalLooper, ManualClock) {
    let clock = ManualClock::new();
    let local = LooperBuilder::new()
        .clock(clock.clone())
        .slow_dispatch_threshold(None)
        .prepare()
        .expect("a fresh test thread has no looper yet");
    (local, clock)
}

/// An ordered record of what ran, shareable with `Send` closures.
#[derive(Clone, Default)]
pub struct Log<T>(Arc<Mutex<Vec<T>>>);

impl<T: Clone + Send + 'static> Log<T> {
    pub fn new() -> Self {
        Log(Arc::new(Mutex::new(Vec::new())))
    }

    pub fn push(&self, v: T) {
        self.0.lock().unwrap().push(v);
    }

    /// A closure that records `v` when it runs.
    pub fn rec(&self, v: T) -> impl FnOnce() + Send + 'static {
        let log = self.clone();
        move || log.push(v)
    }

    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    pub fn get(&self) -> Vec<T> {
        self.0.lock().unwrap().clone()
    }
}

/// A `MakeWriter` collecting formatted tracing output in memory.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Runs `f` with a thread-local subscriber that records every event and
/// every span creation (TRACE and up), and returns what it printed.
pub fn capture_tracing<R>(f: impl FnOnce() -> R) -> (R, String) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::NEW)
        .finish();
    let r = tracing::subscriber::with_default(subscriber, f);
    (r, capture.text())
}
