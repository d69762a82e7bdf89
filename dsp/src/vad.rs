//! Two-stage voice-activity detection with hysteresis and speech-start/end events.
//!
//! Stage one, the [`Gate`], runs on every 20 ms frame. Stage two, [`Silero`], runs on
//! 32 ms windows only where the gate has seen possible speech nearby; other windows count as
//! probability zero. Windows are scored a short look-ahead after they complete, so a gate
//! that opens late on a soft onset still lets Silero see the onset, and the hangover keeps
//! Silero running through the gate's short dropouts. The [`SpeechDetector`] turns window
//! probabilities into events: speech starts once the probability has stayed at or above the
//! activation threshold for the minimum speech duration, and ends once it has stayed below
//! the (lower) deactivation threshold for the minimum silence duration. Timestamps are
//! sample positions of the window boundaries in the 16 kHz stream.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::frame::{ANALYSIS_RATE, FRAME_SAMPLES, SamplePos};
use crate::gate::{Gate, GateMode};
use crate::silero::{Silero, WINDOW_SAMPLES};

/// Thresholds and durations of the detector.
#[derive(Debug, Clone, PartialEq)]
pub struct VadConfig {
    /// Probability at or above which silence may turn into speech.
    pub activation: f32,
    /// Probability below which speech may turn into silence (hysteresis: below activation).
    pub deactivation: f32,
    /// Speech must last this long before it starts.
    pub min_speech_ms: u32,
    /// Silence must last this long before speech ends.
    pub min_silence_ms: u32,
    /// Audio before the start that consumers should keep (reported in the start event).
    pub prefix_padding_ms: u32,
    /// How long after the gate's last voiced frame Silero keeps running.
    pub gate_hangover_ms: u32,
    /// How long before the gate's first voiced frame Silero starts running; this delays
    /// every event by the same amount (at most 256 ms).
    pub gate_lookahead_ms: u32,
    /// The gate's WebRTC mode.
    pub gate_mode: GateMode,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self {
            activation: 0.5,
            deactivation: 0.35,
            min_speech_ms: 64,
            min_silence_ms: 550,
            prefix_padding_ms: 500,
            gate_hangover_ms: 200,
            gate_lookahead_ms: 96,
            gate_mode: GateMode::Quality,
        }
    }
}

impl VadConfig {
    /// Checks the ranges: 0 <= deactivation <= activation <= 1.
    pub fn validate(&self) -> Result<()> {
        let ok = (0.0..=1.0).contains(&self.activation)
            && (0.0..=1.0).contains(&self.deactivation)
            && self.deactivation <= self.activation
            && self.gate_lookahead_ms <= 256;
        if ok {
            Ok(())
        } else {
            Err(Error::Config(
                "VAD thresholds must satisfy 0 <= deactivation <= activation <= 1 and the look-ahead be at most 256 ms",
            ))
        }
    }
}

/// A change of the speaking state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VadEvent {
    /// Speech started at `at`; consumers should keep audio from `padded_from`.
    SpeechStart {
        /// The first sample of speech.
        at: SamplePos,
        /// `at` minus the prefix padding (never before the stream start).
        padded_from: SamplePos,
    },
    /// Speech that started at `started` ended at `at` (the first sample of silence).
    SpeechEnd {
        /// The first sample after the speech.
        at: SamplePos,
        /// Where this speech started.
        started: SamplePos,
    },
}

/// The hysteresis state machine from window probabilities to events.
#[derive(Debug, Clone)]
pub struct SpeechDetector {
    activation: f32,
    deactivation: f32,
    min_speech: u64,
    min_silence: u64,
    padding: u64,
    speaking: bool,
    /// Start of the current run of speech-like windows while silent, or of speech.
    speech_from: Option<SamplePos>,
    /// Start of the current run of silence-like windows while speaking.
    silence_from: Option<SamplePos>,
}

impl SpeechDetector {
    /// A detector in the silent state.
    pub fn new(config: &VadConfig) -> Result<Self> {
        config.validate()?;
        let samples = |ms: u32| ANALYSIS_RATE.samples_in_ms(ms) as u64;
        Ok(Self {
            activation: config.activation,
            deactivation: config.deactivation,
            min_speech: samples(config.min_speech_ms),
            min_silence: samples(config.min_silence_ms),
            padding: samples(config.prefix_padding_ms),
            speaking: false,
            speech_from: None,
            silence_from: None,
        })
    }

