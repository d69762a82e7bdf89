//! Must show 6: the STT socket drops mid-answer, the LLM answers 500 twice, the TTS times
//! out; the conversation continues and no candidate word is lost.

mod common;
mod voice_common;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use conversation::Role;
use providers::llm::{OpenAiChat, OpenAiChatConfig};
use providers::retry::RetryPolicy;
use providers::tts::{Espeak, Fallback, HttpTts, HttpTtsConfig, HttpTtsFlavor};
use tests::fakes::deepgram::DeepgramScript;
use tests::fakes::openai_chat::{self, ChatScript};
use tests::fakes::speech::{self as fake_speech, SpeechScript};
use voice_common::{Rig, config, words};

const REPLIES: [&str; 3] = [
    "Welcome. Tell me about your current job.",
    "Interesting. What would you change about it?",
    "Thank you, that is all for today.",
];
const ANSWERS: [&str; 2] = [
    "I maintain the billing service at a small bank.",
    "I would split the service into two parts.",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conversation_survives_stt_llm_and_tts_faults() -> Result<()> {
    let llm = openai_chat::start(ChatScript {
        replies: REPLIES.iter().map(|r| (*r).to_owned()).collect(),
        fail_first: 2,
        time_to_first_token: Duration::from_millis(50),
        ..ChatScript::default()
    })
    .await?;
    let voice = fake_speech::start(SpeechScript {
        hang_first: 1,
        ..SpeechScript::default()
    })
    .await?;
    let script = DeepgramScript {
        utterances: ANSWERS.iter().map(|a| (*a).to_owned()).collect(),
        endpointing: 0.6,
        drop_mid_speech: Some(1.0),
        ..DeepgramScript::default()
    };
    let model = Arc::new(OpenAiChat::new(OpenAiChatConfig {
        base_url: llm.base_url(),
        api_key: Some("sk-test".into()),
        model: "fake".into(),
        first_token_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        retry: RetryPolicy::default(),
    })?);
    let mut tts_config = HttpTtsConfig::new(HttpTtsFlavor::OpenAi, voice.base_url());
    tts_config.first_byte_timeout = Duration::from_millis(800);
    let tts = Arc::new(Fallback {
        primary: HttpTts::new(tts_config)?,
        fallback: Espeak::default(),
    });
    let mut rig = Rig::start("voice-faults", script, None, move |url| {
        let mut c = config(url, &[], Some(model));
        c.tts = tts;
        c
    })
    .await?;
    for (i, answer) in ANSWERS.iter().enumerate() {
        let asked = rig.agent_final(i).await?;
        assert_eq!(asked, REPLIES[i]);
        rig.say(&format!("answer{i}"), answer).await?;
    }
    let last = rig.agent_final(2).await?;
    assert_eq!(last, REPLIES[2]);
    let connections = rig.deepgram.recorded().targets.len();
    assert!(
        connections >= 2,
        "the STT socket never dropped ({connections} connections)"
    );
    let (report, _events, _, _dir) = rig.stop().await?;

    // Every candidate word arrived, the dropped socket's audio included.
    let said: Vec<Vec<String>> = report
        .history
        .iter()
        .filter(|m| m.role == Role::Candidate)
        .map(|m| words(&m.text))
        .collect();
    let expected: Vec<Vec<String>> = ANSWERS.iter().map(|a| words(a)).collect();
    assert_eq!(said, expected);
    let recorded = rig_recorded(&report);
    assert!(recorded >= 3, "only {recorded} agent turns");
    // The fakes saw the faults: two 500s and a hanging voice request before the rest.
    let llm_calls = llm.requests().len();
    assert!(llm_calls >= 5, "{llm_calls} LLM calls");
    assert!(voice.requests().len() >= 2);
    Ok(())
}

fn rig_recorded(report: &agent::session::SessionReport) -> usize {
    report
        .history
        .iter()
        .filter(|m| m.role == Role::Agent && !m.interrupted)
        .count()
}
