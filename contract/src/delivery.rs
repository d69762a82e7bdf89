//! Delivery (how the candidate sounded, not what they said): live nudges, the per-second
//! timeline the agent sends control-api in batches, and the summary it sends at the end.
//! None of it ever reaches a scorer.

use serde::{Deserialize, Serialize};

/// What a nudge is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NudgeKind {
    /// Speech below the quiet threshold for a while.
    TooQuiet,
    /// Speech above the loud threshold, or clipping.
    TooLoud,
    /// Syllable rate above the fast threshold for a while.
    TooFast,
    /// No speech for a long time while an answer is expected.
    LongSilence,
    /// Background noise close to the speech level.
    NoisyBackground,
}

/// One nudge on [`crate::topics::NUDGE`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NudgeMessage {
    /// Contract version.
    #[serde(default = "crate::version")]
    pub v: u32,
    pub kind: NudgeKind,
    /// A short text to show the candidate.
    pub message: String,
    /// The measure that crossed its threshold: `speech_dbfs`, `clipping_ratio`,
    /// `syllables_per_second`, `silence_seconds` or `snr_db`.
    pub metric: String,
    /// Its value when the nudge fired.
    pub value: f64,
    /// Seconds since the candidate's audio started (the timeline's clock).
    pub time: f64,
}

/// One second of the candidate's audio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryPoint {
    /// The second's index since the candidate's audio started.
    pub second: u32,
    /// RMS level over the second, dBFS.
    pub level_dbfs: f32,
    /// RMS level over the speech frames, dBFS; null without speech.
    pub speech_dbfs: Option<f32>,
    /// Largest sample, dBFS.
    pub peak_dbfs: f32,
    /// Fraction of clipped samples.
    pub clipping_ratio: f32,
    /// Fraction of the second in speech; the rest is pause.
    pub speech_ratio: f32,
    /// Mean F0 of voiced speech, Hz.
    pub f0_hz: Option<f32>,
    /// Syllable rate over the last few seconds of speech.
    pub syllables_per_second: Option<f32>,
    /// Noise floor estimate, dBFS.
    pub noise_floor_dbfs: Option<f32>,
}

/// Points of one agent session, in order (`POST /internal/interviews/{id}/timeline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineBatch {
    #[serde(default = "crate::version")]
    pub v: u32,
    /// The agent session (job) the points belong to: a re-dispatched interview has several.
    pub session: String,
    pub points: Vec<DeliveryPoint>,
}

/// Seed 004's `audio_features`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudioFeatures {
    /// Words per minute of speech time.
    pub speech_rate: Option<f64>,
    /// Share of pause time between the first and last speech.
    pub pause_ratio: f64,
    /// Filler words per word of the speech recognizer's transcript.
    pub filler_word_ratio: Option<f64>,
    /// Variance of F0 over voiced speech, Hz².
    pub pitch_variance: Option<f64>,
}

/// The end-of-session summary (`PUT /internal/interviews/{id}/delivery`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliverySummary {
    #[serde(default = "crate::version")]
    pub v: u32,
    /// The agent session (job) summarized.
    pub session: String,
    pub audio_features: AudioFeatures,
    /// `transcript` (words over speech time) or `audio` (syllables) for `speech_rate`.
    pub speech_rate_source: String,
    /// The syllable-based estimate, words per minute, whatever the source above.
    pub audio_speech_rate: Option<f64>,
    /// Words and fillers in the candidate's transcript.
    pub words: u32,
    pub fillers: u32,
    /// Mean F0 of voiced speech, Hz.
    pub pitch_mean_hz: Option<f64>,
    /// Average speech level, noise floor and their difference.
    pub speech_dbfs: Option<f32>,
    pub noise_floor_dbfs: Option<f32>,
    pub snr_db: Option<f32>,
    /// Fraction of clipped samples overall.
    pub clipping_ratio: f32,
    /// Seconds the candidate spoke, and seconds of their audio analysed.
    pub speech_seconds: f64,
    pub total_seconds: f64,
    /// Seconds the agent's voice played.
    pub agent_seconds: f64,
    /// Candidate speech over all speech (candidate plus agent); null when nobody spoke.
    pub talk_ratio: Option<f64>,
    /// Times the candidate cut the agent off.
    pub interruptions: u32,
    /// Nudges shown.
    pub nudges: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_ignored_and_the_version_defaults() {
        let point: DeliveryPoint = serde_json::from_str(
            r#"{"second":3,"level_dbfs":-30,"speech_dbfs":null,"peak_dbfs":-10,"clipping_ratio":0,
                "speech_ratio":0.5,"f0_hz":120,"syllables_per_second":null,"noise_floor_dbfs":-60,
                "from_the_future":1}"#,
        )
        .expect("point");
        assert_eq!(point.second, 3);
        let batch: TimelineBatch =
            serde_json::from_str(r#"{"session":"j","points":[]}"#).expect("batch");
        assert_eq!(batch.v, crate::VERSION);
        assert!(crate::readable(batch.v) && !crate::readable(crate::VERSION + 1));
    }

    #[test]
    fn nudge_kinds_have_their_documented_names() {
        let names: Vec<String> = [
            NudgeKind::TooQuiet,
            NudgeKind::TooLoud,
            NudgeKind::TooFast,
            NudgeKind::LongSilence,
            NudgeKind::NoisyBackground,
        ]
        .iter()
        .map(|k| {
            serde_json::to_value(k)
                .expect("kind")
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
        assert_eq!(
            names,
            [
                "too_quiet",
                "too_loud",
                "too_fast",
                "long_silence",
                "noisy_background"
            ]
        );
    }
}
