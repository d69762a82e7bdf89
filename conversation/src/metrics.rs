//! Per-turn latency records.

use std::time::Duration;

use crate::Instant;

/// Latencies of one agent turn. Missing values mean the stage did not happen (no candidate
/// speech before the opening line, no LLM for scripted replies, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TurnMetrics {
    pub turn: u32,
    /// When the candidate's speech ended (VAD).
    pub speech_end: Option<Instant>,
    /// Speech end -> end-of-turn decision.
    pub end_of_turn_delay: Option<Duration>,
    /// Speech end -> STT final.
    pub stt_final_delay: Option<Duration>,
    /// LLM request -> first token (last attempt).
    pub llm_ttft: Option<Duration>,
    /// First speak request -> first TTS audio.
    pub tts_ttfb: Option<Duration>,
    /// Speech end -> first agent audio published.
    pub end_to_end: Option<Duration>,
    pub llm_attempts: u32,
    pub interrupted: bool,
    /// The reply was generated before the turn committed (a speculation that was used).
    pub speculative: bool,
    /// Speculative generations discarded during the candidate's turn before this reply.
    pub wasted_generations: u32,
}

#[derive(Debug, Default)]
pub(crate) struct TurnClock {
    pub metrics: TurnMetrics,
    pub llm_started: Option<Instant>,
    pub first_speak: Option<Instant>,
    pub first_audio: Option<Instant>,
}

impl TurnClock {
    pub fn llm_started(&mut self, at: Instant) {
        self.llm_started = Some(at);
        self.metrics.llm_attempts = self.metrics.llm_attempts.saturating_add(1);
    }

    pub fn first_token(&mut self, at: Instant) {
        if let (Some(s), None) = (self.llm_started, self.metrics.llm_ttft) {
            self.metrics.llm_ttft = Some(at.saturating_since(s));
        }
    }

    pub fn spoke(&mut self, at: Instant) {
        self.first_speak.get_or_insert(at);
    }

    pub fn tts_byte(&mut self, at: Instant) {
        if let (Some(s), None) = (self.first_speak, self.metrics.tts_ttfb) {
            self.metrics.tts_ttfb = Some(at.saturating_since(s));
        }
    }

    /// Records the first published agent audio; true the first time.
    pub fn audio(&mut self, at: Instant) -> bool {
        if self.first_audio.is_some() {
            return false;
        }
        self.first_audio = Some(at);
        if let Some(end) = self.metrics.speech_end {
            self.metrics.end_to_end = Some(at.saturating_since(end));
        }
        true
    }
}
