//! Log lines a test can read: a `tracing` subscriber that writes into memory.
//!
//! `tracing` caches each callsite's interest for the whole process, and a callsite first reached
//! on another thread while this subscriber is being installed can stay disabled for it: a test
//! that asserts on its log lines belongs alone in its test binary.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;

/// Everything logged at DEBUG and above, formatted without colours, on the thread that made it
/// (and on any thread handed that thread's dispatcher), until it is dropped.
pub struct Logs {
    sink: Sink,
    _guard: DefaultGuard,
}

impl Logs {
    /// Becomes this thread's default subscriber.
    pub fn capture() -> Logs {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        Logs {
            sink,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// The lines written so far.
    pub fn text(&self) -> String {
        let bytes = self.sink.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
