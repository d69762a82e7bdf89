//! What an answer or interview sounded like: a per-second timeline and a summary.
//!
//! [`AudioFeatures`] has the shape of the report's `audio_features` (speech_rate in words
//! per minute, pause_ratio, filler_word_ratio, pitch_variance in Hz²); [`Details`] carries
//! the measurements behind it. Values that cannot be known (no speech, no transcript) are
//! `None` and serialize as `null`.

use serde::Serialize;

use crate::nudge::Observation;
use crate::prosody::{Pauses, Segment};
use crate::volume::{FLOOR_DBFS, to_dbfs};

/// The report's `audio_features`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioFeatures {
    /// Words per minute of speech time (from the transcript if given, else estimated from
    /// syllables).
    pub speech_rate: Option<f64>,
    /// Share of pause time between the first and last speech.
    pub pause_ratio: f64,
    /// Fillers per word; `None` without a transcript.
    pub filler_word_ratio: Option<f64>,
    /// Variance of F0 over voiced speech frames, in Hz².
    pub pitch_variance: Option<f64>,
}

/// The measurements behind [`AudioFeatures`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Details {
    /// "transcript" or "audio": where `speech_rate` came from.
    pub speech_rate_source: &'static str,
    /// Syllable nuclei counted in the audio.
    pub syllables: u64,
    /// Syllables per second of speech time.
    pub syllables_per_second: Option<f64>,
    /// Words in the transcript.
    pub words: Option<u32>,
    /// Filler words in the transcript.
    pub fillers: Option<u32>,
    /// Mean F0 of voiced speech frames.
    pub pitch_mean_hz: Option<f64>,
    /// Pause statistics.
    pub pauses: Pauses,
    /// Length of the analysed audio.
    pub total_seconds: f64,
    /// Average speech level in dBFS.
    pub speech_dbfs: Option<f32>,
    /// Noise floor in dBFS.
    pub noise_floor_dbfs: Option<f32>,
    /// Speech level minus noise floor.
    pub snr_db: Option<f32>,
    /// Largest sample magnitude in dBFS.
    pub peak_dbfs: f32,
    /// Fraction of clipped samples overall.
    pub clipping_ratio: f32,
    /// 20 ms frames analysed.
    pub frames: u64,
    /// Silero-sized windows completed.
    pub vad_windows: u64,
    /// Windows Silero actually evaluated.
    pub silero_runs: u64,
}

/// A summary of everything pushed so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The report's `audio_features`.
    pub audio_features: AudioFeatures,
    /// The measurements behind them.
    pub details: Details,
    /// Speech segments found by the VAD.
    pub segments: Vec<Segment>,
    /// One point per second.
    pub timeline: Vec<TimelinePoint>,
}

/// One second of audio, for plotting and for the nudge policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimelinePoint {
    /// The second's index from the stream start.
    pub second: u32,
    /// RMS over the second in dBFS.
    pub rms_dbfs: f32,
    /// RMS over speech frames in dBFS, if there were any.
    pub speech_dbfs: Option<f32>,
    /// Largest sample in dBFS.
    pub peak_dbfs: f32,
    /// Fraction of clipped samples.
    pub clipping_ratio: f32,
    /// Fraction of frames in speech.
    pub speech_ratio: f32,
    /// Mean F0 over voiced speech frames.
    pub f0_hz: Option<f32>,
    /// Syllable nuclei in this second.
    pub syllables: u32,
    /// Syllable rate over the last few seconds of speech.
    pub recent_syllables_per_second: Option<f32>,
    /// The noise floor estimate at the second's end (set by the pipeline).
    pub noise_floor_dbfs: Option<f32>,
}

impl TimelinePoint {
    /// The nudge policy's view of this second.
    pub fn observation(&self, answer_expected: bool) -> Observation {
        Observation {
            speaking: self.speech_ratio >= 0.5,
            speech_dbfs: self.speech_dbfs,
            clipping_ratio: self.clipping_ratio,
            syllables_per_second: self.recent_syllables_per_second,
            answer_expected,
            // A second without speech frames, but never above the running noise floor
            // (minimum tracking, slow to rise): a second the VAD did not mark may still
            // hold the onset of an answer, which alone read as a loud background.
            background_dbfs: (self.speech_ratio == 0.0).then(|| {
                self.noise_floor_dbfs
                    .map_or(self.rms_dbfs, |floor| self.rms_dbfs.min(floor))
            }),
        }
    }
}

