//! Must show 1: a five-turn spoken interview completes against a real livekit-server with
//! the official Python client answering in espeak-ng speech; both sides' transcripts reach
//! the client in conversation order; the fillers the recognizer heard reach the delivery
//! summary.

mod common;
mod voice_common;

use anyhow::Result;
use conversation::Role;
use tests::fakes::deepgram::DeepgramScript;
use voice_common::{Rig, config, finals, words};

const QUESTIONS: [&str; 5] = [
    "Hello. Please tell me your name.",
    "Which language do you like most?",
    "What did you build last year?",
    "How do you test your code?",
    "Why do you want this job?",
];

const ANSWERS: [&str; 5] = [
    "My name is Alex Morgan.",
    "I like Rust the most.",
    "I built a message queue.",
    "Um, I write tests for, uh, every change.",
    "I enjoy hard problems here.",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_five_turn_interview_completes_with_ordered_transcripts() -> Result<()> {
    let script = DeepgramScript {
        utterances: ANSWERS.iter().map(|a| (*a).to_owned()).collect(),
        endpointing: 0.6,
        ..DeepgramScript::default()
    };
    let mut rig = Rig::start("voice-turns", script, None, |url| {
        config(url, &QUESTIONS, None)
    })
    .await?;
    for (i, answer) in ANSWERS.iter().enumerate() {
        let asked = rig.agent_final(i).await?;
        assert_eq!(asked, QUESTIONS[i], "question {i} as transcribed");
        rig.say(&format!("answer{i}"), answer).await?;
    }
    let closing = rig.agent_final(5).await?;
    assert!(closing.contains("last question"), "closing: {closing}");
    let (report, events, _, _dir) = rig.finished().await?;

    // Both sides, in conversation order: question, answer, question, ... closing.
    let got = finals(&events);
    let mut expected = Vec::new();
    for i in 0..5 {
        expected.push((
            "agent".to_owned(),
            format!("SG_agent_{i}"),
            QUESTIONS[i].to_owned(),
        ));
        expected.push((
            "candidate".to_owned(),
            format!("SG_candidate_{i}"),
            ANSWERS[i].to_owned(),
        ));
    }
    let got_keys: Vec<_> = got
        .iter()
        .map(|(who, seg, text)| (who.clone(), seg.clone(), words(text)))
        .collect();
    let expected_keys: Vec<_> = expected
        .iter()
        .map(|(who, seg, text)| (who.clone(), seg.clone(), words(text)))
        .collect();
    assert_eq!(
        &got_keys[..10],
        &expected_keys[..],
        "final transcripts in order"
    );
    assert_eq!(got.len(), 11, "ten turns and the closing line: {got:?}");

    // Interim candidate text arrived before each final, under the same segment id.
    for i in 0..5 {
        let seg = format!("SG_candidate_{i}");
        let first_interim = events.iter().position(|e| {
            e["attributes"]["lk.segment_id"] == seg.as_str()
                && e["attributes"]["lk.transcription_final"] == "false"
        });
        let final_at = events.iter().position(|e| {
            e["attributes"]["lk.segment_id"] == seg.as_str()
                && e["attributes"]["lk.transcription_final"] == "true"
        });
        assert!(
            matches!((first_interim, final_at), (Some(a), Some(b)) if a < b),
            "segment {seg}: interim {first_interim:?}, final {final_at:?}"
        );
    }

    // The agent's state was published: speaking, listening and thinking all seen.
    for state in ["speaking", "listening", "thinking"] {
        assert!(
            events.iter().any(|e| e["event"] == "attributes_changed"
                && e["identity"] == "agent"
                && e["attributes"]["lk.agent.state"] == state),
            "lk.agent.state never was {state}"
        );
    }

    // The history alternates and nothing was cut; every turn has its latencies.
    let roles: Vec<Role> = report.history.iter().map(|m| m.role).collect();
    assert_eq!(roles.len(), 11, "history: {:?}", report.history);
    assert!(
        roles
            .chunks(2)
            .all(|p| p[0] == Role::Agent && p.get(1).is_none_or(|r| *r == Role::Candidate))
    );
    assert!(report.history.iter().all(|m| !m.interrupted));
    for t in report.turns.iter().skip(1) {
        let e2e = t.end_to_end.expect("end of speech to agent audio");
        eprintln!(
            "turn {}: end of turn {:?}, STT final {:?}, TTS first byte {:?}, end of speech to audio {:?}",
            t.turn, t.end_of_turn_delay, t.stt_final_delay, t.tts_ttfb, t.end_to_end
        );
        assert!(e2e.as_secs_f64() < 5.0, "turn {} took {e2e:?}", t.turn);
    }
    assert_eq!(report.turns.len(), 6);

    // Fillers come from the recognizer's words: two in 27.
    let delivery = report.delivery.expect("a delivery summary");
    let words: usize = ANSWERS.iter().map(|a| words(a).len()).sum();
    assert_eq!((delivery.words as usize, delivery.fillers), (words, 2));
    let ratio = delivery
        .audio_features
        .filler_word_ratio
        .expect("a filler ratio");
    assert!((ratio - 2.0 / words as f64).abs() < 1e-3, "{ratio}");
    assert_eq!(delivery.speech_rate_source, "transcript");
    assert!(
        delivery.speech_seconds > 3.0 && delivery.agent_seconds > 5.0,
        "{delivery:?}"
    );
    Ok(())
}
