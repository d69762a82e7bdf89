//! Scenario tests in fake time: scripted timelines, assertions on outputs and their times.

mod common;

use std::time::Duration;

use common::{Llm, Sim, reply, t};
use conversation::{
    AgentState, Config, Mode, Output, Question, Role, ScriptedResponder, Side, TranscriptSegment,
};

const LONG: &str = "Let me explain how our team works. We ship small changes every day and review each other's code carefully. \
Most of our services are written in Rust and run on Kubernetes. We care a lot about latency and reliability. \
Every engineer takes part in the on-call rotation once a month. We also spend time on mentoring and learning together.";

fn scripted(questions: &[(&str, bool)]) -> Mode {
    let qs = questions
        .iter()
        .map(|(q, think)| Question {
            text: (*q).to_owned(),
            expect_thinking: *think,
        })
        .collect();
    Mode::Scripted(ScriptedResponder::new(
        qs,
        "Thank you, that is all for today.",
    ))
}

fn finals(sim: &Sim, side: Side) -> Vec<String> {
    sim.outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Transcript(TranscriptSegment {
                id,
                text,
                is_final: true,
            }) if id.side == side => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn is_flush(o: &Output) -> bool {
    matches!(o, Output::FlushAudio)
}

/// Starts an LLM session whose opening reply is `LONG`, runs until the agent speaks.
fn speaking_long(sim: &mut Sim) -> conversation::Instant {
    sim.llm_script.push_back(reply(LONG));
    sim.start();
    sim.run_until_state(AgentState::Speaking, 5.0)
        .expect("agent starts speaking")
}

#[test]
fn five_turn_conversation_completes_in_order() {
    let mode = scripted(&[
        ("Tell me about yourself.", false),
        ("What is a borrow checker?", false),
        ("Describe a hard bug.", true),
        ("Why this role?", false),
    ]);
    let mut sim = Sim::new(Config::default(), mode);
    sim.start();
    let answers = [
        "I am a backend engineer.",
        "It checks lifetimes at compile time.",
        "A race in our cache layer.",
        "I like voice products.",
    ];
    for a in answers {
        sim.run_until_state(
            AgentState::Speaking,
            sim.now.since_start().as_secs_f64() + 30.0,
        )
        .expect("agent speaks");
        let listening = sim
            .run_until_state(
                AgentState::Listening,
                sim.now.since_start().as_secs_f64() + 30.0,
            )
            .expect("agent finishes");
        let at = listening.since_start().as_secs_f64() + 0.6;
        sim.say(at, 1.5, a);
        sim.run_secs(at + 1.0);
    }
    sim.run_until_state(AgentState::Idle, sim.now.since_start().as_secs_f64() + 30.0)
        .expect("closing line ends the interview");
    let msgs = sim.engine.history().messages();
    assert_eq!(msgs.len(), 9, "{msgs:?}");
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(
            m.role,
            if i % 2 == 0 {
                Role::Agent
            } else {
                Role::Candidate
            }
        );
        assert!(!m.interrupted);
    }
    assert_eq!(finals(&sim, Side::Candidate), answers);
    assert_eq!(finals(&sim, Side::Agent).len(), 5);
    assert_eq!(sim.count(is_flush), 0);
    let metrics: Vec<_> = sim.outputs_where(|o| matches!(o, Output::Metrics(_)));
    assert_eq!(metrics.len(), 5);
    for (_, m) in &metrics[1..] {
        let Output::Metrics(m) = m else {
            unreachable!()
        };
        let e2e = m.end_to_end.expect("end to end measured");
        let eot = m.end_of_turn_delay.expect("end of turn measured");
        assert!(
            eot >= Duration::from_millis(500) && e2e >= eot && e2e < Duration::from_secs(4),
            "{m:?}"
        );
        assert!(
            m.stt_final_delay.is_some() && m.tts_ttfb == Some(Duration::from_millis(150)),
            "{m:?}"
        );
    }
}

