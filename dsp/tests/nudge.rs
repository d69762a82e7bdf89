//! Nudges on generated speech (quiet, normal, loud and clipped, fast) and the policy's
//! cooldown and hysteresis in fake time.

mod common;

use std::time::Duration;

use common::{Layout, gain, run, utterance};
use dsp::nudge::{Nudge, NudgeConfig, NudgePolicy, Observation};
use dsp::pipeline::PipelineConfig;
use tests::speech::Voice;

const ANSWER: &str = "I would start by measuring where the time goes and then change one thing at a time until the numbers improve";

/// Nudges (with their times) the policy gives over a generated answer.
fn nudges_for(speed: u32, level: f32) -> anyhow::Result<(Vec<(u32, Nudge)>, f32)> {
    let dir = tempfile::tempdir()?;
    let voice = Voice {
        words_per_minute: speed,
        ..Voice::default()
    };
    let speech = utterance(dir.path(), "answer", ANSWER, &voice)?;
    let mut layout = Layout::default();
    layout.silence(0.5);
    layout.speech(&speech);
    layout.silence(0.3);
    layout.speech(&speech);
    layout.silence(1.0);
    let samples = gain(&layout.samples, level);
    let result = run(&samples, PipelineConfig::default(), None)?;
    let mut policy = NudgePolicy::new(NudgeConfig::default());
    let mut nudges = Vec::new();
    for point in &result.seconds {
        let now = Duration::from_secs(u64::from(point.second) + 1);
        if let Some(nudge) = policy.observe(now, &point.observation(true)) {
            nudges.push((point.second, nudge));
        }
    }
    let speech_dbfs = result.summary.details.speech_dbfs.unwrap_or(f32::NAN);
    println!("{speed} wpm x{level}: speech {speech_dbfs:.1} dBFS, nudges {nudges:?}");
    Ok((nudges, speech_dbfs))
}

#[test]
fn quiet_speech_triggers_speak_up_once() -> anyhow::Result<()> {
    let (nudges, level) = nudges_for(160, 0.04)?;
    assert!(level < -38.0, "the quiet answer measured {level} dBFS");
    assert_eq!(
        nudges.iter().map(|n| n.1).collect::<Vec<_>>(),
        [Nudge::SpeakUp]
    );
    Ok(())
}

#[test]
fn normal_speech_triggers_nothing() -> anyhow::Result<()> {
    let (nudges, level) = nudges_for(160, 1.0)?;
    assert!(
        (-30.0..-10.0).contains(&level),
        "normal answer at {level} dBFS"
    );
    assert!(nudges.is_empty(), "{nudges:?}");
    Ok(())
}

#[test]
fn clipped_speech_triggers_too_loud() -> anyhow::Result<()> {
    let (nudges, _) = nudges_for(160, 12.0)?;
    assert_eq!(
        nudges.iter().map(|n| n.1).collect::<Vec<_>>(),
        [Nudge::TooLoud]
    );
    Ok(())
}

#[test]
fn fast_speech_triggers_slow_down() -> anyhow::Result<()> {
    let (nudges, _) = nudges_for(260, 1.0)?;
    assert_eq!(
        nudges.iter().map(|n| n.1).collect::<Vec<_>>(),
        [Nudge::SlowDown]
    );
    Ok(())
}

fn speaking_at(dbfs: f32) -> Observation {
    Observation {
        speaking: true,
        speech_dbfs: Some(dbfs),
        clipping_ratio: 0.0,
        syllables_per_second: Some(4.0),
        answer_expected: true,
        background_dbfs: None,
    }
}

#[test]
fn no_nudge_twice_within_the_cooldown() {
    let config = NudgeConfig::default();
    let cooldown = config.cooldown;
    let mut policy = NudgePolicy::new(config);
    let mut times = Vec::new();
    // Quiet for 10 s, then loud and clipping for the next 50 s: both deserve a nudge.
    for s in 1..=60_u64 {
        let mut obs = speaking_at(if s <= 10 { -50.0 } else { -3.0 });
        if s > 10 {
            obs.clipping_ratio = 0.05;
        }
        if let Some(n) = policy.observe(Duration::from_secs(s), &obs) {
            times.push((s, n));
        }
    }
    assert_eq!(times.len(), 2, "{times:?}");
    assert_eq!(times[0].1, Nudge::SpeakUp);
    assert_eq!(times[1].1, Nudge::TooLoud);
    assert!(
        Duration::from_secs(times[1].0 - times[0].0) >= cooldown,
        "{times:?}"
    );
}

