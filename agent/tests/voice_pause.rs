//! Must show 4: a candidate who pauses 1.5 s mid-sentence after "and" is not cut off: the
//! agent waits, the two halves end up in one turn, and the agent only then moves on.

mod common;
mod voice_common;

use anyhow::{Context, Result};
use conversation::Role;
use tests::fakes::deepgram::DeepgramScript;
use tests::speech;
use voice_common::{Rig, config, finals, words};

const FIRST: &str = "I worked on the storage engine and";
const SECOND: &str = "then I led a small team of five.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_after_and_does_not_end_the_turn() -> Result<()> {
    let script = DeepgramScript {
        utterances: vec![FIRST.into(), SECOND.into()],
        endpointing: 0.6,
        ..DeepgramScript::default()
    };
    let questions = [
        "Tell me about your last project.",
        "What was the hardest part?",
    ];
    let mut rig = Rig::start("voice-pause", script, None, |url| {
        config(url, &questions, None)
    })
    .await?;
    rig.agent_final(0).await?;

    // "... and" <1.5 s of silence> "then ...", one WAV played as one microphone stream.
    let dir = rig.dir.path().to_path_buf();
    let first = dir.join("first.wav");
    let second = dir.join("second.wav");
    speech::speak(FIRST, &speech::Voice::default(), &first)?;
    speech::speak(SECOND, &speech::Voice::default(), &second)?;
    let (rate, mut samples) = speech::read_wav(&first)?;
    let first_len = samples.len();
    samples.extend(speech::silence(1.5));
    let (_, tail) = speech::read_wav(&second)?;
    samples.extend(tail);
    samples.extend(speech::silence(0.5));
    let wav = dir.join("paused.wav");
    speech::write_wav(&wav, rate, &samples)?;
    rig.client.play(&wav).await?;
    let started = rig
        .client
        .wait_for(voice_common::STEP, |e| e["event"] == "play_started")
        .await?;
    let next = rig.agent_final(1).await?;
    assert_eq!(next, questions[1]);
    let (report, events, _, _dir) = rig.stop().await?;

    // The agent did not start thinking before the second half began.
    let second_starts =
        started["t"].as_f64().context("time")? + (first_len as f64 / 48_000.0) + 1.5;
    let thinking: Vec<f64> = events
        .iter()
        .filter(|e| {
            e["event"] == "attributes_changed" && e["attributes"]["lk.agent.state"] == "thinking"
        })
        .filter_map(|e| e["t"].as_f64())
        .filter(|t| *t > started["t"].as_f64().unwrap_or(0.0))
        .collect();
    let first_thinking = thinking
        .first()
        .copied()
        .context("never thinking after the answer")?;
    eprintln!(
        "agent started thinking {:.2} s after the second half began",
        first_thinking - second_starts
    );
    assert!(
        first_thinking > second_starts,
        "the agent took its turn {:.2} s before the candidate went on",
        second_starts - first_thinking
    );

    // One candidate turn holding both halves.
    let candidate: Vec<_> = finals(&events)
        .into_iter()
        .filter(|(who, _, _)| who == "candidate")
        .collect();
    assert_eq!(candidate.len(), 1, "candidate finals: {candidate:?}");
    let mut expected = words(FIRST);
    expected.extend(words(SECOND));
    assert_eq!(words(&candidate[0].2), expected);
    let said: Vec<_> = report
        .history
        .iter()
        .filter(|m| m.role == Role::Candidate)
        .collect();
    assert_eq!(said.len(), 1);
    assert_eq!(words(&said[0].text), expected);
    Ok(())
}
