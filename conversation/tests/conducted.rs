//! The conductor inside the engine, in fake time: an interview of three minutes runs from
//! the disclosure to the close with no one ending it; a long silence gets a re-prompt; the
//! hard stop cuts in on a candidate who talks past it; the LLM words the decisions it is
//! given as instructions.

mod common;

use std::time::Duration;

use common::{Sim, reply, t};
use conversation::conductor::{Brief, Conductor, Event, Language, Phase};
use conversation::{AgentState, Config, Mode, Output, Side, TranscriptSegment};

fn conducted(minutes: u64, llm_words: bool) -> Mode {
    Mode::Conducted {
        conductor: Box::new(Conductor::new(Brief {
            role: "Backend Engineer".into(),
            skills: vec!["Rust".into(), "SQL".into()],
            claims: vec!["Built a billing ledger in Rust".into()],
            behavioral: 1,
            coding: false,
            duration: Duration::from_secs(minutes * 60),
            language: Language::English,
            candidate_name: None,
        })),
        llm_words,
    }
}

const ANSWER: &str = "I built the ledger in Rust because corrections must never rewrite history, \
    for example every refund is a new entry, and as a result audits took 2 days instead of 10.";

fn agent_finals(sim: &Sim) -> Vec<String> {
    sim.outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Transcript(TranscriptSegment {
                id,
                text,
                is_final: true,
            }) if id.side == Side::Agent => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn events(sim: &Sim) -> Vec<Event> {
    sim.outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Conductor(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// Runs until `done(state)` holds (or `max` seconds).
fn run_while(sim: &mut Sim, max: f64, done: impl Fn(AgentState) -> bool) -> Option<f64> {
    while sim.now < t(max) {
        let step = sim.now + Duration::from_millis(10);
        sim.run_until(step);
        if done(sim.engine.state()) {
            return Some(sim.now.since_start().as_secs_f64());
        }
    }
    None
}

/// Answers every question a second after the agent stops, `ANSWER` over 12 s, but stays
/// silent on the `silent_on`-th one; returns when the agent went idle after its close.
fn interview(sim: &mut Sim, silent_on: usize, max: f64) -> Option<f64> {
    sim.start();
    let mut turn = 0;
    loop {
        let at = run_while(sim, max, |s| {
            matches!(s, AgentState::Listening | AgentState::Idle)
        })?;
        if sim.engine.state() == AgentState::Idle {
            return Some(at);
        }
        turn += 1;
        if turn == 1 {
            sim.say(at + 1.0, 1.5, "Yes, that's fine.");
        } else if turn != silent_on {
            sim.say(at + 1.0, 12.0, ANSWER);
        }
        run_while(sim, max, |s| s != AgentState::Listening)?;
    }
}

#[test]
fn a_three_minute_interview_ends_by_itself_on_time() {
    let mut sim = Sim::new(Config::default(), conducted(3, false));
    let ended = interview(&mut sim, 4, 400.0).expect("the interview ended by itself");

    let finals = agent_finals(&sim);
    assert!(finals[0].contains("AI interviewer"), "{finals:?}");
    assert!(
        finals.last().is_some_and(|f| f.contains("Goodbye")),
        "{finals:?}"
    );
    assert!(
        (162.0..=198.0).contains(&ended),
        "ended at {ended:.0} s of 180"
    );
    let events = events(&sim);
    let phases: Vec<Phase> = events
        .iter()
        .filter_map(|e| match e {
            Event::PhaseChanged(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert_eq!(phases.first(), Some(&Phase::Opening));
    assert_eq!(phases.last(), Some(&Phase::WrapUp), "{phases:?}");
    assert!(events.contains(&Event::Consent(true)));
    assert!(events.iter().any(|e| matches!(e, Event::Ended(_))));
    assert!(
        finals.iter().any(|f| f.starts_with("Take your time")),
        "the silence was re-prompted: {finals:?}"
    );
    for skill in ["Rust", "SQL"] {
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Asked { skill: Some(s), .. } if s == skill)),
            "{skill}"
        );
    }
    eprintln!(
        "three-minute interview: ended at {ended:.1} s, {} agent turns",
        finals.len()
    );
}

#[test]
fn the_hard_stop_cuts_in_on_a_candidate_who_talks_past_it() {
    let mut sim = Sim::new(Config::default(), conducted(1, false));
    sim.start();
    let listening = sim
        .run_until_state(AgentState::Listening, 30.0)
        .expect("disclosure said");
    let at = listening.since_start().as_secs_f64() + 0.5;
    sim.say(at, 1.5, "Yes.");
    let asked = sim
        .run_until_state(AgentState::Thinking, 60.0)
        .expect("first question");
    let listening = sim
        .run_until_state(AgentState::Listening, 90.0)
        .expect("asked");
    let _ = asked;
    // Talks for five minutes without a pause.
    sim.say(listening.since_start().as_secs_f64() + 0.5, 300.0, ANSWER);
    let idle = sim
        .run_until_state(AgentState::Idle, 200.0)
        .expect("the close came");
    assert!(
        idle.since_start().as_secs_f64() < 75.0,
        "closed at {idle:?}"
    );
    let finals = agent_finals(&sim);
    assert!(
        finals.last().is_some_and(|f| f.contains("Goodbye")),
        "{finals:?}"
    );
    assert!(events(&sim).contains(&Event::Ended("time")));
}

#[test]
fn the_llm_words_what_the_conductor_decided_but_not_the_disclosure() {
    let mut sim = Sim::new(Config::default(), conducted(3, true));
    sim.llm_script.push_back(reply(
        "Thanks. You built a billing ledger in Rust: what made corrections safe in it?",
    ));
    sim.start();
    let at = run_while(&mut sim, 30.0, |s| s == AgentState::Listening).expect("disclosed");
    let starts = |sim: &Sim| -> Vec<String> {
        sim.outputs
            .iter()
            .filter_map(|(_, o)| match o {
                Output::StartLlm { instruction, .. } => instruction.clone(),
                _ => None,
            })
            .collect()
    };
    assert!(starts(&sim).is_empty(), "the disclosure is not reworded");
    let finals = agent_finals(&sim);
    assert!(
        finals[0].contains("I am an AI interviewer for the Backend Engineer role"),
        "{finals:?}"
    );

    sim.say(at + 1.0, 1.5, "Yes, that's fine.");
    run_while(&mut sim, 60.0, |s| s == AgentState::Speaking).expect("asked");
    let instructions = starts(&sim);
    assert_eq!(instructions.len(), 1, "{instructions:?}");
    assert!(
        instructions[0].contains("background question")
            && instructions[0].contains("Built a billing ledger in Rust"),
        "{}",
        instructions[0]
    );
    run_while(&mut sim, 90.0, |s| s == AgentState::Listening).expect("said");
    assert!(
        agent_finals(&sim)
            .last()
            .is_some_and(|f| f.contains("what made corrections safe")),
        "the LLM's wording is spoken: {:?}",
        agent_finals(&sim)
    );
}

#[test]
fn an_llm_that_stays_down_gives_way_to_the_conductors_own_words() {
    let mut sim = Sim::new(Config::default(), conducted(3, true));
    // Every attempt fails at once: the LLM is down for good.
    for _ in 0..64 {
        sim.llm_script.push_back(common::Llm::Error {
            after: Duration::from_millis(50),
        });
    }
    let ended = interview(&mut sim, 0, 400.0).expect("the interview ended by itself");
    let finals = agent_finals(&sim);
    let starts = sim.count(|o| matches!(o, Output::StartLlm { .. }));
    let attempts = Config::default().llm.max_attempts as usize;
    // Speculative requests that failed before their turn committed.
    let speculated: usize = sim
        .outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Metrics(m) => Some(m.wasted_generations as usize),
            _ => None,
        })
        .sum();
    // The first two decisions wait through the LLM's retries, then it is no longer asked.
    assert_eq!(
        starts - speculated,
        attempts * conversation::LLM_FALLBACKS_BEFORE_TEMPLATES as usize,
        "{finals:?}"
    );
    assert!(
        speculated <= 2,
        "at most one per decision that asked the LLM"
    );
    let events = events(&sim);
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == Event::LlmUnavailable)
            .count(),
        1
    );
    // No apology: every question is the conductor's own, and the interview is whole.
    assert!(finals.iter().all(|f| !f.contains("Sorry")), "{finals:?}");
    assert!(
        finals[1].contains("Built a billing ledger in Rust"),
        "the background question in the conductor's words: {finals:?}"
    );
    assert!(finals.last().is_some_and(|f| f.contains("Goodbye")));
    for skill in ["Rust", "SQL"] {
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Asked { skill: Some(s), .. } if s == skill)),
            "{skill}"
        );
    }
    eprintln!(
        "LLM down: {starts} attempts, {} agent turns, ended at {ended:.0} s",
        finals.len()
    );
}