#[test]
fn a_level_hovering_between_the_thresholds_does_not_renudge() {
    let mut policy = NudgePolicy::new(NudgeConfig::default());
    let mut nudges = 0;
    // Alternates between just below "quiet on" (-38) and just under "quiet off" (-33).
    for s in 1..=200_u64 {
        let level = if s % 2 == 0 { -39.0 } else { -34.0 };
        nudges += usize::from(
            policy
                .observe(Duration::from_secs(s), &speaking_at(level))
                .is_some(),
        );
    }
    assert_eq!(nudges, 0, "never held 2 s below -38 dBFS");
    let mut policy = NudgePolicy::new(NudgeConfig::default());
    let mut got = Vec::new();
    for s in 1..=200_u64 {
        let level = if s < 10 {
            -45.0
        } else if s % 2 == 0 {
            -39.0
        } else {
            -34.0
        };
        if let Some(n) = policy.observe(Duration::from_secs(s), &speaking_at(level)) {
            got.push((s, n));
        }
    }
    assert_eq!(got, [(2, Nudge::SpeakUp)], "released only above -33 dBFS");
}

#[test]
fn long_silence_after_a_question_nudges_once() {
    let mut policy = NudgePolicy::new(NudgeConfig::default());
    let silent = Observation {
        answer_expected: true,
        ..Observation::default()
    };
    let got: Vec<_> = (1..=120_u64)
        .filter_map(|s| {
            policy
                .observe(Duration::from_secs(s), &silent)
                .map(|n| (s, n))
        })
        .collect();
    assert_eq!(got, [(12, Nudge::LongSilence)]);
    // No answer expected: silence is fine.
    let mut policy = NudgePolicy::new(NudgeConfig::default());
    let idle = Observation::default();
    assert!((1..=120_u64).all(|s| policy.observe(Duration::from_secs(s), &idle).is_none()));
}

#[test]
fn a_quiet_condition_nudges_within_three_seconds_of_its_start() {
    // The condition starts anywhere within a second; the second counts as speech when
    // most of it is. Whatever the phase, the nudge comes at most 3 s after the start.
    for onset_ms in (0..1000_u64).step_by(100) {
        let mut policy = NudgePolicy::new(NudgeConfig::default());
        let mut at = None;
        for s in 1..=10_u64 {
            let speech_ms = (s * 1000).saturating_sub(onset_ms.max((s - 1) * 1000));
            let speaking = s * 1000 > onset_ms && speech_ms >= 500;
            let obs = if speaking {
                speaking_at(-45.0)
            } else {
                Observation::default()
            };
            if policy.observe(Duration::from_secs(s), &obs).is_some() {
                at = Some(s * 1000);
                break;
            }
        }
        let at = at.expect("a nudge");
        assert!(
            at - onset_ms <= 3000,
            "onset {onset_ms} ms, nudge at {at} ms"
        );
    }
}

