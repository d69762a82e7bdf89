//! On a speakerphone the candidate can still interrupt: their voice breaks the correlation
//! with the agent's echo.

mod common;

use std::time::Duration;

use common::{Sim, reply};
use conversation::{AgentState, Config, Mode, Output, Role};

#[test]
fn candidate_talking_over_the_echo_still_interrupts() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    sim.echo_gain = 0.1;
    sim.llm_script.push_back(reply(
        "Let me explain how our team works. We ship small changes every day and review each other's code. \
         Most of our services are written in Rust. We care a lot about latency and reliability.",
    ));
    sim.start();
    let s = sim
        .run_until_state(AgentState::Speaking, 5.0)
        .expect("speaks")
        .since_start()
        .as_secs_f64();
    sim.say(
        s + 3.0,
        1.5,
        "sorry, could you repeat the part about code review",
    );
    sim.run_secs(s + 8.0);
    let flush = sim
        .first_at(|o| matches!(o, Output::FlushAudio))
        .expect("the candidate interrupted");
    let onset = common::t(s + 3.0);
    assert!(
        flush.saturating_since(onset) <= Duration::from_millis(600),
        "flush {flush:?} onset {onset:?}"
    );
    let m = &sim.engine.history().messages()[0];
    assert!(m.role == Role::Agent && m.interrupted);
}

#[test]
fn late_stt_of_the_agents_last_words_is_not_a_candidate_turn() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    sim.llm_script
        .push_back(reply("Tell me about the hardest bug you have fixed."));
    sim.start();
    let l = sim
        .run_until_state(AgentState::Listening, 10.0)
        .expect("question asked");
    let at = l.since_start().as_secs_f64();
    let echo = conversation::SttResult {
        text: "the hardest bug you have fixed".into(),
        is_final: true,
        start: common::t(at - 0.8),
        end: common::t(at + 0.2),
        confidence: 0.7,
    };
    sim.schedule(at + 0.5, conversation::InputKind::Stt(echo));
    sim.run_secs(at + 6.0);
    assert_eq!(
        sim.count(|o| matches!(o, Output::StartLlm { .. })),
        1,
        "echo opened a turn"
    );
    assert_eq!(
        sim.count(
            |o| matches!(o, Output::Transcript(s) if s.id.side == conversation::Side::Candidate)
        ),
        0
    );
    sim.say(at + 6.0, 1.0, "It was a race in our cache.");
    sim.run_secs(at + 9.0);
    assert_eq!(
        sim.count(|o| matches!(o, Output::StartLlm { .. })),
        2,
        "the real answer is heard"
    );
}

#[test]
fn an_answer_that_runs_on_from_the_echo_is_heard() {
    // The echo of the question keeps the VAD in speech, and the candidate answers before it
    // falls silent: one VAD segment spans echo and answer.
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    sim.echo_gain = 0.1;
    sim.llm_script
        .push_back(reply("Tell me about the hardest bug you have fixed."));
    sim.llm_script
        .push_back(reply("Thanks, that sounds tricky."));
    sim.start();
    let l = sim
        .run_until_state(AgentState::Listening, 10.0)
        .expect("question asked")
        .since_start()
        .as_secs_f64();
    assert!(
        sim.vad_starts
            .last()
            .is_some_and(|(_, edge)| *edge < common::t(l)),
        "the echo started a VAD segment"
    );
    sim.say(l + 0.05, 1.5, "It was a race in our cache layer.");
    sim.run_secs(l + 8.0);
    assert_eq!(
        sim.count(|o| matches!(o, Output::StartLlm { .. })),
        2,
        "the answer was heard"
    );
    let m = &sim.engine.history().messages()[1];
    assert!(m.role == Role::Candidate && m.text == "It was a race in our cache layer.");
    assert!(!sim.engine.history().messages()[0].interrupted);
}

#[test]
fn echo_the_envelope_test_misses_does_not_interrupt_the_agent() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    sim.echo_gain = 0.1;
    sim.echo_scrambled = true;
    sim.llm_script.push_back(reply(
        "Let me explain how our team works. We ship small changes every day and review each other's code. \
         Most of our services are written in Rust. We care a lot about latency and reliability.",
    ));
    sim.start();
    sim.run_until_state(AgentState::Speaking, 5.0)
        .expect("speaks");
    let done = sim
        .run_until_state(AgentState::Listening, 30.0)
        .expect("finishes its answer");
    assert!(
        !sim.vad_starts.is_empty(),
        "the echo must reach the VAD for this test to mean anything"
    );
    assert_eq!(sim.count(|o| matches!(o, Output::FlushAudio)), 0);
    assert_eq!(sim.count(|o| matches!(o, Output::Duck)), 0);
    let m = &sim.engine.history().messages()[0];
    assert!(m.role == Role::Agent && !m.interrupted, "{m:?} at {done:?}");
}
