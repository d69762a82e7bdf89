//! Sample rates, stream positions and the sanitizing of raw samples.
//!
//! Every analysis in this crate runs at [`ANALYSIS_RATE`] (16 kHz). Stream positions are
//! counted in samples at that rate from the first sample pushed, so event timestamps are
//! exact sample indices, not wall-clock readings.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};

/// A sample rate in Hz, known to be non-zero and at most 384 kHz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SampleRate(NonZeroU32);

impl SampleRate {
    /// 16 kHz, the rate every analysis runs at.
    pub const HZ_16000: Self = Self(NonZeroU32::new(16_000).expect("16000 is non-zero"));
    /// 48 kHz, the rate WebRTC audio arrives at.
    pub const HZ_48000: Self = Self(NonZeroU32::new(48_000).expect("48000 is non-zero"));

    /// Parses a rate in Hz; zero and absurd rates are rejected.
    pub fn new(hz: u32) -> Result<Self> {
        match NonZeroU32::new(hz) {
            Some(nz) if hz <= 384_000 => Ok(Self(nz)),
            _ => Err(Error::UnsupportedRate(hz)),
        }
    }

    /// The rate in Hz.
    pub fn hz(self) -> u32 {
        self.0.get()
    }

    /// How many samples `ms` milliseconds hold at this rate (rounded down).
    pub fn samples_in_ms(self, ms: u32) -> usize {
        (u64::from(self.hz()) * u64::from(ms) / 1000) as usize
    }
}

/// The rate of every analysis (gate, Silero, pitch, prosody).
pub const ANALYSIS_RATE: SampleRate = SampleRate::HZ_16000;

/// Samples in one 20 ms analysis frame at [`ANALYSIS_RATE`].
pub const FRAME_SAMPLES: usize = 320;

/// A position in the analysed stream: a sample index at [`ANALYSIS_RATE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(transparent)]
pub struct SamplePos(pub u64);

impl SamplePos {
    /// The position in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / f64::from(ANALYSIS_RATE.hz())
    }

    /// The position as a duration since the start of the stream.
    pub fn as_duration(self) -> Duration {
        Duration::from_secs_f64(self.as_secs_f64())
    }

    /// The position of a duration since the start of the stream (rounded down).
    pub fn from_duration(d: Duration) -> Self {
        Self((d.as_secs_f64() * f64::from(ANALYSIS_RATE.hz())) as u64)
    }

    /// This position moved back by `samples`, never before the start.
    pub fn saturating_sub(self, samples: u64) -> Self {
        Self(self.0.saturating_sub(samples))
    }
}

/// Makes one raw sample safe: NaN becomes 0, everything else is clamped to [-1, 1].
#[inline]
pub fn sanitize(sample: f32) -> f32 {
    if sample.is_nan() {
        0.0
    } else {
        sample.clamp(-1.0, 1.0)
    }
}

/// Copies `input` into `out` (same length) through [`sanitize`].
pub fn sanitize_into(input: &[f32], out: &mut [f32]) {
    for (o, &i) in out.iter_mut().zip(input) {
        *o = sanitize(i);
    }
}

/// Converts a sanitized sample to 16-bit PCM.
#[inline]
pub fn to_i16(sample: f32) -> i16 {
    (sanitize(sample) * 32767.0) as i16
}
