//! Sans-IO conversation engine: no sockets, tasks or clocks; time is passed in.
//!
//! Drive it like str0m: call [`Engine::handle_input`] for every event (each carries its
//! [`Instant`]), then drain [`Engine::poll_output`] until it returns [`Output::Timeout`];
//! deliver [`InputKind::Timer`] at that instant if nothing else happens first.
//!
//! Code map: `engine` (state, dispatch, timers, reply lifecycle), `io` (Input/Output
//! types), `turn` (the candidate's turn, STT routing, end-of-turn commit), `endpoint`
//! (end-of-turn delays), `barge_in` (interruption verdicts, duck, false-interruption
//! resume), `echo` (the agent's own voice coming back), `playout` (pacing, TTS chunk spans,
//! what the candidate actually heard), `history`, `text` (sentences, markdown, word classes),
//! `scripted`, `speculate` (replies generated before the turn commits), `conductor` (the
//! interviewer: plan, phases, follow-ups, the end), `llm` (timeouts, retries, apology),
//! `metrics`, `config`, `time`, `ledger` (the session's bookkeeping: stream times of the
//! candidate's audio, the text each stretch of the agent's audio covers, cancelled speeches,
//! turn traces).
//!
//! **Invariant:** in thinking or speaking a wake-up is always pending (the watchdog), and a
//! wake-up is never requested for a deadline that has already been handled.
//! **Invariant:** the history holds only words the candidate heard (playout samples mapped
//! to text through TTS chunk spans, cut back to whole words); interrupted replies are marked.
//! **Invariant:** events for stale LLM requests or TTS speech ids are ignored.
//! **Boundary:** no IO, clocks, tasks, env vars or logging; energy frames, VAD windows and
//! playout progress allocate nothing.

mod barge_in;
pub mod conductor;
mod config;
mod echo;
mod endpoint;
mod engine;
mod history;
mod io;
mod ledger;
mod llm;
mod metrics;
mod playout;
mod scripted;
mod speculate;
pub mod text;
mod time;
mod turn;

pub use barge_in::{Verdict, judge};
pub use config::{BargeInConfig, Config, EchoConfig, EndpointConfig, LlmConfig, TtsConfig};
pub use echo::EchoGuard;
pub use endpoint::endpoint_delay;
pub use engine::Engine;
pub use history::{History, Message, Role};
pub use io::{
    AgentState, Input, InputKind, Mode, Output, RequestId, SegmentId, Side, SpeechId, SttResult,
    TranscriptSegment,
};
pub use ledger::{SpeechLedger, StreamTimes, TurnTrace, TurnTracer};
pub use llm::LLM_FALLBACKS_BEFORE_TEMPLATES;
pub use metrics::TurnMetrics;
pub use scripted::{Question, ScriptedResponder, Utterance};
pub use time::Instant;
