//! Speech to text behind one vendor-neutral streaming interface.
//!
//! A [`SpeechToText`] opens an [`SttStream`] per candidate: linear16 mono audio in, and
//! [`SttEvent`]s out (interim and final [`Transcript`]s with word timings and confidence,
//! speech-start and utterance-end, reconnects, the end of the stream). The session shell
//! sees only these types. Three implementations:
//!
//! - [`live`]: Deepgram's live WebSocket ([`deepgram`] holds its wire messages), with the
//!   reconnect [`replay`] ring.
//! - [`sphinx`]: the local, offline recognizer (Debian's pocketsphinx, loaded at run time),
//!   on a thread of its own per stream.
//! - [`transcribe`]: an OpenAI-compatible `/v1/audio/transcriptions` server (self-hosted
//!   Whisper servers speak it), one request per speech segment.

pub mod deepgram;
pub mod live;
pub mod replay;
pub mod sphinx;
pub mod transcribe;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use tokio::sync::mpsc;

use crate::ProviderError;

pub use live::LiveConfig;

/// A recognised word; times in seconds since the stream began.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub word: String,
    pub start: f64,
    pub end: f64,
    /// 0..=1; 1 where the recognizer gives none.
    pub confidence: f32,
}

/// One result: interim (may still change) or final (this stretch of audio is settled).
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    pub words: Vec<Word>,
    pub is_final: bool,
    /// The recognizer also judged the speaker to have stopped.
    pub speech_final: bool,
    /// Seconds since the stream began at which the covered audio starts.
    pub start: f64,
    pub duration: f64,
    /// 0..=1; 1 where the recognizer gives none.
    pub confidence: f32,
}

/// What a stream reports.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SttEvent {
    Transcript(Transcript),
    /// The recognizer heard speech begin at `at` seconds.
    SpeechStarted {
        at: f64,
    },
    /// The recognizer judged an utterance over; its last word ended at `last_word_end`.
    UtteranceEnd {
        last_word_end: f64,
    },
    /// A new connection replaced a broken one; `replayed_samples` were resent.
    Reconnected {
        reconnects: u32,
        replayed_samples: usize,
    },
    /// The stream ended after [`SttStream::close`] (`error: None`), or the recognizer gave
    /// up (`error` says why).
    Closed {
        error: Option<String>,
    },
}

/// What the owner of a stream asks of its driver.
#[derive(Debug)]
pub enum SttCommand {
    /// Linear16 mono samples at the stream's rate.
    Audio(Vec<i16>),
    /// Settle the audio sent so far into a final result.
    Finalize,
    /// Finish: the last results, then [`SttEvent::Closed`].
    Close,
}

/// A handle on one recognition stream; dropping it ends the stream.
#[derive(Debug)]
pub struct SttStream {
    commands: mpsc::UnboundedSender<SttCommand>,
    events: mpsc::UnboundedReceiver<SttEvent>,
}

/// The driver's side of a stream: commands in, events out.
#[derive(Debug)]
pub struct SttDriver {
    pub commands: mpsc::UnboundedReceiver<SttCommand>,
    pub events: mpsc::UnboundedSender<SttEvent>,
}

impl SttStream {
    /// A connected pair: the handle and the driver's side.
    pub fn pair() -> (Self, SttDriver) {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::unbounded_channel();
        (
            Self { commands, events },
            SttDriver {
                commands: command_rx,
                events: event_tx,
            },
        )
    }

    /// Queues samples; never blocks.
    pub fn send_audio(&self, samples: &[i16]) {
        let _ = self.commands.send(SttCommand::Audio(samples.to_vec()));
    }

    /// Asks for a final result for the audio sent so far.
    pub fn finalize(&self) {
        let _ = self.commands.send(SttCommand::Finalize);
    }

    /// Asks for the last results and then [`SttEvent::Closed`].
    pub fn close(&self) {
        let _ = self.commands.send(SttCommand::Close);
    }

    /// The next event; `None` once the driver has ended.
    pub async fn next_event(&mut self) -> Option<SttEvent> {
        self.events.recv().await
    }
}

/// A boxed future, for the object-safe trait below.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A speech recognizer: opens one stream per candidate.
pub trait SpeechToText: Send + Sync + fmt::Debug {
    /// A short name for logs and errors (`deepgram`, `pocketsphinx`, `transcriptions`).
    fn name(&self) -> &'static str;

    /// Starts a stream of `sample_rate` linear16 mono audio in `language` (ISO 639-1),
    /// on the current tokio runtime.
    fn open(&self, sample_rate: u32, language: Option<&str>) -> SttStream;

    /// Checks that the recognizer can work: reachable and the key accepted, or the local
    /// model loaded. Run once at worker start.
    fn check(&self) -> BoxFuture<'_, Result<(), ProviderError>>;
}
