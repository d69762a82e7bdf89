//! Delivery in the wire contract's terms: the dsp timeline and summary, and the nudges the
//! shell shows the candidate on [`contract::topics::NUDGE`].

use contract::delivery::{AudioFeatures, DeliveryPoint, DeliverySummary, NudgeKind, NudgeMessage};
use dsp::nudge::Nudge;
use dsp::summary::{Summary, TimelinePoint};

/// Timeline seconds a final result's speaking rate stays current.
const RATE_FRESH_SECONDS: u32 = 8;
/// The shortest final result whose rate is trusted: words, and seconds from its first word's
/// start to its last word's end.
const RATE_MIN_WORDS: usize = 4;
const RATE_MIN_SECONDS: f64 = 1.0;

/// The candidate's speaking rate from the recognizer: the words of the latest final result
/// over the time from its first word's start to its last word's end, current for
/// [`RATE_FRESH_SECONDS`] timeline seconds after it arrived. The dsp's syllable-nuclei count
/// reads fast speech far too slowly (espeak at 260 words a minute reads as 4.5 to 5.1
/// syllables a second, against 4.0 to 4.3 at 160), so the words decide when there are any.
#[derive(Debug, Clone, Default)]
pub(crate) struct WordRate {
    latest: Option<(f32, u32)>,
}

impl WordRate {
    /// A final result's words as (start, end) seconds.
    pub(crate) fn words(&mut self, words: impl IntoIterator<Item = (f64, f64)>) {
        let words: Vec<(f64, f64)> = words
            .into_iter()
            .filter(|(s, e)| s.is_finite() && e.is_finite())
            .collect();
        let (Some(first), Some(last)) = (words.first(), words.last()) else {
            return;
        };
        let span = last.1 - first.0;
        if words.len() >= RATE_MIN_WORDS && span >= RATE_MIN_SECONDS {
            self.latest = Some(((words.len() as f64 / span) as f32, 0));
        }
    }

    /// After a timeline second: the latest words per second, while it is current.
    pub(crate) fn second(&mut self) -> Option<f32> {
        let (rate, age) = self.latest.as_mut()?;
        *age += 1;
        if *age > RATE_FRESH_SECONDS {
            self.latest = None;
            return None;
        }
        Some(*rate)
    }
}

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

#[cfg(test)]
mod word_rate_tests {
    use super::*;

    #[test]
    fn the_latest_answer_sets_the_rate_for_a_while() {
        let mut rate = WordRate::default();
        assert_eq!(rate.second(), None);
        // 19 words over 4.4 s: 260 words a minute.
        rate.words((0..19).map(|i| {
            let start = 10.0 + f64::from(i) * 4.4 / 19.0;
            (start, start + 4.4 / 19.0)
        }));
        let wps = rate.second().expect("a rate");
        assert!((wps - 19.0 / 4.4).abs() < 0.01, "{wps}");
        for _ in 1..RATE_FRESH_SECONDS {
            assert!(rate.second().is_some());
        }
        assert_eq!(rate.second(), None, "stale after a while");
        // Too short to trust: nothing.
        rate.words([(1.0, 1.2), (1.2, 1.4)]);
        assert_eq!(rate.second(), None);
    }
}
