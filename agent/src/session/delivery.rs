//! Delivery in the wire contract's terms: the dsp timeline and summary, and the nudges the
//! shell shows the candidate on [`contract::topics::NUDGE`].

use contract::delivery::{AudioFeatures, DeliveryPoint, DeliverySummary, NudgeKind, NudgeMessage};
use dsp::nudge::Nudge;
use dsp::summary::{Summary, TimelinePoint};

/// The contract's name of a dsp nudge.
pub(crate) fn kind(nudge: Nudge) -> NudgeKind {
    match nudge {
        Nudge::SpeakUp => NudgeKind::TooQuiet,
        Nudge::TooLoud => NudgeKind::TooLoud,
        Nudge::SlowDown => NudgeKind::TooFast,
        Nudge::LongSilence => NudgeKind::LongSilence,
        Nudge::NoisyBackground => NudgeKind::NoisyBackground,
    }
}

/// The nudge message for `nudge`, whose measure `metric` read `value` at `time` seconds.
pub(crate) fn message(nudge: Nudge, metric: &str, value: f32, time: f64) -> NudgeMessage {
    NudgeMessage {
        v: contract::VERSION,
        kind: kind(nudge),
        message: nudge.message().to_owned(),
        metric: metric.to_owned(),
        value: round(f64::from(value)),
        time,
    }
}

/// One timeline second on the wire.
pub(crate) fn point(p: &TimelinePoint) -> DeliveryPoint {
    DeliveryPoint {
        second: p.second,
        level_dbfs: p.rms_dbfs,
        speech_dbfs: p.speech_dbfs,
        peak_dbfs: p.peak_dbfs,
        clipping_ratio: p.clipping_ratio,
        speech_ratio: p.speech_ratio,
        f0_hz: p.f0_hz,
        syllables_per_second: p.recent_syllables_per_second,
        noise_floor_dbfs: p.noise_floor_dbfs,
    }
}

/// What the shell adds to the dsp summary.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Conversation {
    /// Seconds the agent's voice was sent to the room.
    pub agent_seconds: f64,
    /// Agent turns the candidate cut off.
    pub interruptions: u32,
    /// Nudges shown.
    pub nudges: u32,
    /// The pipeline's syllables per word (to turn syllables/s into words per minute).
    pub syllables_per_word: f32,
}

/// The session summary; `session` is filled in by the host that knows the job.
pub(crate) fn summary(s: &Summary, talk: Conversation) -> DeliverySummary {
    let d = &s.details;
    let speech = d.pauses.speech_seconds;
    let heard = speech + talk.agent_seconds;
    let per_word = f64::from(talk.syllables_per_word.max(0.1));
    DeliverySummary {
        v: contract::VERSION,
        session: String::new(),
        audio_features: AudioFeatures {
            speech_rate: s.audio_features.speech_rate.map(round),
            pause_ratio: round(s.audio_features.pause_ratio),
            filler_word_ratio: s.audio_features.filler_word_ratio.map(round),
            pitch_variance: s.audio_features.pitch_variance.map(round),
        },
        speech_rate_source: d.speech_rate_source.to_owned(),
        audio_speech_rate: d
            .syllables_per_second
            .map(|sps| round(sps * 60.0 / per_word)),
        words: d.words.unwrap_or(0),
        fillers: d.fillers.unwrap_or(0),
        pitch_mean_hz: d.pitch_mean_hz.map(round),
        speech_dbfs: d.speech_dbfs,
        noise_floor_dbfs: d.noise_floor_dbfs,
        snr_db: d.snr_db,
        clipping_ratio: d.clipping_ratio,
        speech_seconds: round(speech),
        total_seconds: round(d.total_seconds),
        agent_seconds: round(talk.agent_seconds),
        talk_ratio: (heard > 0.0).then(|| round(speech / heard)),
        interruptions: talk.interruptions,
        nudges: talk.nudges,
    }
}

/// Three decimals: the wire carries measurements, not float noise.
fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