    /// Feeds the probability of the window `[start, end)`; returns an event when the state
    /// changes. NaN counts as zero.
    pub fn push(&mut self, start: SamplePos, end: SamplePos, prob: f32) -> Option<VadEvent> {
        let prob = if prob.is_nan() { 0.0 } else { prob };
        if self.speaking {
            if prob < self.deactivation {
                let from = *self.silence_from.get_or_insert(start);
                if end.0.saturating_sub(from.0) >= self.min_silence {
                    return self.end_at(from);
                }
            } else {
                self.silence_from = None;
            }
        } else if prob >= self.activation {
            let from = *self.speech_from.get_or_insert(start);
            if end.0.saturating_sub(from.0) >= self.min_speech {
                self.speaking = true;
                self.silence_from = None;
                return Some(VadEvent::SpeechStart {
                    at: from,
                    padded_from: from.saturating_sub(self.padding),
                });
            }
        } else {
            self.speech_from = None;
        }
        None
    }

    /// Ends open speech at `end` (the end of the stream), as if silence followed.
    pub fn finish(&mut self, end: SamplePos) -> Option<VadEvent> {
        if self.speaking {
            let at = self.silence_from.unwrap_or(end);
            self.end_at(at)
        } else {
            self.speech_from = None;
            None
        }
    }

    /// Whether speech is in progress.
    pub fn is_speaking(&self) -> bool {
        self.speaking
    }

    fn end_at(&mut self, at: SamplePos) -> Option<VadEvent> {
        let started = self.speech_from.take().unwrap_or(at);
        self.speaking = false;
        self.silence_from = None;
        Some(VadEvent::SpeechEnd { at, started })
    }
}

/// What the two stages said about one 20 ms frame.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FrameVad {
    /// The gate's verdict on this frame.
    pub gate: bool,
    /// Whether Silero ran on the window scored in this frame.
    pub silero_ran: bool,
    /// The probability of the window scored in this frame, if one was.
    pub probability: Option<f32>,
    /// Where that window's audio ended: a look-ahead (and up to a window) before this
    /// frame's end, the time the probability speaks of.
    pub probability_end: SamplePos,
    /// Whether speech is in progress after this frame.
    pub speaking: bool,
    /// The event this frame caused, if any (one frame completes at most one window).
    pub event: Option<VadEvent>,
}

const MAX_PENDING: usize = 9;

/// Gate + Silero + hysteresis over a 16 kHz stream fed in 20 ms frames.
pub struct TwoStageVad {
    gate: Gate,
    silero: Option<Silero>,
    detector: SpeechDetector,
    hangover: u64,
    window: [f32; WINDOW_SAMPLES],
    window_fill: usize,
    /// Completed windows waiting for the look-ahead, oldest at `pending_head`.
    pending: [[f32; WINDOW_SAMPLES]; MAX_PENDING],
    pending_head: usize,
    pending_len: usize,
    lookahead_windows: usize,
    /// Start of the oldest window not yet scored.
    window_start: u64,
    position: u64,
    last_voiced_end: Option<u64>,
    previous_window_ran: bool,
    windows: u64,
    silero_runs: u64,
}

impl TwoStageVad {
    /// A detector using `silero` as the second stage. Without a model the gate's verdicts
    /// (1 or 0 per window) stand in for Silero's probabilities.
    pub fn new(config: &VadConfig, silero: Option<Silero>) -> Result<Self> {
        Ok(Self {
            gate: Gate::new(config.gate_mode),
            silero,
            detector: SpeechDetector::new(config)?,
            hangover: ANALYSIS_RATE.samples_in_ms(config.gate_hangover_ms) as u64,
            window: [0.0; WINDOW_SAMPLES],
            window_fill: 0,
            pending: [[0.0; WINDOW_SAMPLES]; MAX_PENDING],
            pending_head: 0,
            pending_len: 0,
            lookahead_windows: (ANALYSIS_RATE.samples_in_ms(config.gate_lookahead_ms))
                .div_ceil(WINDOW_SAMPLES)
                .min(MAX_PENDING - 1),
            window_start: 0,
            position: 0,
            last_voiced_end: None,
            previous_window_ran: false,
            windows: 0,
            silero_runs: 0,
        })
    }

