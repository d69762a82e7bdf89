//! The cheap first VAD stage: WebRTC's GMM voice detector on every analysis frame.
//!
//! It costs a few microseconds per frame and decides whether the expensive Silero model
//! needs to run at all. It is tuned for recall (it should rarely miss speech); Silero then
//! decides precisely.

use webrtc_vad::{SampleRate as WebRtcRate, Vad, VadMode};

use crate::error::{Error, Result};
use crate::frame::{FRAME_SAMPLES, to_i16};

/// How eagerly the gate calls a frame voiced (WebRTC's modes 0..=3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GateMode {
    /// Mode 0: most frames with any voice-like energy pass. The default, for recall.
    #[default]
    Quality,
    /// Mode 1.
    LowBitrate,
    /// Mode 2.
    Aggressive,
    /// Mode 3: only clear speech passes.
    VeryAggressive,
}

/// The WebRTC voice gate at 16 kHz. Not `Send` (it wraps a C object): keep one per stream
/// on the thread that processes that stream.
pub struct Gate {
    vad: Vad,
    pcm: [i16; 3 * FRAME_SAMPLES / 2],
}

impl Gate {
    /// A gate in the given mode.
    pub fn new(mode: GateMode) -> Self {
        let mode = match mode {
            GateMode::Quality => VadMode::Quality,
            GateMode::LowBitrate => VadMode::LowBitrate,
            GateMode::Aggressive => VadMode::Aggressive,
            GateMode::VeryAggressive => VadMode::VeryAggressive,
        };
        Self {
            vad: Vad::new_with_rate_and_mode(WebRtcRate::Rate16kHz, mode),
            pcm: [0; 3 * FRAME_SAMPLES / 2],
        }
    }

    /// Whether a 10, 20 or 30 ms frame at 16 kHz (160, 320 or 480 samples) may hold speech.
    /// Other lengths are an error; NaN and out-of-range samples are sanitized.
    pub fn is_voiced(&mut self, frame: &[f32]) -> Result<bool> {
        if !matches!(frame.len(), 160 | 320 | 480) {
            return Err(Error::FrameLength {
                expected: FRAME_SAMPLES,
                got: frame.len(),
            });
        }
        let pcm = &mut self.pcm[..frame.len()];
        for (p, &s) in pcm.iter_mut().zip(frame) {
            *p = to_i16(s);
        }
        self.vad
            .is_voice_segment(pcm)
            .map_err(|()| Error::FrameLength {
                expected: FRAME_SAMPLES,
                got: frame.len(),
            })
    }

    /// Forgets the detector's adaptive state.
    pub fn reset(&mut self) {
        self.vad.reset();
    }
}
