//! Engine-level faults: stalled playout, an LLM stream that breaks after the first words.

mod common;

use std::time::Duration;

use common::{Llm, Sim, reply, t};
use conversation::{AgentState, Config, Mode, Output};

#[test]
fn stalled_playout_is_ended_by_the_watchdog_with_only_heard_words() {
    let cfg = Config {
        watchdog: Duration::from_secs(3),
        ..Config::default()
    };
    let mut sim = Sim::new(cfg, Mode::Llm);
    sim.llm_script.push_back(reply(
        "One two three four five six seven eight nine ten eleven twelve.",
    ));
    sim.start();
    let s = sim
        .run_until_state(AgentState::Speaking, 5.0)
        .expect("speaks")
        .since_start()
        .as_secs_f64();
    sim.run_secs(s + 1.0);
    sim.playout_stalled = true;
    let l = sim
        .run_until_state(AgentState::Listening, s + 10.0)
        .expect("watchdog ends the reply");
    assert!(l <= t(s + 1.0 + 3.0 + 0.05), "ended at {l:?}");
    assert!(
        sim.first_at(|o| matches!(o, Output::FlushAudio))
            .is_some_and(|f| f == l)
    );
    let m = &sim.engine.history().messages()[0];
    assert!(
        m.interrupted && m.text.starts_with("One two") && !m.text.contains("twelve"),
        "{m:?}"
    );
}

#[test]
fn llm_failing_mid_answer_ends_the_answer_without_repeating_it() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    sim.llm_script.push_back(Llm::Reply {
        text: "Thanks for joining today. Let us".into(),
        ttft: Duration::from_millis(200),
    });
    sim.start();
    sim.run_secs(0.3);
    let start = sim.outputs_where(|o| matches!(o, Output::StartLlm { .. }));
    let Output::StartLlm { request, .. } = start[0].1.clone() else {
        unreachable!()
    };
    sim.schedule(0.335, conversation::InputKind::LlmError { request });
    sim.run_until_state(AgentState::Listening, 20.0)
        .expect("answer ends");
    assert_eq!(
        sim.count(|o| matches!(o, Output::StartLlm { .. })),
        1,
        "no retry once words are out"
    );
    let m = &sim.engine.history().messages()[0];
    assert_eq!(m.text, "Thanks for joining today.");
}

#[test]
fn tts_timeout_is_retried_and_no_words_are_lost() {
    let cfg = Config::default();
    let mut sim = Sim::new(cfg.clone(), Mode::Llm);
    sim.tts_drop = 1;
    let text = "Welcome to the interview. Let us start with a short introduction from you.";
    sim.llm_script.push_back(reply(text));
    sim.start();
    sim.run_until_state(AgentState::Listening, 20.0)
        .expect("reply ends");
    let speaks = sim.outputs_where(|o| matches!(o, Output::Speak { .. }));
    assert_eq!(
        speaks.len(),
        4,
        "the unanswered sentence and the one after it are sent again"
    );
    let text_of = |i: usize| match &speaks[i].1 {
        Output::Speak { text, .. } => text.clone(),
        _ => unreachable!(),
    };
    assert_eq!((text_of(2), text_of(3)), (text_of(0), text_of(1)));
    let cancel = sim
        .first_at(|o| matches!(o, Output::CancelTts))
        .expect("stalled synthesis cancelled");
    assert_eq!(cancel, speaks[0].0 + cfg.tts.first_byte_timeout);
    assert_eq!(sim.engine.history().messages()[0].text, text);
}