/// Frames per timeline second.
pub const FRAMES_PER_SECOND: u32 = 50;

/// Seconds in the sliding window of [`TimelinePoint::recent_syllables_per_second`].
const RECENT_SECONDS: usize = 5;

/// Builds [`TimelinePoint`]s from 20 ms frames without allocating.
#[derive(Debug, Clone, Default)]
pub struct SecondAccumulator {
    second: u32,
    frames: u32,
    power: f64,
    speech_frames: u32,
    speech_power: f64,
    peak_dbfs: f32,
    clipping: f64,
    f0_sum: f64,
    f0_count: u32,
    syllables: u32,
    recent: [(u32, u32); RECENT_SECONDS],
}

/// One frame's contribution to the timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameStats {
    /// RMS in dBFS.
    pub rms_dbfs: f32,
    /// Peak in dBFS.
    pub peak_dbfs: f32,
    /// Clipped fraction.
    pub clipping_ratio: f32,
    /// In speech.
    pub speaking: bool,
    /// F0 if voiced speech.
    pub f0_hz: Option<f32>,
    /// Whether a syllable nucleus was confirmed.
    pub syllable: bool,
}

impl SecondAccumulator {
    /// Adds a frame; returns the finished second every [`FRAMES_PER_SECOND`] frames.
    pub fn push(&mut self, f: &FrameStats) -> Option<TimelinePoint> {
        if self.frames == 0 {
            self.peak_dbfs = FLOOR_DBFS;
        }
        let power = db_to_power(f.rms_dbfs);
        self.frames += 1;
        self.power += power;
        self.peak_dbfs = self.peak_dbfs.max(f.peak_dbfs);
        self.clipping += f64::from(f.clipping_ratio);
        if f.speaking {
            self.speech_frames += 1;
            self.speech_power += power;
        }
        if let Some(f0) = f.f0_hz.filter(|v| v.is_finite()) {
            self.f0_sum += f64::from(f0);
            self.f0_count += 1;
        }
        self.syllables += u32::from(f.syllable);
        (self.frames >= FRAMES_PER_SECOND).then(|| self.finish_second())
    }

    fn finish_second(&mut self) -> TimelinePoint {
        let frames = f64::from(self.frames.max(1));
        self.recent.rotate_left(1);
        self.recent[RECENT_SECONDS - 1] = (self.syllables, self.speech_frames);
        let (syl, speech): (u32, u32) = self
            .recent
            .iter()
            .fold((0, 0), |acc, r| (acc.0 + r.0, acc.1 + r.1));
        let speech_secs = f64::from(speech) / f64::from(FRAMES_PER_SECOND);
        let point = TimelinePoint {
            second: self.second,
            rms_dbfs: power_to_dbfs(self.power / frames),
            speech_dbfs: (self.speech_frames > 0)
                .then(|| power_to_dbfs(self.speech_power / f64::from(self.speech_frames))),
            peak_dbfs: self.peak_dbfs,
            clipping_ratio: (self.clipping / frames) as f32,
            speech_ratio: (f64::from(self.speech_frames) / frames) as f32,
            f0_hz: (self.f0_count > 0).then(|| (self.f0_sum / f64::from(self.f0_count)) as f32),
            syllables: self.syllables,
            recent_syllables_per_second: (speech_secs >= 2.0)
                .then(|| (f64::from(syl) / speech_secs) as f32),
            noise_floor_dbfs: None,
        };
        let recent = self.recent;
        *self = Self {
            second: self.second.saturating_add(1),
            recent,
            ..Self::default()
        };
        point
    }
}

fn db_to_power(db: f32) -> f64 {
    if db.is_finite() {
        10f64.powf(f64::from(db) / 10.0)
    } else {
        0.0
    }
}

fn power_to_dbfs(power: f64) -> f32 {
    to_dbfs(power.max(0.0).sqrt() as f32)
}
