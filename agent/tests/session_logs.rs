//! What a job logs, in paused tokio time over the in-memory room (`paused/`): every line of
//! the session carries the job's ids and provider calls are child spans with their latency.
//!
//! Alone in its binary on purpose: `tracing` caches each callsite's interest for the whole
//! process, so a span first reached by a concurrent test (no subscriber on its thread) while
//! this test's subscriber is being installed can stay disabled here, and the line loses it.

mod paused;

use std::sync::Arc;

use agent::session::VoiceRunner;
use paused::{Call, Rig, ScriptedLlm, ScriptedStt, ScriptedTts, SttScript, config, speech};

const ANSWER: &str = "My name is Alex Morgan.";
const REPLIES: [&str; 2] = [
    "Welcome. Tell me about your current job.",
    "Interesting. What would you change about it?",
];

#[tokio::test(start_paused = true)]
async fn a_jobs_log_lines_carry_its_ids_and_provider_calls_are_child_spans_with_latency() {
    let logs = tests::logs::Logs::capture();

    let llm = Arc::new(ScriptedLlm::new([
        Call::Reply(REPLIES[0].to_owned()),
        Call::Reply(REPLIES[1].to_owned()),
    ]));
    let tts = Arc::new(ScriptedTts::new(0));
    let stt = ScriptedStt::new(SttScript {
        utterances: vec![ANSWER.to_owned()],
        ..SttScript::default()
    });
    let mut c = config(&stt, &tts, Some(&llm), &[]);
    c.end_when_done = false;
    let job = livekit_protocol::Job {
        id: "AJ_spans".into(),
        room: Some(livekit_protocol::Room {
            name: "room-spans".into(),
            ..Default::default()
        }),
        metadata: contract::job::JobMetadata::first("iv_spans").to_json(),
        ..Default::default()
    };
    let mut rig = Rig::start_job(VoiceRunner::new(c, None, None), job);
    rig.agent_final(0).await;
    rig.say(&speech(ANSWER)).await;
    rig.agent_final(1).await;
    rig.stop().await;

    let log = logs.text();
    let job = "job{job=AJ_spans room=room-spans interview=iv_spans}";
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" agent::session"))
        .collect();
    assert!(lines.len() >= 4, "too few session lines:\n{log}");
    for line in &lines {
        assert!(line.contains(job), "a session line without its job: {line}");
    }
    // Both LLM calls and every sentence are children of the job, with their latency.
    let llm_done: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains(&format!("{job}:llm{{")) && l.contains("LLM reply done"))
        .collect();
    assert_eq!(llm_done.len(), 2, "{log}");
    for line in llm_done {
        assert!(
            line.contains("first_token_ms=") && line.contains("total_ms="),
            "{line}"
        );
    }
    let synthesized = lines
        .iter()
        .filter(|l| l.contains(&format!("{job}:tts{{")) && l.contains("sentence synthesized"))
        .filter(|l| l.contains("first_audio_ms="))
        .count();
    assert!(synthesized >= 2, "{log}");
}
