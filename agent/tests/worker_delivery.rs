//! Delivery end to end: an `agent worker` process in real rooms of a real livekit-server,
//! candidates on the official Python client, control-api in-process over SQLite.
//!
//! Five interviews run at once on one worker: quiet speech (about -45 dBFS) gets a
//! `too_quiet` nudge on `interviewer.nudge`; the same quiet speech in an interview created
//! with `interview_config.nudges: false` gets none; normal speech gets no nudge for a minute;
//! espeak at 260 words per minute gets `too_fast`; a synthetic voice of known pitch is
//! measured. Then control-api holds about one timeline point per second of each session, a
//! summary whose speech rate is within 20 % of espeak's and whose F0 is within 10 % of the
//! synthetic voice's, and the report's coaching section.
//! The delay from the start of quiet speech to its nudge is printed, not asserted (the
//! policy's 3 s bound is tested in fake time in `dsp/tests/nudge.rs`).

mod common;
mod worker_common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::speech::{self, Voice};
use worker_common::fleet::{Candidate, Fleet, TURN, agent_of};

/// What every candidate says (and the fake recognizer hears in every burst). espeak-ng's
/// words per minute depend on word length; on this sentence its measured pace (words over
/// the sound's length) is within 1 % of the rate asked for, at 160 and at 260.
const SENTENCE: &str = "I designed the payment service and measured every request, then I improved \
    the slowest database queries for our customers";
const SENTENCE_WORDS: usize = 19;
/// How long the normal-speech candidate keeps speaking.
const NORMAL_SECONDS: f64 = 60.0;
/// The synthetic voice's F0.
const SYNTHETIC_F0: f32 = 150.0;

/// `SENTENCE` spoken at `wpm`, scaled so its speech RMS is `dbfs` (or as espeak made it),
/// followed by `pause` seconds of silence.
fn spoken(dir: &Path, name: &str, wpm: u32, dbfs: Option<f32>, pause: f32) -> Result<PathBuf> {
    let raw = dir.join(format!("{name}.raw.wav"));
    let voice = Voice {
        words_per_minute: wpm,
        ..Voice::default()
    };
    speech::speak(SENTENCE, &voice, &raw)?;
    let (rate, mut samples) = speech::read_wav(&raw)?;
    if let Some(target) = dbfs {
        // RMS over the 20 ms blocks that carry speech (within 30 dB of the loudest).
        let blocks: Vec<f32> = samples
            .chunks(960)
            .map(|b| (b.iter().map(|s| s * s).sum::<f32>() / b.len() as f32).sqrt())
            .collect();
        let loudest = blocks.iter().copied().fold(0.0f32, f32::max);
        let voiced: Vec<f32> = blocks.into_iter().filter(|r| *r > loudest * 0.03).collect();
        let rms = (voiced.iter().map(|r| r * r).sum::<f32>() / voiced.len().max(1) as f32).sqrt();
        let gain = 10f32.powf(target / 20.0) / rms.max(1e-6);
        samples.iter_mut().for_each(|s| *s *= gain);
    }
    samples.extend(speech::silence(pause));
    let out = dir.join(format!("{name}.wav"));
    speech::write_wav(&out, rate, &samples)?;
    Ok(out)
}

/// A buzzy vowel at [`SYNTHETIC_F0`] (harmonics falling at 6 dB per octave) in four
/// syllables per second, `seconds` long, at 48 kHz.
fn synthetic_voice(dir: &Path, seconds: f32) -> Result<PathBuf> {
    let rate = speech::RATE as f32;
    let samples: Vec<f32> = (0..(seconds * rate) as usize)
        .map(|i| {
            let t = i as f32 / rate;
            let buzz: f32 = (1..=12)
                .map(|k| (std::f32::consts::TAU * SYNTHETIC_F0 * k as f32 * t).sin() / k as f32)
                .sum();
            let syllable = (t * 4.0).fract();
            let envelope = if syllable < 0.75 {
                (std::f32::consts::PI * syllable / 0.75).sin()
            } else {
                0.0
            };
            0.08 * buzz * envelope
        })
        .collect();
    let out = dir.join("synthetic.wav");
    speech::write_wav(&out, speech::RATE, &samples)?;
    Ok(out)
}

fn nudges(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["event"] == "data_received" && e["topic"] == contract::topics::NUDGE)
        .filter_map(|e| {
            let mut nudge: Value = serde_json::from_str(e["text"].as_str()?).ok()?;
            nudge["received_at"] = e["t"].clone();
            nudge["from"] = e["identity"].clone();
            Some(nudge)
        })
        .collect()
}

/// Waits until the agent is in the candidate's room, then queues `wavs` on the microphone.
async fn speak(
    worker: &worker_common::WorkerProcess,
    candidate: &mut Candidate,
    wavs: &[PathBuf],
) -> Result<()> {
    if let Err(e) = agent_of(&mut candidate.client, None).await {
        let log = worker.log_text();
        let tail: Vec<&str> = log.lines().rev().take(80).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        anyhow::bail!("{e:#}\nthe worker's log ends:\n{}", tail.join("\n"));
    }
    for wav in wavs {
        candidate.client.play(wav).await?;
    }
    Ok(())
}

