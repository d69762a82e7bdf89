//! Garbage audio never panics and gives defined results (property tests).

use dsp::frame::{FRAME_SAMPLES, SampleRate};
use dsp::gate::{Gate, GateMode};
use dsp::nudge::{NudgeConfig, NudgePolicy, Observation};
use dsp::pipeline::{Output, Pipeline, PipelineConfig};
use dsp::pitch::{PitchConfig, PitchTracker};
use dsp::resample::Resampler;
use dsp::volume::{FLOOR_DBFS, Volume};
use proptest::prelude::*;
use std::time::Duration;

/// Samples that include NaN, infinities, huge values, DC and full-scale values.
fn sample() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -1.0_f32..1.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(1.0_f32),
        1 => Just(-1.0_f32),
        1 => any::<f32>(),
        1 => Just(0.5_f32),
    ]
}

/// Signals: random garbage, all zeros, DC offset, or a full-scale square wave.
fn signal() -> impl Strategy<Value = Vec<f32>> {
    prop_oneof![
        proptest::collection::vec(sample(), 0..4000),
        (0_usize..4000).prop_map(|n| vec![0.0; n]),
        (0_usize..4000, -2.0_f32..2.0).prop_map(|(n, dc)| vec![dc; n]),
        (0_usize..4000, 2_usize..400).prop_map(|(n, period)| (0..n)
            .map(|i| if (i / period) % 2 == 0 { 1.0 } else { -1.0 })
            .collect()),
    ]
}

fn check_volume(v: &Volume) {
    assert!(v.rms_dbfs.is_finite() && v.rms_dbfs >= FLOOR_DBFS && v.rms_dbfs <= 0.1);
    assert!(v.peak_dbfs.is_finite() && v.peak_dbfs >= FLOOR_DBFS && v.peak_dbfs <= 0.1);
    assert!((0.0..=1.0).contains(&v.clipping_ratio));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_pipeline_survives_any_signal_in_any_pieces(
        signal in signal(),
        piece in 1_usize..2000,
        rate in prop_oneof![Just(48_000_u32), Just(16_000), Just(44_100), Just(8_000)],
    ) {
        let config = PipelineConfig {
            input_rate: SampleRate::new(rate).expect("listed rates are valid"),
            ..PipelineConfig::default()
        };
        let mut pipeline = Pipeline::new(config, None).expect("default config is valid");
        for chunk in signal.chunks(piece) {
            pipeline.push(chunk).expect("garbage is sanitized, not an error");
            while let Some(out) = pipeline.poll_output() {
                if let Output::Second(point) = out {
                    prop_assert!(point.rms_dbfs.is_finite());
                    prop_assert!((0.0..=1.0).contains(&point.speech_ratio));
                }
            }
            if let Some(report) = pipeline.last_frame() {
                check_volume(&report.volume);
                if let Some(f0) = report.f0_hz {
                    prop_assert!((50.0..=1000.0).contains(&f0));
                }
            }
        }
        pipeline.finish().expect("finish without Silero cannot fail");
        let summary = pipeline.summary(Some("um, like, I like Rust"));
        prop_assert!((0.0..=1.0).contains(&summary.audio_features.pause_ratio));
        prop_assert!(summary.audio_features.speech_rate.is_none_or(f64::is_finite));
        prop_assert!(summary.audio_features.pitch_variance.is_none_or(f64::is_finite));
        prop_assert!(serde_json::to_string(&summary).is_ok());
    }

    #[test]
    fn components_reject_wrong_frame_lengths_without_panicking(signal in signal()) {
        let mut gate = Gate::new(GateMode::Quality);
        let mut pitch = PitchTracker::new(&PitchConfig::default()).expect("valid");
        let mut resampler = Resampler::new(SampleRate::HZ_48000, 20).expect("valid");
        let mut out = vec![0.0; resampler.output_len_max()];
        let n = signal.len();
        prop_assert_eq!(gate.is_voiced(&signal).is_ok(), matches!(n, 160 | 320 | 480));
        prop_assert_eq!(pitch.push(&signal).is_ok(), n == FRAME_SAMPLES);
        prop_assert_eq!(resampler.process_into_buffer(&signal, &mut out).is_ok(), n == 960);
        check_volume(&Volume::measure(&signal));
    }

    #[test]
    fn the_nudge_policy_takes_any_observation(
        levels in proptest::collection::vec(any::<f32>(), 1..100),
        rates in proptest::collection::vec(any::<f32>(), 1..100),
        speaking in any::<bool>(),
    ) {
        let mut policy = NudgePolicy::new(NudgeConfig::default());
        let mut last = None;
        for (i, (level, rate)) in levels.iter().zip(&rates).enumerate() {
            let now = Duration::from_secs(i as u64 + 1);
            let obs = Observation {
                speaking,
                speech_dbfs: Some(*level),
                clipping_ratio: *rate,
                syllables_per_second: Some(*rate),
                answer_expected: true,
                background_dbfs: Some(*rate),
            };
            if let Some(nudge) = policy.observe(now, &obs) {
                let (_, value) = policy.reading(nudge, &obs, now);
                prop_assert!(value.is_finite() || !level.is_finite() || !rate.is_finite());
                if let Some(prev) = last {
                    prop_assert!(now - prev >= Duration::from_secs(20));
                }
                last = Some(now);
            }
        }
    }
}

