//! Must show 3: a backchannel ("mhmm") and a cough-like noise burst while the agent speaks
//! neither end nor restart its answer, and no word of it is lost. A brief duck is allowed;
//! its length is reported.

mod common;
mod voice_common;

use anyhow::{Context, Result};
use tests::fakes::deepgram::DeepgramScript;
use tests::speech;
use voice_common::{Rig, STEP, config, finals, words};

const QUESTION: &str = "Before we begin, let me explain how this interview works. \
I will ask you five questions about your experience, and you can take your time with \
each answer. There are no trick questions, and it is fine to think out loud. \
If something is unclear, just ask me to repeat it. When you are ready, \
tell me about the last system you designed.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backchannel_and_a_cough_do_not_interrupt_the_agent() -> Result<()> {
    let script = DeepgramScript {
        utterances: vec!["Mhmm.".into()],
        endpointing: 0.6,
        ..DeepgramScript::default()
    };
    let mut rig = Rig::start("voice-backchannel", script, None, |url| {
        config(url, &[QUESTION], None)
    })
    .await?;
    let dir = rig.dir.path().to_path_buf();
    let mhmm = voice_common::answer(&dir, "mhmm", "Mhmm.", 0.3)?;
    let cough = dir.join("cough.wav");
    let cough_str = cough.to_str().context("path")?;
    // 150 ms of loud filtered noise with a sharp attack: a cough, not words.
    speech::sox(&[
        "-n",
        "-r",
        "48000",
        "-c",
        "1",
        "-b",
        "16",
        cough_str,
        "synth",
        "0.15",
        "brownnoise",
        "vol",
        "0.6",
        "fade",
        "0",
        "0.15",
        "0.1",
        "pad",
        "0",
        "0.3",
    ])?;
    rig.client
        .wait_for(STEP, |e| {
            e["event"] == "text_received"
                && e["attributes"]["lk.segment_id"] == "SG_agent_0"
                && e["text"]
                    .as_str()
                    .is_some_and(|t| t.split_whitespace().count() >= 6)
        })
        .await?;
    rig.client.play(&mhmm).await?;
    rig.client
        .wait_for(STEP, |e| {
            e["event"] == "text_received"
                && e["attributes"]["lk.segment_id"] == "SG_agent_0"
                && e["text"]
                    .as_str()
                    .is_some_and(|t| t.split_whitespace().count() >= 25)
        })
        .await?;
    rig.client.play(&cough).await?;
    let said = rig.agent_final(0).await?;
    let (report, events, _, _dir) = rig.stop().await?;

    eprintln!("ducks while judging: {:?}", report.ducks);
    assert_eq!(
        words(&said),
        words(QUESTION),
        "the whole question was played"
    );
    assert!(report.flushes.is_empty(), "flushed at {:?}", report.flushes);
    let agent_finals: Vec<_> = finals(&events)
        .into_iter()
        .filter(|(who, _, _)| who == "agent")
        .collect();
    assert_eq!(
        agent_finals.len(),
        1,
        "the answer was not restarted: {agent_finals:?}"
    );
    let first = &report.history[0];
    assert!(!first.interrupted);
    assert_eq!(words(&first.text), words(QUESTION));
    assert!(
        report.ducks.iter().all(|d| d.as_millis() < 2000),
        "a duck lasted too long: {:?}",
        report.ducks
    );
    // Both bursts were heard by the agent (the STT saw the backchannel, the VAD the noise).
    assert!(
        report
            .history
            .iter()
            .all(|m| !words(&m.text).contains(&"mhmm".to_owned())),
        "the backchannel became a turn: {:?}",
        report.history
    );
    Ok(())
}