    /// Processes the next 20 ms frame (320 samples at 16 kHz).
    pub fn push_frame(&mut self, frame: &[f32]) -> Result<FrameVad> {
        if frame.len() != FRAME_SAMPLES {
            return Err(Error::FrameLength {
                expected: FRAME_SAMPLES,
                got: frame.len(),
            });
        }
        let gate = self.gate.is_voiced(frame)?;
        let frame_end = self.position + FRAME_SAMPLES as u64;
        if gate {
            self.last_voiced_end = Some(frame_end);
        }
        let mut out = FrameVad {
            gate,
            ..FrameVad::default()
        };
        let mut rest = frame;
        while !rest.is_empty() {
            let take = rest.len().min(WINDOW_SAMPLES - self.window_fill);
            self.window[self.window_fill..self.window_fill + take].copy_from_slice(&rest[..take]);
            self.window_fill += take;
            rest = &rest[take..];
            if self.window_fill == WINDOW_SAMPLES {
                let slot = (self.pending_head + self.pending_len) % MAX_PENDING;
                self.pending[slot] = self.window;
                self.pending_len += 1;
                self.window_fill = 0;
                if self.pending_len > self.lookahead_windows {
                    let (ran, prob, event) = self.score_oldest()?;
                    out.silero_ran = ran;
                    out.probability = Some(prob);
                    out.probability_end = SamplePos(self.window_start);
                    out.event = event;
                }
            }
        }
        self.position = frame_end;
        out.speaking = self.detector.is_speaking();
        Ok(out)
    }

    /// Scores the windows still waiting for their look-ahead and ends open speech at the
    /// current position (call at the end of a stream). Events go to `on_event` in order.
    pub fn finish(&mut self, mut on_event: impl FnMut(VadEvent)) -> Result<()> {
        while self.pending_len > 0 {
            if let (_, _, Some(event)) = self.score_oldest()? {
                on_event(event);
            }
        }
        if let Some(event) = self.detector.finish(SamplePos(self.position)) {
            on_event(event);
        }
        Ok(())
    }

    /// Whether speech is in progress.
    pub fn is_speaking(&self) -> bool {
        self.detector.is_speaking()
    }

    /// Windows completed so far.
    pub fn windows(&self) -> u64 {
        self.windows
    }

    /// Windows Silero evaluated so far.
    pub fn silero_runs(&self) -> u64 {
        self.silero_runs
    }

    /// Samples processed so far.
    pub fn position(&self) -> SamplePos {
        SamplePos(self.position)
    }

    /// Scores the oldest pending window and feeds the detector.
    fn score_oldest(&mut self) -> Result<(bool, f32, Option<VadEvent>)> {
        let (ran, prob) = self.score_window(self.pending_head)?;
        self.pending_head = (self.pending_head + 1) % MAX_PENDING;
        self.pending_len -= 1;
        let start = SamplePos(self.window_start);
        let end = SamplePos(self.window_start + WINDOW_SAMPLES as u64);
        self.window_start += WINDOW_SAMPLES as u64;
        let event = self.detector.push(start, end, prob);
        Ok((ran, prob, event))
    }

    fn score_window(&mut self, slot: usize) -> Result<(bool, f32)> {
        self.windows += 1;
        let open = self
            .last_voiced_end
            .is_some_and(|end| end + self.hangover > self.window_start);
        if !open {
            self.previous_window_ran = false;
            return Ok((false, 0.0));
        }
        let Some(silero) = self.silero.as_mut() else {
            return Ok((false, 1.0));
        };
        if !self.previous_window_ran {
            silero.reset();
        }
        let prob = silero.probability(&self.pending[slot])?;
        self.previous_window_ran = true;
        self.silero_runs += 1;
        Ok((true, prob))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_probability_says_where_its_window_ended() {
        let config = VadConfig::default();
        let mut vad = TwoStageVad::new(&config, None).expect("default config");
        let look_ahead = Duration::from_millis(u64::from(config.gate_lookahead_ms));
        let window = Duration::from_millis(32);
        let frame = vec![0.0f32; FRAME_SAMPLES];
        let mut scored = 0;
        for _ in 0..100 {
            let out = vad.push_frame(&frame).expect("a 20 ms frame");
            if out.probability.is_some() {
                scored += 1;
                let age = SamplePos(vad.position().0 - out.probability_end.0).as_duration();
                // The window waited for the look-ahead; this frame may have completed a
                // younger one meanwhile.
                assert!(
                    age >= look_ahead && age < look_ahead + window + Duration::from_millis(20),
                    "age {age:?}"
                );
            }
        }
        // 2 s of frames complete 62 windows, all but the look-ahead's 3 scored.
        assert_eq!(scored, 62 - 3);
    }
}
