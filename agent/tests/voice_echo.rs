//! Must show 5: the client mixes the agent's received audio back into its microphone at
//! -20 dB, like a speakerphone; over a three-turn conversation the agent never interrupts
//! itself and every answer is heard.

mod common;
mod voice_common;

use anyhow::Result;
use conversation::Role;
use tests::fakes::deepgram::DeepgramScript;
use voice_common::{Rig, config, words};

const QUESTIONS: [&str; 3] = [
    "Hello. Please tell me about the work you do today, and what you enjoy the most about it.",
    "Thank you. Which tools do you reach for when a production system misbehaves at night?",
    "Good. How do you explain a difficult technical decision to people outside your team?",
];
const ANSWERS: [&str; 3] = [
    "I build payment systems.",
    "I start with the logs.",
    "I draw a simple picture.",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_at_minus_20_db_never_interrupts_the_agent() -> Result<()> {
    let script = DeepgramScript {
        utterances: ANSWERS.iter().map(|a| (*a).to_owned()).collect(),
        endpointing: 0.6,
        // The fake transcribes any energy as the next scripted answer; its gate sits above
        // the -20 dB echo so only the candidate's own words become text. The echo still
        // reaches the agent's VAD and its envelope echo guard.
        rms_gate: 0.05,
        ..DeepgramScript::default()
    };
    let mut rig = Rig::start("voice-echo", script, Some(-20.0), |url| {
        config(url, &QUESTIONS, None)
    })
    .await?;
    for (i, answer) in ANSWERS.iter().enumerate() {
        let asked = rig.agent_final(i).await?;
        assert_eq!(words(&asked), words(QUESTIONS[i]), "question {i} was cut");
        rig.say(&format!("answer{i}"), answer).await?;
    }
    rig.agent_final(3).await?;
    let (report, _events, _, _dir) = rig.finished().await?;

    eprintln!("ducks: {:?}, flushes: {:?}", report.ducks, report.flushes);
    assert!(
        report.flushes.is_empty(),
        "the agent flushed itself at {:?}",
        report.flushes
    );
    assert!(
        report.history.iter().all(|m| !m.interrupted),
        "{:?}",
        report.history
    );
    let answers: Vec<Vec<String>> = report
        .history
        .iter()
        .filter(|m| m.role == Role::Candidate)
        .map(|m| words(&m.text))
        .collect();
    let expected: Vec<Vec<String>> = ANSWERS.iter().map(|a| words(a)).collect();
    assert_eq!(answers, expected);
    Ok(())
}
