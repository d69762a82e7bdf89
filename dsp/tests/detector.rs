//! The VAD hysteresis state machine on scripted probabilities: thresholds, minimum
//! durations, prefix padding and sample-accurate timestamps.

use dsp::frame::SamplePos;
use dsp::vad::{SpeechDetector, VadConfig, VadEvent};

const W: u64 = 512;

/// Feeds one probability per 512-sample window; returns (window index, event).
fn script(config: &VadConfig, probs: &[f32]) -> Vec<(usize, VadEvent)> {
    let mut detector = SpeechDetector::new(config).expect("valid config");
    probs
        .iter()
        .enumerate()
        .filter_map(|(i, &p)| {
            let start = SamplePos(i as u64 * W);
            detector
                .push(start, SamplePos(start.0 + W), p)
                .map(|e| (i, e))
        })
        .collect()
}

#[test]
fn speech_starts_after_min_speech_and_ends_after_min_silence() {
    let config = VadConfig {
        min_speech_ms: 64,
        min_silence_ms: 320,
        prefix_padding_ms: 100,
        ..VadConfig::default()
    };
    let mut probs = vec![0.0; 10];
    probs.extend([0.9; 20]);
    probs.extend([0.1; 20]);
    let events = script(&config, &probs);
    assert_eq!(
        events,
        [
            (
                11,
                VadEvent::SpeechStart {
                    at: SamplePos(10 * W),
                    padded_from: SamplePos(10 * W - 1600),
                }
            ),
            (
                39,
                VadEvent::SpeechEnd {
                    at: SamplePos(30 * W),
                    started: SamplePos(10 * W),
                }
            ),
        ]
    );
}

#[test]
fn a_blip_shorter_than_min_speech_is_ignored() {
    let config = VadConfig {
        min_speech_ms: 100,
        ..VadConfig::default()
    };
    let probs = [0.0, 0.9, 0.9, 0.1, 0.9, 0.0, 0.0];
    assert!(script(&config, &probs).is_empty());
}

#[test]
fn probabilities_between_the_thresholds_keep_speech_going() {
    let config = VadConfig::default();
    let mut probs = vec![0.9; 5];
    probs.extend([0.4; 100]); // below activation, above deactivation
    let events = script(&config, &probs);
    assert_eq!(events.len(), 1, "{events:?}");
    // ...but do not start speech from silence.
    assert!(script(&config, &[0.45; 100]).is_empty());
}

#[test]
fn a_short_pause_inside_speech_does_not_end_it() {
    let config = VadConfig::default(); // 550 ms minimum silence
    let mut probs = vec![0.9; 20];
    probs.extend([0.0; 15]); // 480 ms
    probs.extend([0.9; 20]);
    probs.extend([0.0; 30]);
    let ends = script(&config, &probs)
        .into_iter()
        .filter(|(_, e)| matches!(e, VadEvent::SpeechEnd { .. }))
        .count();
    assert_eq!(ends, 1);
}

#[test]
fn nan_counts_as_silence_and_padding_stops_at_the_stream_start() {
    let config = VadConfig::default();
    let events = script(&config, &[0.9, 0.9, 0.9, f32::NAN]);
    assert_eq!(
        events[0].1,
        VadEvent::SpeechStart {
            at: SamplePos(0),
            padded_from: SamplePos(0)
        }
    );
}
