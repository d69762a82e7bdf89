//! Loudness of the raw input: RMS in dBFS, peak, clipping, noise floor and SNR.
//!
//! Measured on the samples as they arrive, before resampling or any gain control, so the
//! numbers describe the candidate's microphone. RMS is taken after removing the frame's mean,
//! so a DC offset does not read as loudness; the peak is of the raw samples. The noise floor
//! and speech level are slow averages of frame energy over frames the VAD calls silence and
//! speech respectively.

use serde::Serialize;

use crate::frame::sanitize;

/// The level reported for digital silence.
pub const FLOOR_DBFS: f32 = -120.0;

/// Samples at or above this magnitude count as clipped.
pub const CLIP_LEVEL: f32 = 0.999;

/// Converts a linear amplitude to dBFS (20 log10), floored at [`FLOOR_DBFS`].
pub fn to_dbfs(amplitude: f32) -> f32 {
    if amplitude.is_nan() || amplitude <= 1e-6 {
        FLOOR_DBFS
    } else {
        (20.0 * amplitude.log10()).max(FLOOR_DBFS)
    }
}

/// The loudness of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Volume {
    /// RMS of the frame (mean removed) in dBFS.
    pub rms_dbfs: f32,
    /// Largest sample magnitude in dBFS.
    pub peak_dbfs: f32,
    /// Fraction of samples at or above [`CLIP_LEVEL`].
    pub clipping_ratio: f32,
}

impl Volume {
    /// Measures one frame; empty frames read as silence. NaN samples count as zero and
    /// infinities as full scale.
    pub fn measure(frame: &[f32]) -> Self {
        if frame.is_empty() {
            return Self {
                rms_dbfs: FLOOR_DBFS,
                peak_dbfs: FLOOR_DBFS,
                clipping_ratio: 0.0,
            };
        }
        let n = frame.len() as f64;
        let (mut sum, mut sum_sq, mut peak, mut clipped) = (0.0_f64, 0.0_f64, 0.0_f32, 0_usize);
        for &raw in frame {
            let s = sanitize(raw);
            let a = s.abs();
            peak = peak.max(a);
            clipped += usize::from(a >= CLIP_LEVEL);
            sum += f64::from(s);
            sum_sq += f64::from(s) * f64::from(s);
        }
        let mean = sum / n;
        let variance = (sum_sq / n - mean * mean).max(0.0);
        Self {
            rms_dbfs: to_dbfs(variance.sqrt() as f32),
            peak_dbfs: to_dbfs(peak),
            clipping_ratio: (clipped as f64 / n) as f32,
        }
    }
}

/// Running estimates of noise floor and speech level. The noise floor follows quiet
/// non-speech frames quickly and louder ones slowly (minimum tracking in dB), so speech
/// leaking into "silence" frames barely moves it.
#[derive(Debug, Clone, Default)]
pub struct LevelTracker {
    noise_db: Option<f64>,
    speech_power: Option<f64>,
}

/// Weight of each new frame in the slow averages (about 1 s at 20 ms frames).
const SMOOTHING: f64 = 0.02;

impl LevelTracker {
    /// Adds one frame's RMS (in dBFS), classified as speech or not.
    pub fn push(&mut self, rms_dbfs: f32, speech: bool) {
        let db = if rms_dbfs.is_finite() {
            f64::from(rms_dbfs.max(FLOOR_DBFS))
        } else {
            f64::from(FLOOR_DBFS)
        };
        if speech {
            let power = 10f64.powf(db / 10.0);
            self.speech_power = Some(match self.speech_power {
                None => power,
                Some(p) => p + SMOOTHING * (power - p),
            });
        } else {
            self.noise_db = Some(match self.noise_db {
                None => db,
                Some(n) if db < n => n + 0.3 * (db - n),
                Some(n) => n + 0.2 * SMOOTHING * (db - n),
            });
        }
    }

    /// The noise floor in dBFS, once a silent frame has been seen.
    pub fn noise_floor_dbfs(&self) -> Option<f32> {
        self.noise_db.map(|n| n as f32)
    }

    /// The speech level in dBFS, once a speech frame has been seen.
    pub fn speech_level_dbfs(&self) -> Option<f32> {
        self.speech_power.map(power_to_db)
    }

    /// Speech level minus noise floor, once both are known.
    pub fn snr_db(&self) -> Option<f32> {
        Some(self.speech_level_dbfs()? - self.noise_floor_dbfs()?)
    }
}

fn power_to_db(power: f64) -> f32 {
    if power <= 1e-12 {
        FLOOR_DBFS
    } else {
        ((10.0 * power.log10()) as f32).max(FLOOR_DBFS)
    }
}
