//! The interview voice session: the thin async shell that wires a [`RoomTransport`], the
//! dsp pipeline (VAD), Deepgram live STT, the sans-IO [`conversation::Engine`], an LLM (or
//! the scripted responder) and a TTS voice, with the outbound queue flushed on barge-in.
//!
//! Code map: `shell` (the one `select!` loop and the engine's outputs), `listen` (the dsp
//! thread and stream-position clock mapping), `speak` (ordered synthesis, resampling to
//! 48 kHz, text spans of audio), `playout` (frames between voice and transport, progress
//! back to the engine), `think` (LLM requests), `transcript` (`lk.transcription` and
//! `lk.agent.state`), `delivery` (timeline, summary and nudges in the wire contract's
//! terms; nudges go to the room on `interviewer.nudge`), `config` (clap options), `runner` ([`VoiceRunner`] for the worker),
//! `interview` (`agent interview`).
//!
//! **Boundary:** the clock is read in `shell` only, and it is tokio's (so tests can pause
//! it); the engine receives time as input. Every other dependency is a seam: the room
//! ([`RoomTransport`]), the recognizer, the LLM and the voice (provider traits in
//! [`VoiceConfig`]), and the dsp thread ([`DspMode`]).
//! **Invariant:** the transport's queue holds at most [`playout::AHEAD_FRAMES`] frames of
//! the agent's voice, so a flush silences the agent within one pacer tick and ducking acts
//! within 200 ms.
//!
//! [`RoomTransport`]: crate::transport::RoomTransport

pub mod brief;
mod config;
mod delivery;
pub mod interview;
mod listen;
pub mod playout;
pub mod runner;
mod shell;
mod speak;
mod think;
mod transcript;

use std::sync::Arc;
use std::time::Duration;

use contract::delivery::{DeliveryPoint, DeliverySummary, NudgeMessage};
use conversation::{Message, TurnMetrics};

use crate::metrics::VoiceMetrics;

pub use config::{VoiceArgs, VoiceConfig};
pub use conversation::TurnTrace;
pub use listen::{DspMode, SileroPaths};
pub use runner::{PROVIDER_DOWN, PROVIDER_DOWN_ES, VoiceRunner};
pub use shell::run;
pub use speak::synthesize_all;

/// Receives each message of the conversation as it enters the history.
pub type MessageHook = Arc<dyn Fn(&Message) + Send + Sync>;
/// Receives each second of the candidate's delivery timeline.
pub type SecondHook = Arc<dyn Fn(&DeliveryPoint) + Send + Sync>;
/// Receives each nudge as it is sent to the room.
pub type NudgeHook = Arc<dyn Fn(&NudgeMessage) + Send + Sync>;
/// Receives what the conductor decided that the host records (phase, consent, the end).
pub type EventHook = Arc<dyn Fn(&conversation::conductor::Event) + Send + Sync>;

/// What the session reports to its host besides the room.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Per-turn latency histograms.
    pub metrics: Option<VoiceMetrics>,
    /// Called for every candidate frame with whether it was handled late.
    pub on_frame: Option<Arc<dyn Fn(bool) + Send + Sync>>,
    /// Called once for every message as it enters the history (the candidate's turn when
    /// it is committed, the agent's once it was played, holding only the words heard).
    pub on_message: Option<MessageHook>,
    /// Called with every second of the candidate's delivery timeline.
    pub on_second: Option<SecondHook>,
    /// Called with every nudge as it is sent to the room.
    pub on_nudge: Option<NudgeHook>,
    /// Called with every conductor event.
    pub on_event: Option<EventHook>,
}

/// What happened in a finished session.
#[derive(Debug, Clone, Default)]
pub struct SessionReport {
    /// The conversation as heard (interrupted agent turns hold only the words played).
    pub history: Vec<Message>,
    /// Latencies of every agent turn.
    pub turns: Vec<TurnMetrics>,
    /// How long each duck of the agent's voice lasted.
    pub ducks: Vec<Duration>,
    /// When (since the session started) the agent's audio was flushed.
    pub flushes: Vec<Duration>,
    /// When each candidate turn could have been known to be over, and when the reply's
    /// first audio reached the transport.
    pub traces: Vec<TurnTrace>,
    /// Candidate frames handled, and how many of them late.
    pub frames: u64,
    pub late_frames: u64,
    /// Nudges sent to the room, in order.
    pub nudges: Vec<NudgeMessage>,
    /// How the candidate sounded over the whole session (`None` if the dsp thread failed).
    pub delivery: Option<DeliverySummary>,
    /// Why the session ended.
    pub ending: Ending,
    /// What failed, when it ended [`Ending::ProviderFailed`].
    pub failure: Option<String>,
    /// The agent's audio track, once published.
    pub agent_track: String,
    /// The identity of the candidate the session listened to, once known.
    pub candidate: Option<String>,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ending {
    /// The closing words were said: the interview is over.
    Finished,
    /// The candidate left the room.
    CandidateLeft,
    /// The room closed under the agent.
    RoomClosed,
    /// The host cancelled it (drain deadline, job terminated).
    #[default]
    Cancelled,
    /// A provider stayed down (the speech recognizer gave up reconnecting): the interview
    /// cannot go on.
    ProviderFailed,
}

/// Why a session could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The dsp thread could not be started.
    #[error("cannot start the dsp thread: {0}")]
    Thread(std::io::Error),
    /// The transport refused the agent's audio.
    #[error(transparent)]
    Transport(#[from] crate::transport::TransportError),
}
