//! Speech rate and pauses from the audio.
//!
//! Syllables are counted as peaks of the frame-energy envelope (in dB) inside speech: a
//! peak counts when the envelope has risen at least `prominence_db` above the valley before
//! it and then fallen the same amount, the frame at the peak was voiced (had an F0) and it
//! stands clear of the noise floor. Vowels are voiced energy maxima; fricatives are not
//! voiced, so they do not count. Pauses are the gaps between speech segments.

use serde::Serialize;

use crate::frame::SamplePos;

/// Tuning of the syllable counter and pause classification.
#[derive(Debug, Clone, PartialEq)]
pub struct ProsodyConfig {
    /// Rise and fall (dB) that make an envelope peak a syllable nucleus.
    pub prominence_db: f32,
    /// Minimum time between two nuclei.
    pub min_syllable_gap_ms: u32,
    /// Peaks must be this far above the noise floor (dB).
    pub min_above_floor_db: f32,
    /// Pauses at least this long count as long pauses.
    pub long_pause_ms: u32,
    /// Average syllables per English word, to estimate words per minute without a transcript.
    pub syllables_per_word: f32,
}

impl Default for ProsodyConfig {
    fn default() -> Self {
        Self {
            prominence_db: 3.0,
            min_syllable_gap_ms: 70,
            min_above_floor_db: 12.0,
            long_pause_ms: 2000,
            syllables_per_word: 1.4,
        }
    }
}

/// The energy envelope syllables are counted on: the 16 kHz signal band-limited to the
/// vowel formant region (about 300-2500 Hz, one-pole filters) in 10 ms hops, in dB.
#[derive(Debug, Clone, Default)]
pub struct BandEnvelope {
    hp_prev_in: f32,
    hp_prev_out: f32,
    lp_prev: f32,
}

const HP_COEF: f32 = 0.889; // exp(-2 pi 300 / 16000)
const LP_COEF: f32 = 0.374; // exp(-2 pi 2500 / 16000)

impl BandEnvelope {
    /// The band energy (dB) of each 10 ms half of a 20 ms frame at 16 kHz.
    pub fn push(&mut self, frame: &[f32]) -> [f32; 2] {
        let half = frame.len() / 2;
        let mut out = [crate::volume::FLOOR_DBFS; 2];
        for (slot, part) in out.iter_mut().zip(frame.chunks(half.max(1))) {
            let mut energy = 0.0_f32;
            for &raw in part {
                let x = crate::frame::sanitize(raw);
                let hp = HP_COEF * (self.hp_prev_out + x - self.hp_prev_in);
                self.hp_prev_in = x;
                self.hp_prev_out = hp;
                self.lp_prev = hp + LP_COEF * (self.lp_prev - hp);
                energy += self.lp_prev * self.lp_prev;
            }
            let rms = (energy / part.len().max(1) as f32).sqrt();
            *slot = crate::volume::to_dbfs(rms);
        }
        if !out.iter().all(|v| v.is_finite()) || !self.lp_prev.is_finite() {
            *self = Self::default();
            return [crate::volume::FLOOR_DBFS; 2];
        }
        out
    }
}

/// One frame's input to the prosody tracker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProsodyFrame {
    /// Where the frame starts.
    pub at: SamplePos,
    /// Frame RMS in dBFS.
    pub rms_dbfs: f32,
    /// Whether the frame had an F0.
    pub voiced: bool,
    /// Whether the VAD considers speech in progress.
    pub speaking: bool,
    /// The current noise floor estimate in dBFS.
    pub noise_floor_dbfs: f32,
}

/// Streaming syllable-nucleus counter.
#[derive(Debug, Clone)]
pub struct SyllableCounter {
    prominence_db: f32,
    min_gap: u64,
    min_above_floor_db: f32,
    rising: bool,
    extreme_db: f32,
    valley_db: f32,
    peak: Option<(SamplePos, bool, f32)>,
    last_syllable: Option<SamplePos>,
    smoothed: Option<f32>,
    count: u64,
}

