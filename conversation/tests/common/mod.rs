//! A fake-time simulation around the engine: a fake TTS, a real-time playout loop at 20 ms
//! frames, a scripted LLM, a scripted candidate (energy, STT), an energy VAD and an optional
//! speakerphone echo path. Everything is event-driven on the engine's clock.
#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};
use std::ops::Range;
use std::time::Duration;

use conversation::{
    AgentState, Config, Engine, Input, InputKind, Instant, Mode, Output, SttResult,
};

pub const FRAME: Duration = Duration::from_millis(20);
const FRAME_SAMPLES: u64 = 960;
const VAD_THRESHOLD: f32 = 0.004;
const VAD_ONSET: u32 = 2;
const VAD_HANGOVER: u32 = 10;
/// Frames of silence a Silero-like VAD needs before its speech end (550 ms + look-ahead).
pub const SILERO_HANGOVER: u32 = 32;

pub fn t(secs: f64) -> Instant {
    Instant::from_secs_f64(secs)
}

/// How the fake LLM answers one request.
#[derive(Clone, Debug)]
pub enum Llm {
    Reply { text: String, ttft: Duration },
    Error { after: Duration },
    Hang,
}

pub fn reply(text: &str) -> Llm {
    Llm::Reply {
        text: text.to_owned(),
        ttft: Duration::from_millis(300),
    }
}

#[derive(Clone, Debug)]
enum Ev {
    Engine(InputKind),
    Llm { request: u64, kind: InputKind },
    Tts { speech: u64, kind: InputKind },
}

pub struct Sim {
    pub engine: Engine,
    pub now: Instant,
    pub outputs: Vec<(Instant, Output)>,
    /// Times of agent audio frames actually sent.
    pub agent_frames: Vec<Instant>,
    pub llm_script: VecDeque<Llm>,
    pub tts_ttfb: Duration,
    pub tts_dead: bool,
    /// The next this many speak requests get no answer (a TTS timeout).
    pub tts_drop: usize,
    pub echo_gain: f32,
    /// The echo keeps its level but loses its shape (a jitter buffer stretching and
    /// shifting it), so the envelope correlation cannot recognise it.
    pub echo_scrambled: bool,
    /// The playout stops sending audio (a stuck transport).
    pub playout_stalled: bool,
    /// (detection time, reported speech start) of every VAD start.
    pub vad_starts: Vec<(Instant, Instant)>,
    /// Feed a speech probability per frame (as the agent's dsp thread does).
    pub probabilities: bool,
    /// How late each speech probability arrives after its audio (a model's look-ahead).
    pub probability_lag: Duration,
    /// How far past its frame the audio a probability scores reaches (a model's window
    /// longer than a frame).
    pub probability_overhang: Duration,
    /// Silent frames before the VAD's speech end.
    pub vad_hangover: u32,
    /// Times of every VAD speech end (detection time).
    pub vad_ends: Vec<Instant>,
    /// Bursts of noise among the energetic spans.
    noises: Vec<(Instant, Instant)>,
    /// Scored frames (end of their audio, probability) waiting out `probability_lag`.
    scores: VecDeque<(Instant, f32)>,
    edge: Instant,
    events: Vec<(Instant, u64, Ev)>,
    seq: u64,
    timer: Option<Instant>,
    next_frame: Instant,
    /// Playout queue in speak order: (speech, samples synthesized, samples played, done).
    queue: VecDeque<(u64, u64, u64, bool)>,
    out_hist: VecDeque<f32>,
    speech: Vec<(Instant, Instant)>,
    cancelled_llm: HashSet<u64>,
    cancelled_tts: HashSet<u64>,
    vad: bool,
    above: u32,
    below: u32,
    frame_no: u64,
}

impl Sim {
    pub fn new(cfg: Config, mode: Mode) -> Self {
        Sim {
            engine: Engine::new(cfg, mode),
            now: Instant::ZERO,
            outputs: Vec::new(),
            agent_frames: Vec::new(),
            llm_script: VecDeque::new(),
            tts_ttfb: Duration::from_millis(150),
            tts_dead: false,
            tts_drop: 0,
            echo_gain: 0.0,
            echo_scrambled: false,
            playout_stalled: false,
            vad_starts: Vec::new(),
            probabilities: false,
            probability_lag: Duration::ZERO,
            probability_overhang: Duration::ZERO,
            vad_hangover: VAD_HANGOVER,
            vad_ends: Vec::new(),
            noises: Vec::new(),
            scores: VecDeque::new(),
            edge: Instant::ZERO,
            events: Vec::new(),
            seq: 0,
            timer: None,
            next_frame: Instant::ZERO,
            queue: VecDeque::new(),
            out_hist: VecDeque::from(vec![0.0; 10]),
            speech: Vec::new(),
            cancelled_llm: HashSet::new(),
            cancelled_tts: HashSet::new(),
            vad: false,
            above: 0,
            below: 0,
            frame_no: 0,
        }
    }

    /// Starts the session now.
    pub fn start(&mut self) {
        self.input(InputKind::Start);
    }

