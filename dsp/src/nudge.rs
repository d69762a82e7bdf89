//! The coaching nudge policy: a pure state machine in fake time.
//!
//! It is fed one [`Observation`] per second with the current time, and answers with at most
//! one [`Nudge`]. Each condition (too quiet, too loud or clipping, too fast) turns on only
//! after it has held for `sustain` seconds of speech, a noisy background after
//! `noise_sustain` seconds, and each turns off only once the measure crosses back over a
//! separate release threshold (hysteresis); a condition nudges once per turn-on. A long
//! silence nudges once per expected answer. Across all kinds, nudges are at
//! least `cooldown` apart; a condition that turns on during the cooldown nudges when it ends
//! if it still holds.

use std::time::Duration;

use serde::Serialize;

/// A coaching hint for the candidate.
/// Serialized with the wire contract's names (`too_quiet`, `too_loud`, `too_fast`,
/// `long_silence`, `noisy_background`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Nudge {
    /// Speech is too quiet.
    #[serde(rename = "too_quiet")]
    SpeakUp,
    /// Speech is too loud or clipping.
    TooLoud,
    /// Speech is too fast.
    #[serde(rename = "too_fast")]
    SlowDown,
    /// No speech for a long time while an answer is expected.
    LongSilence,
    /// The background noise is close to the speech level.
    NoisyBackground,
}

impl Nudge {
    /// A short text to show the candidate.
    pub fn message(self) -> &'static str {
        match self {
            Nudge::SpeakUp => "Speak up a bit?",
            Nudge::TooLoud => "You're a little loud; maybe move back from the mic?",
            Nudge::SlowDown => "Take your time: a slightly slower pace is easier to follow.",
            Nudge::LongSilence => "Take your time. Would you like the question repeated?",
            Nudge::NoisyBackground => {
                "There's a lot of background noise; a quieter spot would help."
            }
        }
    }
}

/// Every threshold of the policy.
#[derive(Debug, Clone, PartialEq)]
pub struct NudgeConfig {
    /// Speech level (dBFS) below which speech is too quiet.
    pub quiet_on_dbfs: f32,
    /// Speech level above which "too quiet" is released.
    pub quiet_off_dbfs: f32,
    /// Speech level above which speech is too loud.
    pub loud_on_dbfs: f32,
    /// Speech level below which "too loud" is released.
    pub loud_off_dbfs: f32,
    /// Clipping ratio above which speech is too loud.
    pub clip_on_ratio: f32,
    /// Clipping ratio below which clipping is released.
    pub clip_off_ratio: f32,
    /// Syllables per second above which speech is too fast.
    pub fast_on_sps: f32,
    /// Syllables per second below which "too fast" is released.
    pub fast_off_sps: f32,
    /// Background level (dBFS) above which the background is noisy whatever the speech
    /// level.
    pub noisy_floor_on_dbfs: f32,
    /// Background level below which a noisy background may be released.
    pub noisy_floor_off_dbfs: f32,
    /// Speech-to-noise ratio (dB) below which speech is drowned by the background.
    pub snr_on_db: f32,
    /// Speech-to-noise ratio above which a noisy background may be released.
    pub snr_off_db: f32,
    /// Seconds of speech a condition must hold before it nudges.
    pub sustain: Duration,
    /// Seconds a noisy background must hold before it nudges.
    pub noise_sustain: Duration,
    /// Silence while an answer is expected before nudging.
    pub long_silence: Duration,
    /// Minimum time between any two nudges.
    pub cooldown: Duration,
}

impl Default for NudgeConfig {
    fn default() -> Self {
        Self {
            quiet_on_dbfs: -38.0,
            quiet_off_dbfs: -33.0,
            loud_on_dbfs: -6.0,
            loud_off_dbfs: -10.0,
            clip_on_ratio: 0.01,
            clip_off_ratio: 0.002,
            fast_on_sps: 5.5,
            fast_off_sps: 4.8,
            noisy_floor_on_dbfs: -35.0,
            noisy_floor_off_dbfs: -42.0,
            snr_on_db: 10.0,
            snr_off_db: 15.0,
            // Two speaking seconds: with one-second observations a nudge comes at most 3 s
            // after the condition starts.
            sustain: Duration::from_secs(2),
            noise_sustain: Duration::from_secs(5),
            long_silence: Duration::from_secs(12),
            cooldown: Duration::from_secs(20),
        }
    }
}

/// What the audio looked like over the last second.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Observation {
    /// Whether the candidate spoke during most of the second.
    pub speaking: bool,
    /// RMS of the speech frames in dBFS, if there were any.
    pub speech_dbfs: Option<f32>,
    /// Fraction of clipped samples.
    pub clipping_ratio: f32,
    /// Recent syllable rate, when enough speech has been heard.
    pub syllables_per_second: Option<f32>,
    /// Whether the interviewer is waiting for an answer.
    pub answer_expected: bool,
    /// The level of a second without any speech (dBFS): the background as it is, not an
    /// estimate that speech can leak into. `None` when the second had speech.
    pub background_dbfs: Option<f32>,
}

/// The policy's state.
#[derive(Debug, Clone)]
pub struct NudgePolicy {
    config: NudgeConfig,
    quiet: Condition,
    loud: Condition,
    fast: Condition,
    noisy: Condition,
    /// The latest level of a second without speech.
    background: Option<f32>,
    silent_since: Option<Duration>,
    silence_nudged: bool,
    last_nudge: Option<Duration>,
}

