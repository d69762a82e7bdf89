//! Prometheus metrics of the voice loop: one latency histogram per stage of a turn.
//!
//! The registry is passed in (one per process, owned by the worker), so tests
//! and several workers in one process never share global state.

use std::time::Duration;

use conversation::TurnMetrics;
use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, Registry, TextEncoder};

/// Latency buckets in seconds: 5 ms .. 10 s.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
];

/// The per-stage histograms and turn counters.
#[derive(Clone, Debug)]
pub struct VoiceMetrics {
    end_of_turn: Histogram,
    stt_final: Histogram,
    llm_ttft: Histogram,
    tts_ttfb: Histogram,
    end_to_end: Histogram,
    turns: IntCounter,
    interrupted: IntCounter,
    speculative: IntCounter,
    wasted: IntCounter,
}

impl VoiceMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let histogram = |name: &str, help: &str| -> Result<Histogram, prometheus::Error> {
            let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(BUCKETS.to_vec()))?;
            registry.register(Box::new(h.clone()))?;
            Ok(h)
        };
        let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
            let c = IntCounter::new(name, help)?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        Ok(Self {
            end_of_turn: histogram(
                "voice_end_of_turn_seconds",
                "Candidate end of speech to the end-of-turn decision.",
            )?,
            stt_final: histogram(
                "voice_stt_final_seconds",
                "Candidate end of speech to the STT final result.",
            )?,
            llm_ttft: histogram(
                "voice_llm_first_token_seconds",
                "LLM request to first token.",
            )?,
            tts_ttfb: histogram(
                "voice_tts_first_byte_seconds",
                "First speak request to first TTS audio.",
            )?,
            end_to_end: histogram(
                "voice_end_of_speech_to_agent_audio_seconds",
                "Candidate end of speech to the first agent audio published.",
            )?,
            turns: counter("voice_turns_total", "Agent turns completed.")?,
            interrupted: counter(
                "voice_turns_interrupted_total",
                "Agent turns cut short by a barge-in.",
            )?,
            speculative: counter(
                "voice_speculative_replies_total",
                "Replies the LLM started before the candidate's turn ended, and used.",
            )?,
            wasted: counter(
                "voice_speculative_wasted_total",
                "Speculative LLM generations discarded because the candidate went on.",
            )?,
        })
    }

    /// Records one finished turn; stages that did not happen are skipped.
    pub fn observe(&self, turn: &TurnMetrics) {
        let pairs = [
            (&self.end_of_turn, turn.end_of_turn_delay),
            (&self.stt_final, turn.stt_final_delay),
            (&self.llm_ttft, turn.llm_ttft),
            (&self.tts_ttfb, turn.tts_ttfb),
            (&self.end_to_end, turn.end_to_end),
        ];
        for (histogram, value) in pairs {
            if let Some(value) = value {
                histogram.observe(seconds(value));
            }
        }
        self.turns.inc();
        if turn.interrupted {
            self.interrupted.inc();
        }
        if turn.speculative {
            self.speculative.inc();
        }
        self.wasted.inc_by(u64::from(turn.wasted_generations));
    }

    /// Speculative generations discarded so far.
    pub fn wasted(&self) -> u64 {
        self.wasted.get()
    }
}

/// The registry in Prometheus text exposition format.
pub fn encode(registry: &Registry) -> String {
    let mut out = Vec::new();
    // Encoding into a Vec only fails on invalid metric families, which `register` rejects.
    if TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .is_err()
    {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_lands_in_each_stage_it_went_through() {
        let registry = Registry::new();
        let metrics = VoiceMetrics::register(&registry).expect("register");
        metrics.observe(&TurnMetrics {
            turn: 1,
            end_of_turn_delay: Some(Duration::from_millis(400)),
            stt_final_delay: Some(Duration::from_millis(120)),
            tts_ttfb: Some(Duration::from_millis(30)),
            end_to_end: Some(Duration::from_millis(480)),
            interrupted: true,
            speculative: true,
            wasted_generations: 2,
            ..TurnMetrics::default()
        });
        let text = encode(&registry);
        assert!(text.contains("voice_end_of_turn_seconds_bucket{le=\"0.5\"} 1"));
        assert!(text.contains("voice_end_of_turn_seconds_bucket{le=\"0.3\"} 0"));
        assert!(text.contains("voice_llm_first_token_seconds_count 0"));
        assert!(text.contains("voice_end_of_speech_to_agent_audio_seconds_count 1"));
        assert!(text.contains("voice_turns_total 1"));
        assert!(text.contains("voice_turns_interrupted_total 1"));
        assert!(text.contains("voice_speculative_replies_total 1"));
        assert!(text.contains("voice_speculative_wasted_total 2"));
        assert!(
            VoiceMetrics::register(&registry).is_err(),
            "names are unique"
        );
    }
}
