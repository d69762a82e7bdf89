//! Must show 2: the candidate talks over a long agent answer. Measured from the client's own
//! recording, the agent's audio stops within 600 ms of the candidate's speech onset, and the
//! history keeps only the words that were played, marked interrupted.

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
async fn talking_over_the_agent_stops_it_within_600_ms() -> Result<()> {
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
    // When the agent fell silent in the client's recording: the first 20 ms window after the
    // onset from which the agent stays quiet for a whole second.
    let (_, heard) = speech::read_wav(&recording)?;
    let timeline = recording_timeline(&recording)?;
    let envelope = signal::envelope_20ms(&heard, 48_000);
    let onset_window = timeline
        .iter()
        .rev()
        .find(|(_, t)| *t <= onset)
        .map(|(o, t)| (*o as f64 + (onset - t) * 48_000.0) as usize / 960)
        .context("onset before the recording")?;
    let quiet = 50;
    let stop_window = (onset_window.saturating_sub(25)..envelope.len().saturating_sub(quiet))
        .find(|&w| envelope[w..w + quiet].iter().all(|&r| r < 0.01))
        .context("the agent never stopped")?;
    let stopped = wall_time(&timeline, (stop_window * 960) as u64).context("timeline")?;
    let after = stopped - onset;
    eprintln!(
        "agent audio stopped {:.0} ms after the candidate's speech onset; ducks {:?}",
        after * 1000.0,
        report.ducks
    );
    assert!(
        after <= 0.600,
        "the agent went on for {:.0} ms",
        after * 1000.0
    );
    assert!(
        after > -0.5,
        "the agent stopped before the candidate spoke ({after:.3} s)"
    );

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