#[test]
fn a_noisy_background_nudges_once_and_names_its_measure() {
    let config = NudgeConfig::default();
    let mut policy = NudgePolicy::new(config.clone());
    let mut got = Vec::new();
    for s in 1..=60_u64 {
        // A second of a -36 dBFS hum alone, then speech at -30 dBFS over it: 6 dB of SNR.
        let obs = if s == 1 {
            Observation {
                background_dbfs: Some(-36.0),
                ..Observation::default()
            }
        } else {
            speaking_at(-30.0)
        };
        let now = Duration::from_secs(s);
        if let Some(n) = policy.observe(now, &obs) {
            got.push((s, n, policy.reading(n, &obs, now)));
        }
    }
    assert_eq!(got.len(), 1, "{got:?}");
    let (s, nudge, (metric, value)) = got[0];
    assert_eq!((s, nudge, metric), (6, Nudge::NoisyBackground, "snr_db"));
    assert!((value - 6.0).abs() < 1e-3, "{value}");
    // A quiet room with clear speech never is.
    let mut policy = NudgePolicy::new(config);
    let quiet_room = Observation {
        background_dbfs: Some(-65.0),
        ..Observation::default()
    };
    assert!(
        policy
            .observe(Duration::from_secs(1), &quiet_room)
            .is_none()
    );
    let clean = speaking_at(-25.0);
    assert!((2..=60_u64).all(|s| policy.observe(Duration::from_secs(s), &clean).is_none()));
    // A loud background alone, with nobody speaking, is noisy too.
    let mut policy = NudgePolicy::new(NudgeConfig::default());
    let hum = Observation {
        background_dbfs: Some(-30.0),
        ..Observation::default()
    };
    let got: Vec<_> = (1..=30_u64)
        .filter_map(|s| {
            let now = Duration::from_secs(s);
            policy
                .observe(now, &hum)
                .map(|n| (s, n, policy.reading(n, &hum, now).0))
        })
        .collect();
    assert_eq!(got, [(5, Nudge::NoisyBackground, "background_dbfs")]);
}

#[test]
fn nudges_serialize_with_the_contract_names() {
    for (nudge, kind) in [
        (Nudge::SpeakUp, contract::delivery::NudgeKind::TooQuiet),
        (Nudge::TooLoud, contract::delivery::NudgeKind::TooLoud),
        (Nudge::SlowDown, contract::delivery::NudgeKind::TooFast),
        (
            Nudge::LongSilence,
            contract::delivery::NudgeKind::LongSilence,
        ),
        (
            Nudge::NoisyBackground,
            contract::delivery::NudgeKind::NoisyBackground,
        ),
    ] {
        let ours = serde_json::to_value(nudge).expect("nudge");
        assert_eq!(ours, serde_json::to_value(kind).expect("kind"));
    }
}

/// Nudges over `samples` through the whole pipeline.
fn pipeline_nudges(samples: &[f32]) -> anyhow::Result<Vec<(u32, Nudge)>> {
    let result = run(samples, PipelineConfig::default(), None)?;
    let mut policy = NudgePolicy::new(NudgeConfig::default());
    Ok(result
        .seconds
        .iter()
        .filter_map(|point| {
            let now = Duration::from_secs(u64::from(point.second) + 1);
            policy
                .observe(now, &point.observation(false))
                .map(|n| (point.second, n))
        })
        .collect())
}

/// A browser's fake microphone (and a good headset) is digitally silent before the first
/// answer: the onset of speech in a second the VAD has not marked yet is not a background.
#[test]
fn an_answer_after_digital_silence_is_not_a_noisy_background() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let speech = utterance(dir.path(), "answer", ANSWER, &Voice::default())?;
    for lead in [2.9_f32, 3.5, 3.95] {
        let mut layout = Layout::default();
        layout.silence(lead);
        layout.speech(&speech);
        layout.silence(2.0);
        let nudges = pipeline_nudges(&layout.samples)?;
        println!("lead {lead} s: {nudges:?}");
        assert!(
            !nudges.iter().any(|(_, n)| *n == Nudge::NoisyBackground),
            "lead {lead} s: {nudges:?}"
        );
    }
    // The same answer over a loud hum is still a noisy background.
    let mut layout = Layout::default();
    layout.silence(1.0);
    layout.speech(&speech);
    let noisy: Vec<f32> = layout
        .samples
        .iter()
        .zip(common::noise(layout.samples.len(), 0.05, 7))
        .map(|(s, n)| s + n)
        .collect();
    let nudges = pipeline_nudges(&noisy)?;
    println!("over noise: {nudges:?}");
    assert!(
        nudges.iter().any(|(_, n)| *n == Nudge::NoisyBackground),
        "{nudges:?}"
    );
    Ok(())
}
