//! The two-stage VAD against generated speech with a known speech/silence layout.

mod common;

use common::{Layout, frame_accuracy, gain, noise, run, utterance};
use dsp::pipeline::PipelineConfig;
use dsp::vad::VadEvent;
use tests::speech::Voice;

fn layout(dir: &std::path::Path, voice: &Voice) -> anyhow::Result<Layout> {
    let texts = [
        "I have been writing Rust for about five years",
        "mostly network services and some embedded work",
        "the hardest bug I fixed was a race in a connection pool",
    ];
    let mut layout = Layout::default();
    layout.silence(1.2);
    for (i, text) in texts.iter().enumerate() {
        let speech = utterance(dir, &format!("u{i}"), text, voice)?;
        layout.speech(&speech);
        layout.silence(1.0 + 0.4 * i as f32);
    }
    Ok(layout)
}

#[test]
fn clean_speech_frames_are_classified_at_least_95_percent_right() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let layout = layout(dir.path(), &Voice::default())?;
    let result = run(&layout.samples, PipelineConfig::default(), None)?;
    let accuracy = frame_accuracy(&layout, &result.summary);
    let (runs, windows) = (
        result.summary.details.silero_runs,
        result.summary.details.vad_windows,
    );
    println!("accuracy {accuracy:.4}, silero ran on {runs}/{windows} windows");
    assert!(accuracy >= 0.95, "frame accuracy {accuracy}");
    assert_eq!(
        result.summary.segments.len(),
        3,
        "{:?}",
        result.summary.segments
    );
    assert!(runs < windows, "the gate never skipped Silero");
    // Events alternate start/end and each end matches the preceding start.
    let mut open = None;
    for event in &result.events {
        match *event {
            VadEvent::SpeechStart { at, padded_from } => {
                assert!(open.is_none());
                assert!(padded_from <= at);
                open = Some(at);
            }
            VadEvent::SpeechEnd { at, started } => {
                assert_eq!(open.take(), Some(started));
                assert!(at > started);
            }
        }
    }
    Ok(())
}

#[test]
fn speech_in_background_noise_is_still_found() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut layout = layout(dir.path(), &Voice::default())?;
    let hiss = noise(layout.samples.len(), 0.01, 7);
    for (s, n) in layout.samples.iter_mut().zip(hiss) {
        *s += n;
    }
    let result = run(&layout.samples, PipelineConfig::default(), None)?;
    let accuracy = frame_accuracy(&layout, &result.summary);
    let d = &result.summary.details;
    println!(
        "noisy accuracy {accuracy:.4}, snr {:?} dB, floor {:?} dBFS, silero {}/{}",
        d.snr_db, d.noise_floor_dbfs, d.silero_runs, d.vad_windows
    );
    assert!(accuracy >= 0.95, "frame accuracy {accuracy}");
    let floor = d.noise_floor_dbfs.expect("noise floor measured");
    assert!(
        (-46.0..=-34.0).contains(&floor),
        "noise floor {floor} for -40 dBFS noise"
    );
    assert!(d.snr_db.is_some_and(|snr| snr > 10.0), "snr {:?}", d.snr_db);
    Ok(())
}

#[test]
fn quiet_speech_is_still_found() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut layout = layout(dir.path(), &Voice::default())?;
    layout.samples = gain(&layout.samples, 0.05);
    let result = run(&layout.samples, PipelineConfig::default(), None)?;
    let accuracy = frame_accuracy(&layout, &result.summary);
    println!("quiet accuracy {accuracy:.4}");
    assert!(accuracy >= 0.95, "frame accuracy {accuracy}");
    Ok(())
}

#[test]
fn pauses_are_measured_and_long_ones_counted() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let voice = Voice::default();
    let a = utterance(
        dir.path(),
        "a",
        "let me think about that for a moment",
        &voice,
    )?;
    let b = utterance(
        dir.path(),
        "b",
        "I would use a bounded queue between the stages",
        &voice,
    )?;
    let mut layout = Layout::default();
    layout.silence(0.5);
    layout.speech(&a);
    layout.silence(0.9);
    layout.speech(&b);
    layout.silence(2.6);
    layout.speech(&a);
    layout.silence(0.8);
    let result = run(&layout.samples, PipelineConfig::default(), None)?;
    let pauses = result.summary.details.pauses;
    let speech: usize = layout.speech.iter().map(|(s, e)| e - s).sum();
    let truth = 3.5 / (3.5 + speech as f64 / 48_000.0);
    println!("pauses {pauses:?}, true ratio {truth:.3}");
    assert_eq!(pauses.long_pauses, 1, "{pauses:?}");
    assert!(
        (pauses.longest_pause_seconds - 2.6).abs() < 0.15,
        "{pauses:?}"
    );
    assert!(
        (pauses.pause_ratio - truth).abs() < 0.03,
        "{pauses:?} vs {truth}"
    );
    assert_eq!(
        result.summary.audio_features.pause_ratio,
        pauses.pause_ratio
    );
    Ok(())
}

#[test]
fn fast_slow_and_clipped_speech_frames_are_classified_at_least_95_percent_right()
-> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    for (name, wpm, level) in [
        ("fast", 260, 1.0),
        ("slow", 100, 1.0),
        ("clipped", 160, 12.0),
    ] {
        let voice = Voice {
            words_per_minute: wpm,
            ..Voice::default()
        };
        let mut layout = layout(dir.path(), &voice)?;
        layout.samples = gain(&layout.samples, level);
        let result = run(&layout.samples, PipelineConfig::default(), None)?;
        let accuracy = frame_accuracy(&layout, &result.summary);
        println!("{name} accuracy {accuracy:.4}");
        assert!(accuracy >= 0.95, "{name}: frame accuracy {accuracy}");
    }
    Ok(())
}