#[test]
fn full_scale_square_wave_reads_as_clipping_at_0_dbfs() {
    let square: Vec<f32> = (0..960)
        .map(|i| if (i / 40) % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let v = Volume::measure(&square);
    assert!(v.rms_dbfs.abs() < 0.1, "{v:?}");
    assert_eq!(v.clipping_ratio, 1.0);
}

#[test]
fn dc_offset_is_not_loudness_and_zeros_are_the_floor() {
    let v = Volume::measure(&[0.4; 960]);
    assert_eq!(v.rms_dbfs, FLOOR_DBFS);
    assert!((v.peak_dbfs - 20.0 * 0.4_f32.log10()).abs() < 0.01);
    let z = Volume::measure(&[0.0; 960]);
    assert_eq!(
        (z.rms_dbfs, z.peak_dbfs, z.clipping_ratio),
        (FLOOR_DBFS, FLOOR_DBFS, 0.0)
    );
    let nan = Volume::measure(&[f32::NAN; 960]);
    assert_eq!(nan.rms_dbfs, FLOOR_DBFS);
}

#[test]
fn invalid_rates_and_configs_are_errors() {
    assert!(SampleRate::new(0).is_err());
    assert!(SampleRate::new(10_000_000).is_err());
    let bad_vad = dsp::vad::VadConfig {
        activation: 0.3,
        deactivation: 0.5,
        ..Default::default()
    };
    assert!(dsp::vad::SpeechDetector::new(&bad_vad).is_err());
    let bad_pitch = PitchConfig {
        min_hz: 10.0,
        ..Default::default()
    };
    assert!(PitchTracker::new(&bad_pitch).is_err());
}

#[test]
fn garbage_through_silero_gives_defined_results() -> anyhow::Result<()> {
    let silero = dsp::silero::Silero::load(
        &tests::paths::onnxruntime_lib(),
        &tests::paths::silero_model(),
    )?;
    let mut pipeline = Pipeline::new(PipelineConfig::default(), Some(silero))?;
    let square: Vec<f32> = (0..48_000)
        .map(|i| if (i / 100) % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -1e30, 0.0];
    let junk: Vec<f32> = (0..48_000).map(|i| specials[i % specials.len()]).collect();
    for signal in [&square, &junk, &vec![0.7; 48_000]] {
        for chunk in signal.chunks(333) {
            pipeline.push(chunk)?;
        }
    }
    pipeline.finish()?;
    while pipeline.poll_output().is_some() {}
    let summary = pipeline.summary(None);
    // 3 s of audio is 150 frames, less the resampler delay skipped at the start.
    assert_eq!(summary.details.frames, 149);
    assert!(summary.details.silero_runs <= summary.details.vad_windows);
    assert!(summary.details.clipping_ratio > 0.3);
    Ok(())
}