#[test]
fn barge_in_stops_playout_within_one_vad_window_and_history_keeps_heard_words() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    let speaking = speaking_long(&mut sim);
    let onset = speaking.since_start().as_secs_f64() + 4.0;
    sim.say(
        onset,
        1.6,
        "sorry, can I ask something about the on-call part",
    );
    sim.run_secs(onset + 4.0);
    let duck = sim
        .first_at(|o| matches!(o, Output::Duck))
        .expect("ducked at speech start");
    let (detected, started) = *sim
        .vad_starts
        .iter()
        .find(|v| v.0 == duck)
        .expect("duck at VAD start");
    assert!(started < detected);
    let flush = sim.first_at(is_flush).expect("interrupted");
    let threshold = started + Config::default().barge_in.min_speech;
    assert!(
        flush >= threshold && flush <= threshold + Duration::from_millis(32),
        "flush {flush:?} threshold {threshold:?}"
    );
    assert!(sim.first_at(|o| matches!(o, Output::CancelTts)) == Some(flush));
    assert!(
        sim.first_at(|o| matches!(o, Output::CancelLlm { .. }))
            .is_none_or(|c| c == flush)
    );
    let next_speak = sim
        .outputs
        .iter()
        .find(|(at, o)| *at > flush && matches!(o, Output::Speak { .. }))
        .map(|(at, _)| *at);
    let after: Vec<_> = sim
        .agent_frames
        .iter()
        .filter(|f| **f > flush && next_speak.is_none_or(|n| **f < n))
        .collect();
    assert!(
        after.is_empty(),
        "agent audio after the flush {flush:?}: {after:?}"
    );
    let agent = &sim.engine.history().messages()[0];
    assert!(agent.interrupted && agent.role == Role::Agent);
    assert!(
        LONG.starts_with(&agent.text) && agent.text.len() < LONG.len() / 2,
        "{}",
        agent.text
    );
    assert!(
        agent.text.split_whitespace().count() >= 8,
        "about 4 s were heard: {}",
        agent.text
    );
    assert!(
        !agent.text.contains("Kubernetes"),
        "unheard words in history"
    );
    let cand = &sim.engine.history().messages()[1];
    assert!(cand.role == Role::Candidate && cand.text.contains("on-call"));
}

#[test]
fn backchannel_and_cough_do_not_interrupt_and_no_words_are_lost() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    let s = speaking_long(&mut sim).since_start().as_secs_f64();
    sim.say(s + 2.0, 0.35, "mhmm");
    sim.say(s + 5.0, 0.6, "yeah");
    sim.noise(s + 8.0, 0.25);
    sim.run_until_state(AgentState::Listening, s + 40.0)
        .expect("reply ends");
    sim.run_secs(sim.now.since_start().as_secs_f64() + 6.0);
    assert_eq!(sim.count(is_flush), 0);
    let msgs = sim.engine.history().messages();
    assert_eq!(msgs.len(), 1, "a backchannel became a turn: {msgs:?}");
    assert_eq!(msgs[0].text, LONG);
    assert!(!msgs[0].interrupted);
    let ducks = sim.outputs_where(|o| matches!(o, Output::Duck | Output::Unduck));
    assert!(ducks.len() >= 2 && ducks.len().is_multiple_of(2));
    let longest = ducks
        .chunks(2)
        .map(|p| p[1].0.saturating_since(p[0].0))
        .max()
        .expect("ducks");
    println!("longest duck: {longest:?}");
    assert!(longest <= Duration::from_millis(900));
}

#[test]
fn pause_of_one_and_a_half_seconds_after_and_is_not_cut_off() {
    let mut sim = Sim::new(
        Config::default(),
        scripted(&[
            ("Tell me about your last project.", false),
            ("Next one.", false),
        ]),
    );
    sim.start();
    let l = sim
        .run_until_state(AgentState::Listening, 20.0)
        .expect("question asked")
        .since_start()
        .as_secs_f64();
    sim.say(l + 0.5, 1.5, "I worked on the billing system and");
    sim.say(l + 3.5, 1.5, "then I led the migration to Rust.");
    sim.run_secs(l + 8.0);
    let cand = finals(&sim, Side::Candidate);
    assert_eq!(
        cand,
        ["I worked on the billing system and then I led the migration to Rust."]
    );
    let speaks = sim.outputs_where(|o| matches!(o, Output::Speak { .. }));
    assert_eq!(speaks.len(), 2);
    assert!(speaks[1].0 > t(l + 5.0), "agent spoke during the pause");
}

