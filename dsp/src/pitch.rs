//! Fundamental frequency (F0) of voiced frames with the YIN method at 8 kHz.
//!
//! Each 20 ms frame at 16 kHz is halved to 8 kHz with a small low-pass and appended to a
//! 40 ms history. YIN's cumulative-mean-normalized difference function is evaluated over a
//! 20 ms integration window for lags between the configured maximum and minimum F0; the first
//! dip below the threshold, refined by parabolic interpolation, gives the period. Frames
//! without such a dip, or too quiet, are unvoiced.

use crate::error::{Error, Result};
use crate::frame::{FRAME_SAMPLES, sanitize};

/// The rate YIN runs at.
pub const PITCH_RATE: f32 = 8000.0;

const HALF: usize = FRAME_SAMPLES / 2;
const HISTORY: usize = 2 * HALF;
const WINDOW: usize = HALF;
const MAX_LAG: usize = HISTORY - WINDOW;

/// Limits of the pitch search.
#[derive(Debug, Clone, PartialEq)]
pub struct PitchConfig {
    /// Lowest F0 reported (at least 50 Hz: the history holds 20 ms of lags).
    pub min_hz: f32,
    /// Highest F0 reported.
    pub max_hz: f32,
    /// YIN threshold on the normalized difference (lower is stricter).
    pub threshold: f32,
    /// Frames quieter than this RMS (linear) are unvoiced.
    pub min_rms: f32,
}

impl Default for PitchConfig {
    fn default() -> Self {
        Self {
            min_hz: 60.0,
            max_hz: 400.0,
            threshold: 0.2,
            min_rms: 0.003,
        }
    }
}

/// A streaming F0 estimator for 20 ms frames at 16 kHz.
#[derive(Debug, Clone)]
pub struct PitchTracker {
    threshold: f32,
    min_rms: f32,
    min_lag: usize,
    max_lag: usize,
    history: [f32; HISTORY],
    diff: [f32; MAX_LAG + 1],
    previous_sample: f32,
}

impl PitchTracker {
    /// A tracker with the given limits.
    pub fn new(config: &PitchConfig) -> Result<Self> {
        let valid = config.min_hz >= PITCH_RATE / MAX_LAG as f32
            && config.max_hz > config.min_hz
            && config.max_hz <= 1000.0
            && config.threshold > 0.0;
        if !valid {
            return Err(Error::Config(
                "pitch limits must satisfy 50 <= min < max <= 1000 Hz",
            ));
        }
        Ok(Self {
            threshold: config.threshold,
            min_rms: config.min_rms,
            min_lag: (PITCH_RATE / config.max_hz).floor().max(2.0) as usize,
            max_lag: ((PITCH_RATE / config.min_hz).ceil() as usize).min(MAX_LAG - 1),
            history: [0.0; HISTORY],
            diff: [0.0; MAX_LAG + 1],
            previous_sample: 0.0,
        })
    }

    /// Appends a frame of 320 samples at 16 kHz without estimating (keeps the history
    /// continuous on frames that need no pitch).
    pub fn push_history(&mut self, frame: &[f32]) -> Result<()> {
        if frame.len() != FRAME_SAMPLES {
            return Err(Error::FrameLength {
                expected: FRAME_SAMPLES,
                got: frame.len(),
            });
        }
        self.history.copy_within(HALF.., 0);
        let mut prev = self.previous_sample;
        for (i, pair) in frame.chunks_exact(2).enumerate() {
            let (a, b) = (sanitize(pair[0]), sanitize(pair[1]));
            self.history[HALF + i] = 0.25 * prev + 0.5 * a + 0.25 * b;
            prev = b;
        }
        self.previous_sample = prev;
        Ok(())
    }

    /// Appends a frame of 320 samples at 16 kHz and returns its F0 in Hz, or `None` when
    /// the frame is unvoiced.
    pub fn push(&mut self, frame: &[f32]) -> Result<Option<f32>> {
        self.push_history(frame)?;
        Ok(self.estimate())
    }

    fn estimate(&mut self) -> Option<f32> {
        let recent = &self.history[HISTORY - WINDOW..];
        let energy = recent.iter().map(|s| s * s).sum::<f32>() / WINDOW as f32;
        if energy.sqrt() < self.min_rms {
            return None;
        }
        let x = &self.history;
        let mut running = 0.0_f32;
        self.diff[0] = 1.0;
        for lag in 1..=self.max_lag + 1 {
            let d = squared_difference(&x[..WINDOW], &x[lag..lag + WINDOW]);
            running += d;
            self.diff[lag] = if running > 0.0 {
                d * lag as f32 / running
            } else {
                1.0
            };
        }
        let mut lag = self.min_lag;
        while lag <= self.max_lag {
            if self.diff[lag] < self.threshold {
                while lag < self.max_lag && self.diff[lag + 1] < self.diff[lag] {
                    lag += 1;
                }
                let period = refine(&self.diff, lag);
                let f0 = PITCH_RATE / period;
                return f0.is_finite().then_some(f0);
            }
            lag += 1;
        }
        None
    }
}

/// Σ (a - b)² with eight independent accumulators, so the compiler can vectorize it.
fn squared_difference(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0_f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (ca, cb) in a8.zip(b8) {
        for k in 0..8 {
            let d = ca[k] - cb[k];
            acc[k] += d * d;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Parabolic interpolation of the minimum around `lag`.
fn refine(diff: &[f32], lag: usize) -> f32 {
    let (a, b, c) = (diff[lag - 1], diff[lag], diff[lag + 1]);
    let denom = a - 2.0 * b + c;
    if denom.abs() < 1e-9 {
        return lag as f32;
    }
    let shift = (0.5 * (a - c) / denom).clamp(-0.5, 0.5);
    lag as f32 + shift
}

/// Running mean and variance of F0 (Welford), in Hz and Hz².
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PitchStats {
    count: u64,
    mean: f64,
    m2: f64,
}

impl PitchStats {
    /// Adds one voiced frame's F0.
    pub fn push(&mut self, f0: f32) {
        if !f0.is_finite() {
            return;
        }
        self.count += 1;
        let x = f64::from(f0);
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Voiced frames seen.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean F0 in Hz, once a voiced frame has been seen.
    pub fn mean_hz(&self) -> Option<f32> {
        (self.count > 0).then_some(self.mean as f32)
    }

    /// Population variance of F0 in Hz², once two voiced frames have been seen.
    pub fn variance_hz2(&self) -> Option<f32> {
        (self.count > 1).then_some((self.m2 / self.count as f64) as f32)
    }
}
