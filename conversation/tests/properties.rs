//! Property test: random input sequences never panic, and thinking/speaking always has a
//! wake-up pending (the engine can never sit there forever).

use std::time::Duration;

use conversation::{
    AgentState, Config, Engine, Input, InputKind, Instant, Mode, Output, Question,
    ScriptedResponder, SttResult,
};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "mhmm",
    "yeah",
    "and",
    "I think",
    "so um",
    "",
    "wait stop",
    "Rust is great.",
    "é😀",
    " ",
];

fn kind(k: u8, a: u64, b: u64, w: usize, f: f32) -> InputKind {
    let text = WORDS[w % WORDS.len()].to_owned();
    match k % 15 {
        0 => InputKind::Start,
        1 => InputKind::VadSpeechStart {
            started: Instant::from_millis(b),
        },
        2 => InputKind::VadSpeechEnd {
            ended: Instant::from_millis(b),
        },
        3 => InputKind::SpeechProbability {
            p: f,
            audio_end: Instant::from_millis(b),
        },
        4 => InputKind::InboundEnergy(f),
        5 => InputKind::OutboundEnergy(f),
        6 => InputKind::Stt(SttResult {
            text,
            is_final: a.is_multiple_of(2),
            start: Instant::from_millis(b),
            end: Instant::from_millis(b + a),
            confidence: f,
        }),
        7 => InputKind::LlmToken {
            request: a % 8,
            token: text,
        },
        8 => InputKind::LlmDone { request: a % 8 },
        9 => InputKind::LlmError { request: a % 8 },
        10 => InputKind::TtsChunk {
            speech: a % 12,
            duration: Duration::from_millis(b % 3000),
            span: (a as usize % 50)..(b as usize % 80),
        },
        11 => InputKind::TtsDone { speech: a % 12 },
        12 => InputKind::Playout {
            speech: a % 12,
            samples: b * 97,
        },
        13 => InputKind::ExpectThinking,
        _ => InputKind::Timer,
    }
}

fn drain(e: &mut Engine) -> Option<Instant> {
    for _ in 0..10_000 {
        if let Output::Timeout(t) = e.poll_output() {
            return t;
        }
    }
    panic!("output queue never drains");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn random_inputs_never_panic_and_never_stall(
        scripted in any::<bool>(),
        steps in prop::collection::vec((0u64..400, any::<u8>(), 0u64..64, 0u64..5000, 0usize..20, -1.0f32..2.0, any::<bool>()), 1..300),
    ) {
        let mode = if scripted {
            Mode::Scripted(ScriptedResponder::new(vec![Question { text: "Why Rust?".into(), expect_thinking: true }], "Bye."))
        } else {
            Mode::Llm
        };
        let mut e = Engine::new(Config::default(), mode);
        let mut now = Instant::ZERO;
        let mut timer = None;
        for (dt, k, a, b, w, f, fire) in steps {
            now = now + Duration::from_millis(dt);
            let (at, input) = match timer {
                Some(t) if fire => (t, InputKind::Timer),
                _ => (now, kind(k, a, b, w, f)),
            };
            now = now.max(at);
            let fired = matches!(input, InputKind::Timer);
            e.handle_input(Input { at, kind: input });
            timer = drain(&mut e);
            if fired {
                prop_assert!(timer != Some(at), "timer at {at:?} fired but was asked for again: a busy loop");
            }
            if matches!(e.state(), AgentState::Thinking | AgentState::Speaking) {
                prop_assert!(timer.is_some(), "{:?} with no timer pending", e.state());
            }
            if let Some(t) = timer {
                prop_assert!(t >= now || t >= at);
            }
        }
        for m in e.history().messages() {
            prop_assert!(!m.text.trim().is_empty());
        }
    }
}
