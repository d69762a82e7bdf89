//! F0 on tones of known pitch made with sox, and on espeak speech against an independent
//! brute-force autocorrelation reference.

mod common;

use common::{Layout, run, utterance};
use dsp::frame::FRAME_SAMPLES;
use dsp::pipeline::PipelineConfig;
use dsp::pitch::{PitchConfig, PitchStats, PitchTracker};
use tests::speech::{Voice, read_wav, sox};

fn tone(dir: &std::path::Path, wave: &str, hz: f32) -> anyhow::Result<Vec<f32>> {
    let path = dir.join(format!("{wave}{hz}.wav"));
    let path_str = path.to_str().expect("temp paths are UTF-8");
    let freq = hz.to_string();
    sox(&[
        "-n", "-r", "16000", "-b", "16", "-c", "1", path_str, "synth", "1.0", wave, &freq, "vol",
        "0.3",
    ])?;
    let (rate, samples) = read_wav(&path)?;
    anyhow::ensure!(rate == 16_000);
    Ok(samples)
}

fn tracked_mean(samples: &[f32]) -> anyhow::Result<(f32, f64)> {
    let mut tracker = PitchTracker::new(&PitchConfig::default())?;
    let mut stats = PitchStats::default();
    let mut frames = 0;
    for frame in samples.chunks_exact(FRAME_SAMPLES) {
        frames += 1;
        if let Some(f0) = tracker.push(frame)? {
            stats.push(f0);
        }
    }
    let voiced = stats.count() as f64 / f64::from(frames);
    Ok((stats.mean_hz().unwrap_or(0.0), voiced))
}

#[test]
fn f0_of_sox_tones_is_within_10_percent() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    for wave in ["sine", "sawtooth", "square"] {
        for hz in [85.0_f32, 120.0, 180.0, 260.0, 350.0] {
            let (mean, voiced) = tracked_mean(&tone(dir.path(), wave, hz)?)?;
            println!("{wave} {hz} Hz -> {mean:.1} Hz, voiced {voiced:.2}");
            assert!(
                (mean - hz).abs() <= 0.1 * hz,
                "{wave} {hz} Hz read as {mean}"
            );
            assert!(voiced > 0.9, "{wave} {hz} Hz voiced in only {voiced}");
        }
    }
    Ok(())
}

#[test]
fn noise_and_silence_are_unvoiced() -> anyhow::Result<()> {
    let (_, voiced) = tracked_mean(&vec![0.0; 16_000])?;
    assert_eq!(voiced, 0.0);
    let noise = common::noise(16_000, 0.1, 3);
    let (_, voiced) = tracked_mean(&noise)?;
    assert!(voiced < 0.1, "white noise voiced in {voiced} of frames");
    Ok(())
}

/// Mean F0 of `samples` (48 kHz) by exhaustive normalized autocorrelation over 40 ms
/// windows (after averaging down to 16 kHz), keeping windows with a clear period
/// (correlation > 0.8).
fn reference_f0(samples: &[f32]) -> Option<f64> {
    let samples: Vec<f32> = samples
        .chunks_exact(3)
        .map(|c| c.iter().sum::<f32>() / 3.0)
        .collect();
    let (win, hop) = (640, 480);
    let (min_lag, max_lag) = (16_000 / 400, 16_000 / 60);
    let mut found = Vec::new();
    let mut start = 0;
    while start + win + max_lag <= samples.len() {
        let x = &samples[start..start + win];
        let energy: f64 = x.iter().map(|v| f64::from(*v).powi(2)).sum();
        if energy / win as f64 > 1e-4 {
            let mut best = (0.0, 0);
            for lag in min_lag..=max_lag {
                let y = &samples[start + lag..start + lag + win];
                let xy: f64 = x.iter().zip(y).map(|(a, b)| f64::from(a * b)).sum();
                let yy: f64 = y.iter().map(|v| f64::from(*v).powi(2)).sum();
                let r = xy / (energy * yy).sqrt().max(1e-12);
                if r > best.0 {
                    best = (r, lag);
                }
            }
            if best.0 > 0.8 {
                found.push(16_000.0 / best.1 as f64);
            }
        }
        start += hop;
    }
    (!found.is_empty()).then(|| found.iter().sum::<f64>() / found.len() as f64)
}

#[test]
fn f0_of_espeak_voices_matches_an_independent_reference_within_10_percent() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut means = Vec::new();
    for pitch in [25, 75] {
        let voice = Voice {
            pitch,
            ..Voice::default()
        };
        let speech = utterance(
            dir.path(),
            &format!("p{pitch}"),
            "we rely on real servers in every test we run",
            &voice,
        )?;
        let reference = reference_f0(&speech).expect("espeak speech is periodic");
        let mut layout = Layout::default();
        layout.silence(0.4);
        layout.speech(&speech);
        layout.silence(0.8);
        let result = run(&layout.samples, PipelineConfig::default(), None)?;
        let mean = result.summary.details.pitch_mean_hz.expect("voiced frames");
        let variance = result
            .summary
            .audio_features
            .pitch_variance
            .expect("voiced frames");
        println!(
            "espeak -p {pitch}: pipeline {mean:.1} Hz (variance {variance:.0} Hz²), reference {reference:.1} Hz"
        );
        assert!(
            (mean - reference).abs() <= 0.1 * reference,
            "{mean} vs {reference}"
        );
        means.push(mean);
    }
    assert!(
        means[1] > means[0] * 1.1,
        "a higher espeak pitch reads higher: {means:?}"
    );
    Ok(())
}
