//! The per-frame path (energy frames, VAD windows, playout progress, draining outputs)
//! allocates nothing, except one transcript string each time a new word has been heard.

use std::time::Duration;

use conversation::{AgentState, Config, Engine, Input, InputKind, Instant, Mode, Output};

const TEXT: &str =
    "We ship small changes every day and review each other's code carefully before merging.";

fn feed(e: &mut Engine, at: Instant, kind: InputKind, outs: &mut Vec<Output>) {
    e.handle_input(Input { at, kind });
    loop {
        match e.poll_output() {
            Output::Timeout(_) => return,
            o => outs.push(o),
        }
    }
}

#[test]
fn frames_during_playout_allocate_only_for_heard_word_transcripts() {
    let mut e = Engine::new(Config::default(), Mode::Llm);
    let mut outs = Vec::with_capacity(4096);
    let t0 = Instant::ZERO;
    feed(&mut e, t0, InputKind::Start, &mut outs);
    let Some(Output::StartLlm { request, .. }) = outs
        .iter()
        .find(|o| matches!(o, Output::StartLlm { .. }))
        .cloned()
    else {
        panic!("LLM started");
    };
    feed(
        &mut e,
        t0,
        InputKind::LlmToken {
            request,
            token: TEXT.into(),
        },
        &mut outs,
    );
    feed(&mut e, t0, InputKind::LlmDone { request }, &mut outs);
    let Some(Output::Speak { speech, text }) = outs
        .iter()
        .find(|o| matches!(o, Output::Speak { .. }))
        .cloned()
    else {
        panic!("spoke");
    };
    let duration = Duration::from_secs(6);
    feed(
        &mut e,
        t0,
        InputKind::TtsChunk {
            speech,
            duration,
            span: 0..text.len(),
        },
        &mut outs,
    );
    feed(&mut e, t0, InputKind::TtsDone { speech }, &mut outs);
    feed(
        &mut e,
        t0,
        InputKind::Playout {
            speech,
            samples: 960,
        },
        &mut outs,
    );
    assert_eq!(e.state(), AgentState::Speaking);
    outs.clear();

    let frames = 250u64; // 5 s of 20 ms frames, less than the 6 s of audio
    let info = allocation_counter::measure(|| {
        for i in 2..frames {
            let at = Instant::from_millis(i * 20);
            feed(
                &mut e,
                at,
                InputKind::Playout {
                    speech,
                    samples: 960 * i,
                },
                &mut outs,
            );
            feed(&mut e, at, InputKind::OutboundEnergy(0.05), &mut outs);
            feed(&mut e, at, InputKind::InboundEnergy(0.001), &mut outs);
            feed(
                &mut e,
                at,
                InputKind::SpeechProbability {
                    p: 0.02,
                    audio_end: at,
                },
                &mut outs,
            );
        }
    });
    let transcripts = outs
        .iter()
        .filter(|o| matches!(o, Output::Transcript(_)))
        .count();
    assert!(transcripts >= 5, "words were heard during the run");
    assert_eq!(outs.len(), transcripts, "unexpected outputs: {outs:?}");
    assert!(
        info.count_total as usize <= transcripts,
        "{} allocations for {} frames and {transcripts} heard-word transcripts",
        info.count_total,
        frames - 2
    );
}
