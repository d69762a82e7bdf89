//! The candidate talks over a long agent answer through a real room. Measured from the
//! client's own recording, the agent's voice drops (the duck) and then stops after the
//! candidate's speech onset, and the history keeps only the words that were played, marked
//! interrupted. The times are checked against generous liveness bounds only; their figures
//! (p50/p90 over repeated interruptions) come from `scripts/bench-room.sh`.

mod common;
mod voice_common;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use conversation::Role;
use providers::llm::{Llm, OpenAiChat, OpenAiChatConfig};
use providers::retry::RetryPolicy;
use tests::fakes::deepgram::DeepgramScript;
use tests::fakes::openai_chat::{self, ChatScript};
use tests::pyclient::{recording_timeline, wall_time};
use tests::{signal, speech};
use voice_common::{Rig, STEP, answer, config, words};

const LONG_ANSWER: &str = "Let me describe the role in some detail before my first question. \
The team builds a storage engine that serves many thousands of requests every second. \
You would work on the replication layer, on the query planner, and on the tools we use \
to watch the whole system in production. Most of the work happens in Rust, with some \
Python for the tooling around it. We review every change carefully and we value clear \
writing as much as clear code. Now, before we go on, do you have any questions?";

pub fn openai(base_url: String) -> Result<Arc<dyn Llm>> {
    Ok(Arc::new(OpenAiChat::new(OpenAiChatConfig {
        base_url,
        api_key: Some("sk-test".into()),
        model: "fake".into(),
        first_token_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        retry: RetryPolicy::default(),
    })?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn talking_over_the_agent_ducks_then_stops_it_and_keeps_the_words_heard() -> Result<()> {
    let llm = openai_chat::start(ChatScript {
        replies: vec![LONG_ANSWER.into(), "Sure, go ahead and ask.".into()],
        time_to_first_token: Duration::from_millis(50),
        per_token_delay: Duration::from_millis(5),
        ..ChatScript::default()
    })
    .await?;
    let interruption = "Sorry, may I ask something about the team first?";
    let script = DeepgramScript {
        utterances: vec![interruption.into()],
        endpointing: 0.6,
        ..DeepgramScript::default()
    };
    let model = openai(llm.base_url())?;
    let mut rig = Rig::start("voice-barge-in", script, None, move |url| {
        config(url, &[], Some(model))
    })
    .await?;
    // Let the agent speak for about three seconds, then talk over it.
    rig.client
        .wait_for(STEP, |e| {
            e["event"] == "first_audio" && e["identity"] == "agent"
        })
        .await?;
    let wav = answer(rig.dir.path(), "interrupt", interruption, 0.5)?;
    rig.client
        .wait_for(STEP, |e| {
            e["event"] == "text_received"
                && e["attributes"]["lk.segment_id"] == "SG_agent_0"
                && e["text"]
                    .as_str()
                    .is_some_and(|t| t.split_whitespace().count() >= 8)
        })
        .await?;
    rig.client.play(&wav).await?;
    let started = rig
        .client
        .wait_for(STEP, |e| e["event"] == "play_started")
        .await?;
    rig.agent_final(0).await?;
    let reply = rig.agent_final(1).await?;
    assert_eq!(reply, "Sure, go ahead and ask.");
    let (report, _events, recording, _dir) = rig.stop().await?;

    // The candidate's speech onset on the client's clock: play start + first loud sample.
    let (_, spoken) = speech::read_wav(&wav)?;
    let lead = signal::first_above(&spoken, 0.05).context("silent interruption")?;
    // The microphone queue holds `queued` seconds ahead of the first frame.
    let queued = started["queued"].as_f64().unwrap_or(0.0);
    let onset =
        started["t"].as_f64().context("play_started time")? + queued + lead as f64 / 48_000.0;
    // In the client's recording: the agent's level before the onset (its loudest 20 ms in
    // the half second before), the first 200 ms after which it stays 10 dB below that (the
    // duck), and the first 20 ms window from which it stays quiet for a whole second.
    let (_, heard) = speech::read_wav(&recording)?;
    let timeline = recording_timeline(&recording)?;
    let envelope = signal::envelope_20ms(&heard, 48_000);
    let onset_window = timeline
        .iter()
        .rev()
        .find(|(_, t)| *t <= onset)
        .map(|(o, t)| (*o as f64 + (onset - t) * 48_000.0) as usize / 960)
        .context("onset before the recording")?;
    let before = &envelope[onset_window.saturating_sub(25)..onset_window.min(envelope.len())];
    let level = before.iter().copied().fold(0.0_f32, f32::max);
    assert!(level > 0.01, "the agent was speaking at the onset");
    let quiet = 50;
    let from = onset_window.saturating_sub(25);
    let last = envelope.len().saturating_sub(quiet);
    let duck_window = (onset_window..last)
        .find(|&w| envelope[w..w + 10].iter().all(|&r| r < level * 0.316))
        .context("the agent never yielded")?;
    let stop_window = (from..last)
        .find(|&w| envelope[w..w + quiet].iter().all(|&r| r < 0.01))
        .context("the agent never stopped")?;
    let at = |w: usize| wall_time(&timeline, (w * 960) as u64).context("timeline");
    let (ducked, stopped) = (at(duck_window)? - onset, at(stop_window)? - onset);
    eprintln!(
        "agent voice -10 dB {:.0} ms and silent {:.0} ms after the candidate's onset; ducks {:?}",
        ducked * 1000.0,
        stopped * 1000.0,
        report.ducks
    );
    assert!(
        stopped <= 3.0,
        "the agent went on for {:.0} ms",
        stopped * 1000.0
    );
    assert!(
        stopped > -0.5,
        "the agent stopped before the candidate spoke ({stopped:.3} s)"
    );
    assert!(ducked <= 1.5, "the agent yielded after {ducked:.3} s");

    // History: the first agent message is a strict word prefix of the answer, interrupted.
    let first = &report.history[0];
    assert_eq!(first.role, Role::Agent);
    assert!(first.interrupted, "history: {:?}", report.history);
    let (heard_words, all_words) = (words(&first.text), words(LONG_ANSWER));
    assert!(
        heard_words.len() >= 8 && heard_words.len() < all_words.len() - 10,
        "kept {} of {} words: {:?}",
        heard_words.len(),
        all_words.len(),
        first.text
    );
    assert_eq!(heard_words[..], all_words[..heard_words.len()]);
    assert_eq!(report.history[1].role, Role::Candidate);
    assert_eq!(words(&report.history[1].text), words(interruption));
    assert!(report.turns[0].interrupted);
    Ok(())
}
