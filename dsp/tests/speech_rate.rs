//! Speech rate from the audio (syllables) and from a transcript (words), against the rate
//! espeak-ng was asked to speak at.

mod common;

use common::{Layout, run, utterance};
use dsp::pipeline::PipelineConfig;
use tests::speech::Voice;

/// 34 words, 48 syllables (counted by hand).
const TEXT: &str = "I started with systems work in college and later built payment services \
    where every request had to finish quickly so I learned to measure first and then fix the \
    slowest part of the code";
const WORDS: f64 = 34.0;
const SYLLABLES: f64 = 48.0;

fn measure(words_per_minute: u32) -> anyhow::Result<(f64, f64, f64)> {
    let dir = tempfile::tempdir()?;
    let voice = Voice {
        words_per_minute,
        ..Voice::default()
    };
    let mut layout = Layout::default();
    layout.silence(0.5);
    layout.speech(&utterance(dir.path(), "rate", TEXT, &voice)?);
    layout.silence(0.8);
    let result = run(&layout.samples, PipelineConfig::default(), Some(TEXT))?;
    let d = &result.summary.details;
    let sps = d.syllables_per_second.expect("speech was found");
    // Independently of espeak's pace, the nuclei count itself must be close to the text's.
    let counted = d.syllables as f64;
    assert!(
        within(counted, SYLLABLES, 0.15),
        "counted {counted} syllables, the text has {SYLLABLES}"
    );
    let wpm = result
        .summary
        .audio_features
        .speech_rate
        .expect("speech was found");
    let expected_sps = f64::from(words_per_minute) / 60.0 * SYLLABLES / WORDS;
    println!(
        "asked {words_per_minute} wpm: {} syllables in {:.2} s = {sps:.2}/s (expected {expected_sps:.2}), transcript {wpm:.1} wpm",
        d.syllables, d.pauses.speech_seconds
    );
    Ok((sps, expected_sps, wpm))
}

fn within(measured: f64, expected: f64, tolerance: f64) -> bool {
    (measured - expected).abs() <= tolerance * expected
}

#[test]
fn slow_speech_rate_is_within_20_percent() -> anyhow::Result<()> {
    let (sps, expected, wpm) = measure(110)?;
    assert!(
        within(sps, expected, 0.2),
        "syllables/s {sps} vs {expected}"
    );
    assert!(within(wpm, 110.0, 0.2), "words/min {wpm} vs 110");
    Ok(())
}

#[test]
fn normal_speech_rate_is_within_20_percent() -> anyhow::Result<()> {
    let (sps, expected, wpm) = measure(160)?;
    assert!(
        within(sps, expected, 0.2),
        "syllables/s {sps} vs {expected}"
    );
    assert!(within(wpm, 160.0, 0.2), "words/min {wpm} vs 160");
    Ok(())
}

#[test]
fn fast_speech_rate_is_within_20_percent() -> anyhow::Result<()> {
    let (sps, expected, wpm) = measure(230)?;
    assert!(
        within(sps, expected, 0.2),
        "syllables/s {sps} vs {expected}"
    );
    assert!(within(wpm, 230.0, 0.2), "words/min {wpm} vs 230");
    Ok(())
}
