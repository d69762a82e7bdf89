//! Per-input processing cost of the engine on a realistic stream: 20 ms inbound/outbound
//! energy frames and playout progress, 32 ms VAD windows, STT interims every 250 ms, LLM
//! tokens every 30 ms, TTS chunks. Prints median and p99 in microseconds per input kind.
//!
//! Run: `cargo run --release -p conversation --example bench`

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use conversation::{
    AgentState, Config, Engine, Input, InputKind, Instant, Mode, Output, SttResult,
};

const REPLY: &str = "That is a good point. Could you walk me through how you measured the latency, \
and what you changed after you found the bottleneck? I am curious about the trade-offs you made.";

fn main() {
    let mut e = Engine::new(Config::default(), Mode::Llm);
    let mut costs: BTreeMap<&'static str, Vec<u128>> = BTreeMap::new();
    let mut pending: VecDeque<(Instant, InputKind)> = VecDeque::new();
    let mut queue: VecDeque<(u64, u64, u64)> = VecDeque::new();
    let mut tokens: VecDeque<(u64, String)> = VecDeque::new();
    let mut cand_from: Option<Instant> = None;
    let step = Duration::from_millis(4);
    let mut now = Instant::ZERO;
    let mut timer: Option<Instant>;
    let feed = |e: &mut Engine,
                at: Instant,
                kind: InputKind,
                costs: &mut BTreeMap<&'static str, Vec<u128>>| {
        let name = name(&kind);
        let t0 = std::time::Instant::now();
        e.handle_input(Input { at, kind });
        let mut outs = Vec::new();
        let next = loop {
            match e.poll_output() {
                Output::Timeout(t) => break t,
                o => outs.push(o),
            }
        };
        costs.entry(name).or_default().push(t0.elapsed().as_nanos());
        (outs, next)
    };
    let end = Instant::from_start(Duration::from_secs(600));
    let mut outputs = 0usize;
    let (_, t) = feed(&mut e, now, InputKind::Start, &mut costs);
    timer = t;
    let mut i: u64 = 0;
    while now < end {
        now = now + step;
        i += 1;
        let ms = now.since_start().as_millis() as u64;
        let mut inputs: Vec<InputKind> = Vec::new();
        while pending.front().is_some_and(|p| p.0 <= now) {
            inputs.push(pending.pop_front().expect("front checked").1);
        }
        if ms.is_multiple_of(20) {
            let mut out_rms = 0.0;
            if let Some(h) = queue.front_mut() {
                h.2 = (h.2 + 960).min(h.1);
                inputs.push(InputKind::Playout {
                    speech: h.0,
                    samples: h.2,
                });
                out_rms = 0.05 + (i % 7) as f32 * 0.01;
                if h.2 >= h.1 {
                    queue.pop_front();
                }
            }
            let talking = cand_from.is_some_and(|c| now >= c && now < c + Duration::from_secs(3));
            inputs.push(InputKind::OutboundEnergy(out_rms));
            inputs.push(InputKind::InboundEnergy(if talking { 0.08 } else { 0.001 }));
        }
        if ms.is_multiple_of(32) {
            inputs.push(InputKind::SpeechProbability {
                p: 0.1,
                audio_end: now,
            });
        }
        let token = if ms.is_multiple_of(30) {
            tokens.pop_front()
        } else {
            None
        };
        if let Some((req, tok)) = token {
            inputs.push(if tok.is_empty() {
                InputKind::LlmDone { request: req }
            } else {
                InputKind::LlmToken {
                    request: req,
                    token: tok,
                }
            });
        }
        if timer.is_some_and(|t| t <= now) {
            timer = None;
            inputs.push(InputKind::Timer);
        }
        for kind in inputs {
            let (outs, t) = feed(&mut e, now, kind, &mut costs);
            timer = t;
            for o in outs {
                match o {
                    Output::StartLlm { request, .. } => {
                        tokens.extend(REPLY.split_inclusive(' ').map(|w| (request, w.to_owned())));
                        tokens.push_back((request, String::new()));
                    }
                    Output::Speak { speech, text } => {
                        let d = Duration::from_millis(60 * text.len() as u64);
                        let at = now + Duration::from_millis(100);
                        pending.push_back((
                            at,
                            InputKind::TtsChunk {
                                speech,
                                duration: d,
                                span: 0..text.len(),
                            },
                        ));
                        pending.push_back((at, InputKind::TtsDone { speech }));
                        queue.push_back((speech, d.as_millis() as u64 * 48, 0));
                    }
                    Output::State(AgentState::Listening) => {
                        let c = now + Duration::from_millis(800);
                        cand_from = Some(c);
                        pending.push_back((c, InputKind::VadSpeechStart { started: c }));
                        for k in 1..12u64 {
                            let text = "I measured it with a histogram"
                                .split(' ')
                                .take(1 + k as usize % 6)
                                .collect::<Vec<_>>()
                                .join(" ");
                            let stt = SttResult {
                                text,
                                is_final: false,
                                start: c,
                                end: c + Duration::from_millis(250 * k),
                                confidence: 0.9,
                            };
                            pending.push_back((
                                c + Duration::from_millis(250 * k),
                                InputKind::Stt(stt),
                            ));
                        }
                        let fin = SttResult {
                            text: "I measured it with a histogram.".into(),
                            is_final: true,
                            start: c,
                            end: c + Duration::from_secs(3),
                            confidence: 0.9,
                        };
                        pending.push_back((
                            c + Duration::from_millis(3000),
                            InputKind::VadSpeechEnd {
                                ended: c + Duration::from_millis(3000),
                            },
                        ));
                        pending.push_back((c + Duration::from_millis(3300), InputKind::Stt(fin)));
                    }
                    _ => {}
                }
                outputs += 1;
            }
        }
    }
    let turns = e.history().messages().len();
    println!(
        "simulated 600 s, {turns} history messages, {} outputs",
        outputs
    );
    println!(
        "{:<18} {:>9} {:>10} {:>10}",
        "input", "count", "p50 (us)", "p99 (us)"
    );
    let mut all: Vec<u128> = Vec::new();
    for (k, mut v) in costs {
        all.extend(&v);
        v.sort_unstable();
        println!(
            "{:<18} {:>9} {:>10.2} {:>10.2}",
            k,
            v.len(),
            pct(&v, 0.5),
            pct(&v, 0.99)
        );
    }
    all.sort_unstable();
    println!(
        "{:<18} {:>9} {:>10.2} {:>10.2}",
        "ALL",
        all.len(),
        pct(&all, 0.5),
        pct(&all, 0.99)
    );
}

fn pct(v: &[u128], q: f64) -> f64 {
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v.get(i).copied().unwrap_or(0) as f64 / 1000.0
}

fn name(k: &InputKind) -> &'static str {
    match k {
        InputKind::Start => "start",
        InputKind::VadSpeechStart { .. } => "vad_start",
        InputKind::VadSpeechEnd { .. } => "vad_end",
        InputKind::SpeechProbability { .. } => "speech_prob",
        InputKind::InboundEnergy(_) => "inbound_energy",
        InputKind::OutboundEnergy(_) => "outbound_energy",
        InputKind::Stt(_) => "stt",
        InputKind::SttUtteranceEnd { .. } => "stt_utterance_end",
        InputKind::LlmToken { .. } => "llm_token",
        InputKind::LlmDone { .. } => "llm_done",
        InputKind::LlmError { .. } => "llm_error",
        InputKind::TtsChunk { .. } => "tts_chunk",
        InputKind::TtsDone { .. } => "tts_done",
        InputKind::Playout { .. } => "playout",
        InputKind::ExpectThinking => "expect_thinking",
        InputKind::Timer => "timer",
    }
}