    /// The candidate says `text` from `at` for `dur` seconds: speech energy, an interim with
    /// the first half of the words half way, the final 300 ms after the end.
    pub fn say(&mut self, at: f64, dur: f64, text: &str) {
        let (s, e) = (t(at), t(at + dur));
        self.speech.push((s, e));
        let words: Vec<&str> = text.split_whitespace().collect();
        let half = words[..words.len().div_ceil(2)].join(" ");
        let stt = |txt: &str, fin: bool| SttResult {
            text: txt.to_owned(),
            is_final: fin,
            start: s,
            end: e,
            confidence: 0.9,
        };
        self.push(
            t(at + dur / 2.0),
            Ev::Engine(InputKind::Stt(stt(&half, false))),
        );
        self.push(
            t(at + dur + 0.3),
            Ev::Engine(InputKind::Stt(stt(text, true))),
        );
    }

    /// A burst of noise (no words): a cough. It has energy for the VAD, but a speech model
    /// scores it low.
    pub fn noise(&mut self, at: f64, dur: f64) {
        self.speech.push((t(at), t(at + dur)));
        self.noises.push((t(at), t(at + dur)));
    }

    pub fn schedule(&mut self, at: f64, kind: InputKind) {
        self.push(t(at), Ev::Engine(kind));
    }

    /// Runs the simulation up to `until`.
    pub fn run_until(&mut self, until: Instant) {
        loop {
            let ev = self.events.iter().map(|e| (e.0, e.1)).min();
            let mut next = self.next_frame;
            if let Some((te, _)) = ev {
                next = next.min(te);
            }
            if let Some(tt) = self.timer {
                next = next.min(tt);
            }
            if next > until {
                self.now = until;
                return;
            }
            self.now = next;
            if let Some((te, seq)) = ev.filter(|e| e.0 == next) {
                let _ = te;
                let idx = self
                    .events
                    .iter()
                    .position(|e| e.1 == seq)
                    .expect("event just found");
                let (_, _, e) = self.events.remove(idx);
                self.deliver(e);
            } else if self.next_frame == next {
                self.frame();
                self.next_frame = next + FRAME;
            } else {
                self.timer = None;
                self.input(InputKind::Timer);
            }
        }
    }

    pub fn run_secs(&mut self, until: f64) {
        self.run_until(t(until));
    }

    /// Runs until the engine is in `state` (or `max` seconds), returning the time.
    pub fn run_until_state(&mut self, state: AgentState, max: f64) -> Option<Instant> {
        while self.now < t(max) {
            let step = self.now + Duration::from_millis(10);
            self.run_until(step);
            if self.engine.state() == state {
                return Some(self.now);
            }
        }
        None
    }

    pub fn outputs_where(&self, f: impl Fn(&Output) -> bool) -> Vec<(Instant, Output)> {
        self.outputs.iter().filter(|(_, o)| f(o)).cloned().collect()
    }

    pub fn count(&self, f: impl Fn(&Output) -> bool) -> usize {
        self.outputs.iter().filter(|(_, o)| f(o)).count()
    }

    pub fn first_at(&self, f: impl Fn(&Output) -> bool) -> Option<Instant> {
        self.outputs.iter().find(|(_, o)| f(o)).map(|(t, _)| *t)
    }

    pub fn last_agent_frame(&self) -> Option<Instant> {
        self.agent_frames.last().copied()
    }

    fn push(&mut self, at: Instant, e: Ev) {
        self.seq += 1;
        self.events.push((at, self.seq, e));
    }

    fn deliver(&mut self, e: Ev) {
        match e {
            Ev::Engine(k) => self.input(k),
            Ev::Llm { request, kind } => {
                if !self.cancelled_llm.contains(&request) {
                    self.input(kind);
                }
            }
            Ev::Tts { speech, kind } => {
                if self.cancelled_tts.contains(&speech) {
                    return;
                }
                let entry = self.queue.iter_mut().find(|q| q.0 == speech);
                match (&kind, entry) {
                    (InputKind::TtsChunk { duration, .. }, Some(q)) => {
                        q.1 += (duration.as_secs_f64() * 48_000.0) as u64
                    }
                    (InputKind::TtsDone { .. }, Some(q)) => q.3 = true,
                    _ => {}
                }
                self.input(kind);
            }
        }
    }

    fn input(&mut self, kind: InputKind) {
        self.engine.handle_input(Input { at: self.now, kind });
        loop {
            match self.engine.poll_output() {
                Output::Timeout(tt) => {
                    self.timer = tt
                        .filter(|tt| *tt > self.now)
                        .or(tt.map(|_| self.now + Duration::from_millis(1)));
                    break;
                }
                o => {
                    self.react(&o);
                    self.outputs.push((self.now, o));
                }
            }
        }
    }