impl SyllableCounter {
    /// A counter with the given tuning.
    pub fn new(config: &ProsodyConfig) -> Self {
        Self {
            prominence_db: config.prominence_db,
            min_gap: crate::frame::ANALYSIS_RATE.samples_in_ms(config.min_syllable_gap_ms) as u64,
            min_above_floor_db: config.min_above_floor_db,
            rising: false,
            extreme_db: f32::MAX,
            valley_db: f32::MAX,
            peak: None,
            last_syllable: None,
            smoothed: None,
            count: 0,
        }
    }

    /// Feeds one frame; returns true when it confirmed a syllable nucleus.
    pub fn push(&mut self, frame: &ProsodyFrame) -> bool {
        let raw = if frame.rms_dbfs.is_finite() {
            frame.rms_dbfs
        } else {
            crate::volume::FLOOR_DBFS
        };
        let env = match self.smoothed {
            Some(s) => 0.5 * (s + raw),
            None => raw,
        };
        self.smoothed = Some(env);
        if !frame.speaking {
            self.rising = false;
            self.extreme_db = env;
            self.valley_db = env;
            self.peak = None;
            return false;
        }
        if self.rising {
            if env >= self.extreme_db {
                self.extreme_db = env;
                self.peak = Some((frame.at, frame.voiced, frame.noise_floor_dbfs));
            } else if env <= self.extreme_db - self.prominence_db {
                let counted = self.confirm_peak();
                self.rising = false;
                self.extreme_db = env;
                return counted;
            } else if let Some(peak) = self.peak.as_mut() {
                peak.1 |= frame.voiced;
            }
        } else if env <= self.extreme_db {
            self.extreme_db = env;
        } else if env >= self.extreme_db + self.prominence_db {
            self.valley_db = self.extreme_db;
            self.rising = true;
            self.extreme_db = env;
            self.peak = Some((frame.at, frame.voiced, frame.noise_floor_dbfs));
        }
        false
    }

    /// Nuclei counted so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    fn confirm_peak(&mut self) -> bool {
        let Some((at, voiced, floor)) = self.peak.take() else {
            return false;
        };
        let clear =
            self.extreme_db - floor.max(crate::volume::FLOOR_DBFS) >= self.min_above_floor_db;
        let prominent = self.extreme_db - self.valley_db >= self.prominence_db;
        let spaced = self
            .last_syllable
            .is_none_or(|last| at.0.saturating_sub(last.0) >= self.min_gap);
        if voiced && clear && prominent && spaced {
            self.last_syllable = Some(at);
            self.count += 1;
            true
        } else {
            false
        }
    }
}

/// A stretch of speech between a start and an end event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// First sample of speech.
    pub start: SamplePos,
    /// First sample after the speech.
    pub end: SamplePos,
}

impl Segment {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.end.0.saturating_sub(self.start.0) as f64 / f64::from(crate::frame::ANALYSIS_RATE.hz())
    }
}

/// Pause statistics over a list of speech segments.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Pauses {
    /// Seconds of speech.
    pub speech_seconds: f64,
    /// Seconds between the first start and the last end that are not speech.
    pub pause_seconds: f64,
    /// `pause_seconds / (speech_seconds + pause_seconds)`, 0 without speech.
    pub pause_ratio: f64,
    /// Pauses at least the long-pause length.
    pub long_pauses: u32,
    /// The longest pause in seconds.
    pub longest_pause_seconds: f64,
}

impl Pauses {
    /// Pause statistics of ordered, non-overlapping segments.
    pub fn of(segments: &[Segment], long_pause_ms: u32) -> Self {
        let mut out = Self::default();
        let long = f64::from(long_pause_ms) / 1000.0;
        for (i, seg) in segments.iter().enumerate() {
            out.speech_seconds += seg.seconds();
            if let Some(prev) = i.checked_sub(1).and_then(|p| segments.get(p)) {
                let gap = Segment {
                    start: prev.end,
                    end: seg.start,
                }
                .seconds();
                out.pause_seconds += gap;
                out.longest_pause_seconds = out.longest_pause_seconds.max(gap);
                out.long_pauses += u32::from(gap >= long);
            }
        }
        let total = out.speech_seconds + out.pause_seconds;
        out.pause_ratio = if total > 0.0 {
            out.pause_seconds / total
        } else {
            0.0
        };
        out
    }
}