impl NudgePolicy {
    /// A policy with no history.
    pub fn new(config: NudgeConfig) -> Self {
        Self {
            config,
            quiet: Condition::default(),
            loud: Condition::default(),
            fast: Condition::default(),
            noisy: Condition::default(),
            background: None,
            silent_since: None,
            silence_nudged: false,
            last_nudge: None,
        }
    }

    /// Feeds the observation for the second ending at `now`; returns the nudge to show, if
    /// any. `now` must not go backwards (a smaller value is treated as no time passing).
    pub fn observe(&mut self, now: Duration, obs: &Observation) -> Option<Nudge> {
        let c = &self.config;
        let step = Duration::from_secs(1);
        let level = obs.speech_dbfs.filter(|l| l.is_finite());
        let clip = if obs.clipping_ratio.is_finite() {
            obs.clipping_ratio
        } else {
            0.0
        };
        let rate = obs.syllables_per_second.filter(|r| r.is_finite());
        if obs.speaking {
            self.quiet.update(
                level.map(|l| l < c.quiet_on_dbfs),
                level.map(|l| l > c.quiet_off_dbfs),
                step,
                c.sustain,
            );
            let loud_on = level.is_some_and(|l| l > c.loud_on_dbfs) || clip > c.clip_on_ratio;
            let loud_off = level.is_none_or(|l| l < c.loud_off_dbfs) && clip < c.clip_off_ratio;
            self.loud
                .update(Some(loud_on), Some(loud_off), step, c.sustain);
            self.fast.update(
                rate.map(|r| r > c.fast_on_sps),
                rate.map(|r| r < c.fast_off_sps),
                step,
                c.sustain,
            );
        }
        if let Some(background) = obs.background_dbfs.filter(|b| b.is_finite()) {
            self.background = Some(background);
        }
        if let Some(floor) = self.background {
            let snr = level.filter(|_| obs.speaking).map(|l| l - floor);
            let on = floor > c.noisy_floor_on_dbfs || snr.is_some_and(|s| s < c.snr_on_db);
            let off = floor < c.noisy_floor_off_dbfs && snr.is_none_or(|s| s > c.snr_off_db);
            self.noisy
                .update(Some(on), Some(off), step, c.noise_sustain);
        }
        if obs.speaking || !obs.answer_expected {
            self.silent_since = None;
            self.silence_nudged = false;
        } else if self.silent_since.is_none() {
            self.silent_since = Some(now.saturating_sub(step));
        }
        let cooled = self
            .last_nudge
            .is_none_or(|last| now.saturating_sub(last) >= self.config.cooldown);
        if !cooled {
            return None;
        }
        let silence_due = !self.silence_nudged
            && self
                .silent_since
                .is_some_and(|since| now.saturating_sub(since) >= self.config.long_silence);
        let nudge = if self.loud.take_pending() {
            Some(Nudge::TooLoud)
        } else if self.quiet.take_pending() {
            Some(Nudge::SpeakUp)
        } else if self.fast.take_pending() {
            Some(Nudge::SlowDown)
        } else if silence_due {
            self.silence_nudged = true;
            Some(Nudge::LongSilence)
        } else if self.noisy.take_pending() {
            Some(Nudge::NoisyBackground)
        } else {
            None
        };
        if nudge.is_some() {
            self.last_nudge = Some(now);
        }
        nudge
    }
}

impl NudgePolicy {
    /// The measure behind `nudge` and its value in `obs` (for a long silence, the seconds
    /// of silence at `now`): what a client shows beside the message.
    pub fn reading(&self, nudge: Nudge, obs: &Observation, now: Duration) -> (&'static str, f32) {
        let level = obs.speech_dbfs.unwrap_or(crate::volume::FLOOR_DBFS);
        match nudge {
            Nudge::SpeakUp => ("speech_dbfs", level),
            Nudge::TooLoud if obs.clipping_ratio > self.config.clip_on_ratio => {
                ("clipping_ratio", obs.clipping_ratio)
            }
            Nudge::TooLoud => ("speech_dbfs", level),
            Nudge::SlowDown => (
                "syllables_per_second",
                obs.syllables_per_second.unwrap_or(0.0),
            ),
            Nudge::LongSilence => (
                "silence_seconds",
                self.silent_since
                    .map_or(0.0, |since| now.saturating_sub(since).as_secs_f32()),
            ),
            Nudge::NoisyBackground => match (obs.speech_dbfs, self.background) {
                (Some(speech), Some(floor)) if obs.speaking => ("snr_db", speech - floor),
                _ => (
                    "background_dbfs",
                    self.background.unwrap_or(crate::volume::FLOOR_DBFS),
                ),
            },
        }
    }
}

/// One hysteresis condition: how long its "on" test has held, whether it is on, and
/// whether its turn-on still owes a nudge.
#[derive(Debug, Clone, Copy, Default)]
struct Condition {
    held: Duration,
    active: bool,
    pending: bool,
}

impl Condition {
    /// `on`/`off` are `None` when the measure is unknown this second (no change).
    fn update(&mut self, on: Option<bool>, off: Option<bool>, step: Duration, sustain: Duration) {
        if self.active {
            if off == Some(true) {
                *self = Self::default();
            }
            return;
        }
        match on {
            Some(true) => {
                self.held += step;
                if self.held >= sustain {
                    self.active = true;
                    self.pending = true;
                }
            }
            Some(false) => self.held = Duration::ZERO,
            None => {}
        }
    }

    fn take_pending(&mut self) -> bool {
        std::mem::take(&mut self.pending)
    }
}