    fn react(&mut self, o: &Output) {
        match o {
            Output::StartLlm { request, .. } => self.start_llm(*request),
            Output::CancelLlm { request } => {
                self.cancelled_llm.insert(*request);
            }
            Output::Speak { .. } if self.tts_drop > 0 => self.tts_drop -= 1,
            Output::Speak { speech, text } if !self.tts_dead => {
                self.queue.push_back((*speech, 0, 0, false));
                let words = text.split_whitespace().count() as f64;
                let duration = Duration::from_secs_f64(0.1 + 0.25 * words);
                let span: Range<usize> = 0..text.len();
                let at = self.now + self.tts_ttfb;
                self.push(
                    at,
                    Ev::Tts {
                        speech: *speech,
                        kind: InputKind::TtsChunk {
                            speech: *speech,
                            duration,
                            span,
                        },
                    },
                );
                self.push(
                    at,
                    Ev::Tts {
                        speech: *speech,
                        kind: InputKind::TtsDone { speech: *speech },
                    },
                );
            }
            Output::CancelTts => {
                let ids: Vec<u64> = self
                    .events
                    .iter()
                    .filter_map(|e| match e.2 {
                        Ev::Tts { speech, .. } => Some(speech),
                        _ => None,
                    })
                    .collect();
                self.cancelled_tts.extend(ids);
                // Audio whose playout has not started is dropped; what plays goes on.
                self.queue.retain(|q| q.2 > 0);
            }
            Output::FlushAudio => self.queue.clear(),
            _ => {}
        }
    }

    fn start_llm(&mut self, request: u64) {
        let behaviour = self
            .llm_script
            .pop_front()
            .unwrap_or_else(|| reply("Thank you. Could you tell me more about that?"));
        match behaviour {
            Llm::Reply { text, ttft } => {
                let mut at = self.now + ttft;
                for w in text.split_inclusive(' ') {
                    self.push(
                        at,
                        Ev::Llm {
                            request,
                            kind: InputKind::LlmToken {
                                request,
                                token: w.to_owned(),
                            },
                        },
                    );
                    at = at + Duration::from_millis(30);
                }
                self.push(
                    at,
                    Ev::Llm {
                        request,
                        kind: InputKind::LlmDone { request },
                    },
                );
            }
            Llm::Error { after } => {
                let at = self.now + after;
                self.push(
                    at,
                    Ev::Llm {
                        request,
                        kind: InputKind::LlmError { request },
                    },
                );
            }
            Llm::Hang => {}
        }
    }

    fn frame(&mut self) {
        self.frame_no += 1;
        let mut out_rms = 0.0;
        if self.queue.front().is_some_and(|h| h.3 && h.2 >= h.1) {
            self.queue.pop_front();
        }
        if let Some(head) = self
            .queue
            .front_mut()
            .filter(|h| !self.playout_stalled && h.2 < h.1)
        {
            head.2 = (head.2 + FRAME_SAMPLES).min(head.1);
            let (speech, samples) = (head.0, head.2);
            out_rms = 0.03 + 0.06 * (((self.frame_no * 7919) % 17) as f32 / 17.0);
            self.agent_frames.push(self.now);
            self.input(InputKind::Playout { speech, samples });
        }
        self.out_hist.push_back(out_rms);
        let mut delayed = self.out_hist.pop_front().unwrap_or(0.0);
        if self.echo_scrambled && delayed > 0.0 {
            delayed = 0.03 + 0.06 * (((self.frame_no * 31_337) % 19) as f32 / 19.0);
        }
        let talking = self
            .speech
            .iter()
            .any(|(s, e)| *s <= self.now && self.now < *e);
        let own = if talking {
            0.05 + 0.05 * (((self.frame_no * 104_729) % 13) as f32 / 13.0)
        } else {
            0.0
        };
        let inbound = own + self.echo_gain * delayed;
        self.input(InputKind::OutboundEnergy(out_rms));
        self.input(InputKind::InboundEnergy(inbound));
        if self.probabilities {
            let noise = self
                .noises
                .iter()
                .any(|(s, e)| *s <= self.now && self.now < *e);
            let p = match (inbound > VAD_THRESHOLD, noise) {
                (true, false) => 0.9,
                (true, true) => 0.2,
                (false, _) => 0.05,
            };
            self.scores
                .push_back((self.now + self.probability_overhang, p));
            while let Some((audio_end, p)) = self.scores.front().copied().filter(|(at, _)| {
                *at + self.probability_lag <= self.now + self.probability_overhang
            }) {
                self.scores.pop_front();
                self.input(InputKind::SpeechProbability { p, audio_end });
            }
        }
        if inbound > VAD_THRESHOLD {
            self.above += 1;
            self.below = 0;
            if self.above == 1 {
                self.edge = self.now;
            }
            if !self.vad && self.above >= VAD_ONSET {
                self.vad = true;
                self.vad_starts.push((self.now, self.edge));
                self.input(InputKind::VadSpeechStart { started: self.edge });
            }
        } else {
            self.below += 1;
            self.above = 0;
            if self.below == 1 {
                self.edge = self.now;
            }
            if self.vad && self.below >= self.vad_hangover {
                self.vad = false;
                self.vad_ends.push(self.now);
                self.input(InputKind::VadSpeechEnd { ended: self.edge });
            }
        }
    }
}