#[test]
fn echo_of_the_agents_own_voice_does_not_interrupt_over_three_turns() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    sim.echo_gain = 0.1;
    for _ in 0..3 {
        sim.llm_script.push_back(reply(LONG));
    }
    sim.start();
    for turn in 0..3 {
        let s = sim
            .run_until_state(
                AgentState::Speaking,
                sim.now.since_start().as_secs_f64() + 10.0,
            )
            .expect("speaks");
        let s = s.since_start().as_secs_f64();
        sim.schedule(
            s + 3.0,
            conversation::InputKind::Stt(conversation::SttResult {
                text: "explain how our team works".into(),
                is_final: true,
                start: t(s + 2.2),
                end: t(s + 2.9),
                confidence: 0.8,
            }),
        );
        let l = sim
            .run_until_state(AgentState::Listening, s + 40.0)
            .expect("reply ends")
            .since_start()
            .as_secs_f64();
        if turn < 2 {
            sim.say(l + 0.8, 1.5, "That sounds good to me.");
            sim.run_secs(l + 2.5);
        }
    }
    if let Some(f) = sim.first_at(is_flush) {
        for (at, o) in sim.outputs.iter().filter(|(at, o)| {
            at.saturating_since(f) < Duration::from_secs(1)
                && f.saturating_since(*at) < Duration::from_secs(2)
                && !matches!(o, Output::Transcript(_))
        }) {
            eprintln!("{at:?} {o:?}");
        }
    }
    assert_eq!(sim.count(is_flush), 0);
    let agent: Vec<_> = sim
        .engine
        .history()
        .messages()
        .iter()
        .filter(|m| m.role == Role::Agent)
        .collect();
    assert_eq!(agent.len(), 3);
    assert!(agent.iter().all(|m| !m.interrupted && m.text == LONG));
    assert!(
        sim.count(|o| matches!(o, Output::Duck)) <= 3,
        "ducked on its own echo"
    );
}

#[test]
fn llm_500_twice_then_success() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    let e = Llm::Error {
        after: Duration::from_millis(100),
    };
    sim.llm_script
        .extend([e.clone(), e, reply("Hello, welcome to the interview.")]);
    sim.start();
    sim.run_until_state(AgentState::Listening, 20.0)
        .expect("reply ends");
    let starts = sim.outputs_where(|o| matches!(o, Output::StartLlm { .. }));
    assert_eq!(starts.len(), 3);
    assert_eq!(
        starts[1].0.saturating_since(starts[0].0),
        Duration::from_millis(350)
    );
    assert_eq!(
        starts[2].0.saturating_since(starts[1].0),
        Duration::from_millis(600)
    );
    assert_eq!(
        sim.engine.history().messages()[0].text,
        "Hello, welcome to the interview."
    );
    let m = sim.outputs_where(|o| matches!(o, Output::Metrics(_)));
    assert!(
        matches!(&m[0].1, Output::Metrics(m) if m.llm_attempts == 3 && m.llm_ttft == Some(Duration::from_millis(300)))
    );
}