/// Leaves the room; returns every event the candidate saw.
async fn leave(candidate: Candidate) -> Result<(String, Vec<Value>)> {
    let id = candidate.interview.id.clone();
    Ok((id, candidate.client.leave().await?))
}

/// The interview's timeline once the agent's summary has arrived (bounded).
async fn stored_timeline(fleet: &Fleet, id: &str) -> Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let timeline = fleet
            .control
            .owner_get(&format!("/api/v1/interviews/{id}/timeline"))
            .await?;
        if !timeline["sessions"][0]["summary"].is_null() {
            return Ok(timeline);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "no delivery summary for {id}: {timeline}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn within(measured: f64, expected: f64, tolerance: f64) -> bool {
    (measured - expected).abs() <= tolerance * expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nudges_reach_the_candidate_and_the_timeline_reaches_the_report() -> Result<()> {
    let _turn = TURN.lock().await;
    // The recognizer hears `SENTENCE` in every burst. The agent asks it to settle its words
    // at every pause of 100 ms, inside the sentence too: it settles the words said so far,
    // as Deepgram does, at espeak's pace at 160 words a minute (about 0.34 voiced seconds a
    // word) until a connection has heard an answer to its end, and then at that answer's
    // own pace, so each final's words span the time they were said in and give a true rate
    // for the fast candidate too.
    let stt = FakeDeepgram::start(DeepgramScript {
        utterances: vec![SENTENCE.to_owned(); 256],
        endpointing: 0.5,
        finalize_words: Some(0.34),
        ..DeepgramScript::default()
    })
    .await?;
    let fleet = Fleet::start_with_stt("delivery-agent", false, stt).await?;
    // Enough questions that the normal-speech interview does not run out within a minute.
    let questions: Vec<String> = (1..=30).map(|i| format!("Question {i}. Go on.")).collect();
    let questions: Vec<&str> = questions.iter().map(String::as_str).collect();
    let worker = fleet
        .worker_asking("delivery-worker", 5, &questions)
        .await?;
    let dir = fleet.dir.path();

    let quiet = spoken(dir, "quiet", 160, Some(-45.0), 1.0)?;
    let normal = spoken(dir, "normal", 160, None, 0.8)?;
    let fast = spoken(dir, "fast", 260, None, 0.8)?;
    let synthetic = synthetic_voice(dir, 8.0)?;
    let (_, normal_samples) = speech::read_wav(&normal)?;
    let one = f64::from(tests::signal::seconds(&normal_samples, speech::RATE));
    let repeats = (NORMAL_SECONDS / one).ceil() as usize;

    let mut a = fleet.interview("quiet").await?;
    let mut e = fleet
        .interview_with(
            "quiet-no-nudges",
            json!({"title": "quiet-no-nudges", "interview_config": {"nudges": false}}),
        )
        .await?;
    let mut b = fleet.interview("normal").await?;
    let mut c = fleet.interview("fast").await?;
    let mut d = fleet.interview("synthetic").await?;
    speak(&worker, &mut a, &[quiet.clone(), quiet.clone()]).await?;
    speak(&worker, &mut e, &[quiet.clone(), quiet]).await?;
    // Two seconds of silence at the end let the recognizer finish the last answer.
    let tail = dir.join("tail.wav");
    speech::write_wav(&tail, speech::RATE, &speech::silence(2.0))?;
    let mut minute = vec![normal; repeats];
    minute.push(tail);
    speak(&worker, &mut b, &minute).await?;
    // Five answers: a shared machine that delays the agent's replies into the candidate's
    // speech still leaves some answer heard whole while the agent listens.
    speak(&worker, &mut c, &vec![fast; 5]).await?;
    speak(&worker, &mut d, &[synthetic]).await?;

    // Quiet speech: `too_quiet` on the topic, from the agent.
    let (_, nudge) = worker_common::fleet::find(
        &mut a.client,
        0,
        Duration::from_secs(60),
        "too_quiet",
        |e| e["event"] == "data_received" && e["topic"] == contract::topics::NUDGE,
    )
    .await?;
    let played = a
        .client
        .events()
        .iter()
        .find(|e| e["event"] == "play_started")
        .and_then(|e| e["t"].as_f64())
        .context("play_started")?;
    let message: contract::delivery::NudgeMessage =
        serde_json::from_str(nudge["text"].as_str().context("text")?)?;
    assert_eq!(
        message.kind,
        contract::delivery::NudgeKind::TooQuiet,
        "{nudge}"
    );
    assert_eq!(message.metric, "speech_dbfs");
    assert!(
        message.value < -38.0,
        "the quiet speech measured {}",
        message.value
    );
    let delay = nudge["t"].as_f64().unwrap_or(0.0) - played;
    eprintln!(
        "too_quiet arrived {delay:.2} s after the quiet speech started playing (speech at {:.1} dBFS)",
        message.value
    );

    // Fast speech: `too_fast`.
    let (_, fast_nudge) =
        worker_common::fleet::find(&mut c.client, 0, Duration::from_secs(60), "too_fast", |e| {
            e["event"] == "data_received"
                && e["topic"] == contract::topics::NUDGE
                && e["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("\"too_fast\""))
        })
        .await?;
    eprintln!("too_fast at 260 wpm: {}", fast_nudge["text"]);

    // The minute of normal speech, then everyone leaves.
    let mut from = 0;
    for _ in 0..=repeats {
        let (at, _) = worker_common::fleet::find(
            &mut b.client,
            from,
            Duration::from_secs(60),
            "a normal answer played",
            |e| e["event"] == "play_done",
        )
        .await?;
        from = at + 1;
    }
    let mut left = Vec::new();
    for candidate in [a, e, b, c, d] {
        left.push(leave(candidate).await?);
    }
    let [
        (a_id, a_events),
        (e_id, e_events),
        (b_id, b_events),
        (c_id, c_events),
        (d_id, _),
    ] = <[(String, Vec<Value>); 5]>::try_from(left).map_err(|_| anyhow::anyhow!("five"))?;

    // Never two nudges of a kind within the cooldown; never from anyone but the agent.
    let cooldown = dsp::nudge::NudgeConfig::default().cooldown.as_secs_f64();
    for events in [&a_events, &c_events] {
        let got = nudges(events);
        for (i, n) in got.iter().enumerate() {
            assert!(
                n["from"].as_str().is_some_and(|f| f.starts_with("agent-")),
                "{n}"
            );
            for later in &got[i + 1..] {
                if later["kind"] == n["kind"] {
                    let gap =
                        later["time"].as_f64().unwrap_or(0.0) - n["time"].as_f64().unwrap_or(0.0);
                    assert!(gap >= cooldown, "two {} nudges {gap} s apart", n["kind"]);
                }
            }
        }
    }
    assert!(
        nudges(&e_events).is_empty(),
        "nudges were off: {:?}",
        nudges(&e_events)
    );
    assert!(
        nudges(&b_events).is_empty(),
        "normal speech was nudged: {:?}",
        nudges(&b_events)
    );
    let spoke = b_events
        .iter()
        .filter(|e| e["event"] == "play_done")
        .count();
    assert_eq!(
        spoke,
        repeats + 1,
        "the normal candidate spoke for the whole minute"
    );

    // Stored: about one point per second, the summary, the coaching section.
    let timeline = stored_timeline(&fleet, &b_id).await?;
    let summary = &timeline["sessions"][0]["summary"];
    let points = timeline["points"].as_array().context("points")?.len() as f64;
    let total = summary["total_seconds"].as_f64().context("total")?;
    eprintln!(
        "normal speech: {points} timeline points over {total:.1} s of audio; summary {summary}"
    );
    assert!(
        (points - total).abs() <= 2.0,
        "{points} points for {total} s"
    );
    assert!(total >= NORMAL_SECONDS, "the session heard {total} s");
    let rate = summary["audio_features"]["speech_rate"]
        .as_f64()
        .context("rate")?;
    assert_eq!(summary["speech_rate_source"], "transcript");
    assert!(
        within(rate, 160.0, 0.2),
        "speech rate {rate} wpm vs espeak's 160"
    );
    let words = summary["words"].as_u64().context("words")? as usize;
    assert!(
        (SENTENCE_WORDS * (repeats - 1)..=SENTENCE_WORDS * repeats).contains(&words),
        "{words} words heard in {repeats} sentences"
    );
    let report = fleet
        .control
        .owner_get(&format!("/api/v1/interviews/{b_id}/report"))
        .await?;
    assert_eq!(
        report["coaching"]["audio_features"], summary["audio_features"],
        "{report}"
    );

    let timeline = stored_timeline(&fleet, &d_id).await?;
    let pitch = timeline["sessions"][0]["summary"]["pitch_mean_hz"]
        .as_f64()
        .context("pitch")?;
    eprintln!("synthetic voice at {SYNTHETIC_F0} Hz: mean F0 {pitch:.1} Hz");
    assert!(
        within(pitch, f64::from(SYNTHETIC_F0), 0.1),
        "F0 {pitch} vs {SYNTHETIC_F0}"
    );

    // The nudges are in the interview's events too, and the summary counts them.
    let state = fleet.control.state(&a_id).await?;
    let stored: Vec<&Value> = state["events"]
        .as_array()
        .context("events")?
        .iter()
        .filter(|e| e["type"] == "nudge")
        .collect();
    assert!(
        stored.iter().any(|e| e["data"]["kind"] == "too_quiet"),
        "{stored:?}"
    );
    let timeline = stored_timeline(&fleet, &a_id).await?;
    assert_eq!(
        timeline["sessions"][0]["summary"]["nudges"].as_u64(),
        Some(stored.len() as u64)
    );
    let timeline = stored_timeline(&fleet, &e_id).await?;
    assert_eq!(timeline["sessions"][0]["summary"]["nudges"], 0);
    let _ = c_id;
    Ok(())
}
