//! Pure, synchronous signal processing for candidate audio. No tokio, no IO, no clocks.
//!
//! The agent creates one [`pipeline::Pipeline`] per candidate stream, pushes the samples it
//! receives (48 kHz from WebRTC, any slice length) and drains [`pipeline::Output`]s: speech
//! start and end events with sample-accurate positions, and one timeline point per second.
//! The timeline points feed the [`nudge::NudgePolicy`], which is given the time as an
//! argument. At the end of an answer or interview, [`pipeline::Pipeline::summary`] gives the
//! report's `audio_features` plus the timeline.
//!
//! Modules, in the order audio flows through them:
//! - [`frame`]: sample rates, stream positions (16 kHz sample indices), sanitizing.
//! - [`volume`]: RMS, peak, clipping, noise floor and SNR on the raw input.
//! - [`resample`]: 48 kHz to 16 kHz with rubato, allocation-free per chunk.
//! - [`gate`]: the cheap WebRTC voice gate on every 20 ms frame.
//! - [`silero`]: the Silero model through ONNX Runtime, loaded from caller-given paths.
//! - [`vad`]: gate + Silero + hysteresis into speech-start and speech-end events.
//! - [`pitch`]: F0 of voiced frames (YIN) and its variance.
//! - [`prosody`]: syllable nuclei, speech segments and pauses.
//! - [`filler`]: filler words in a transcript.
//! - [`summary`]: the per-second timeline and the summary types (serde at this boundary).
//! - [`nudge`]: the coaching policy in fake time.
//! - [`pipeline`]: all of the above for one stream.
//!
//! Invariants: garbage samples (NaN, infinities, out of range) are sanitized, never an error
//! and never a panic; wrong frame lengths are [`Error::FrameLength`]; all buffers are
//! allocated in constructors and the per-frame path allocates nothing except inside ONNX
//! Runtime; nothing here reads environment variables, files other than the ones passed in,
//! or the clock.
#![forbid(unsafe_code)]

pub mod error;
pub mod filler;
pub mod frame;
pub mod gate;
pub mod nudge;
pub mod pipeline;
pub mod pitch;
pub mod prosody;
pub mod resample;
pub mod silero;
pub mod summary;
pub mod vad;
pub mod volume;

pub use error::{Error, Result};