#[test]
fn dead_llm_leads_to_apology_and_dead_tts_never_leaves_the_agent_thinking() {
    let cfg = Config::default();
    let mut sim = Sim::new(cfg.clone(), Mode::Llm);
    sim.llm_script.extend([Llm::Hang, Llm::Hang, Llm::Hang]);
    sim.start();
    sim.run_until_state(AgentState::Listening, 30.0)
        .expect("apology spoken");
    assert_eq!(sim.count(|o| matches!(o, Output::StartLlm { .. })), 3);
    assert_eq!(sim.count(|o| matches!(o, Output::CancelLlm { .. })), 3);
    assert_eq!(sim.engine.history().messages()[0].text, cfg.llm.apology);

    let mut dead = Sim::new(cfg.clone(), Mode::Llm);
    dead.tts_dead = true;
    dead.start();
    let l = dead
        .run_until_state(AgentState::Listening, 60.0)
        .expect("gives up");
    assert!(
        l <= t(2.0 * cfg.watchdog.as_secs_f64() + 0.1),
        "stuck until {l:?}"
    );
    assert!(
        dead.engine.history().messages().is_empty(),
        "unspoken text entered the history"
    );
}

#[test]
fn false_interruption_resumes_the_unplayed_remainder() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    let s = speaking_long(&mut sim).since_start().as_secs_f64();
    sim.noise(s + 3.0, 0.8);
    sim.run_until_state(AgentState::Listening, s + 60.0)
        .expect("paused");
    let flush = sim.first_at(is_flush).expect("noise interrupted");
    sim.run_until_state(AgentState::Speaking, s + 60.0)
        .expect("resumed");
    let resumed = sim
        .outputs
        .iter()
        .filter(|(at, o)| *at > flush && matches!(o, Output::Speak { .. }))
        .count();
    assert!(resumed >= 1);
    sim.run_until_state(AgentState::Listening, s + 60.0)
        .expect("reply ends");
    let msgs = sim.engine.history().messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0].text, LONG);
    assert!(!msgs[0].interrupted);
}

#[test]
fn hard_question_gives_longer_pauses() {
    let mut sim = Sim::new(
        Config::default(),
        scripted(&[("Design a rate limiter.", true), ("Next.", false)]),
    );
    sim.start();
    let l = sim
        .run_until_state(AgentState::Listening, 20.0)
        .expect("asked")
        .since_start()
        .as_secs_f64();
    sim.say(l + 0.5, 1.0, "I would use a token bucket.");
    sim.say(l + 3.2, 1.0, "Per user, stored in Redis.");
    sim.run_secs(l + 9.0);
    assert_eq!(
        finals(&sim, Side::Candidate),
        ["I would use a token bucket. Per user, stored in Redis."]
    );
}

#[test]
fn candidate_who_goes_on_while_the_agent_thinks_is_not_talked_over() {
    let mut sim = Sim::new(Config::default(), Mode::Llm);
    sim.llm_script
        .push_back(reply("Welcome. Tell me about your last project."));
    sim.start();
    let l = sim
        .run_until_state(AgentState::Listening, 10.0)
        .expect("opening done")
        .since_start()
        .as_secs_f64();
    sim.llm_script.push_back(Llm::Reply {
        text: LONG.into(),
        ttft: Duration::from_secs(2),
    });
    sim.say(l + 0.5, 1.0, "It was a payments service.");
    sim.say(l + 2.6, 1.5, "Actually it also had a fraud model.");
    sim.run_secs(l + 12.0);
    let cancel = sim
        .first_at(|o| matches!(o, Output::CancelLlm { .. }))
        .expect("stale reply cancelled");
    // Cancelled on the first interim's words (half way through the 1.5 s), before the
    // 700 ms of voice that would cancel it without words.
    assert!(cancel <= t(l + 2.6 + 0.8), "cancelled at {cancel:?}");
    let cand = finals(&sim, Side::Candidate);
    assert_eq!(
        cand,
        [
            "It was a payments service.",
            "Actually it also had a fraud model."
        ]
    );
    assert!(
        !sim.agent_frames
            .iter()
            .any(|f| *f > t(l + 2.0) && *f < t(l + 4.1)),
        "agent audio over the candidate"
    );
    let agent: Vec<_> = sim
        .engine
        .history()
        .messages()
        .iter()
        .filter(|m| m.role == Role::Agent)
        .map(|m| m.text.clone())
        .collect();
    assert_eq!(agent.len(), 2, "{agent:?}");
}
