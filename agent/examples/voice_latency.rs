//! Benchmark of the latency the agent itself adds to each turn (must show 7).
//!
//! `scripts/bench-voice.sh`, or
//! `cargo run --release -p agent --example voice_latency -- --sessions 1 --turns 20 --silero`
//!
//! Each session is a real voice session (dsp pipeline with VAD, Deepgram live client, engine,
//! OpenAI-compatible LLM client, OpenAI-compatible TTS client, playout) against the fake
//! vendors on loopback, in an in-memory room whose pacer takes one 20 ms frame every 20 ms.
//! A candidate feeder sends 20 ms microphone frames in real time: an espeak-ng answer once
//! the agent has finished speaking, silence otherwise.
//!
//! Agent-added latency of a turn = (reply's first frame handed to the transport) − (the
//! moment the end of the turn could be known: the frame on which the VAD saw the silence,
//! the STT final, the configured end-of-turn delay, whichever is last) − the fake LLM's
//! configured time to first token − the fake TTS's configured time to first byte (the fakes
//! keep those to within tens of microseconds, see `tests::fakes::precise_sleep`). It holds
//! the dsp thread hop, the engine, both HTTP clients and loopback, sentence chunking,
//! resampling and queueing; the pacer's 0-20 ms alignment to its clock is not included.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent::session::{Hooks, SessionReport, SileroPaths, VoiceConfig};
use agent::transport::{
    AgentState, AudioFrame, FRAME_SAMPLES, RoomEvent, RoomTransport, Transcription, TransportError,
};
use anyhow::{Context, Result};
use clap::Parser;
use fake_vendors::{installed_silero, voice_config};
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::fakes::{openai_chat, speech as fake_speech};
use tokio::sync::{mpsc, watch};

#[path = "shared/fake_vendors.rs"]
mod fake_vendors;

#[derive(Parser)]
struct Args {
    /// Concurrent sessions.
    #[arg(long, default_value_t = 1)]
    sessions: usize,
    /// Candidate turns per session.
    #[arg(long, default_value_t = 20)]
    turns: usize,
    /// The fake LLM's time to first token (ms).
    #[arg(long, default_value_t = 200)]
    llm_ttft_ms: u64,
    /// The fake TTS's time to first byte (ms).
    #[arg(long, default_value_t = 100)]
    tts_ttfb_ms: u64,
    /// Use the Silero model (from .tools/onnx) as the second VAD stage.
    #[arg(long)]
    silero: bool,
    /// Print every turn's figure.
    #[arg(long)]
    verbose: bool,
}

const ANSWER: &str = "I have built storage systems in Rust for five years.";

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let deepgram = FakeDeepgram::start(DeepgramScript {
        utterances: vec![ANSWER.to_owned(); args.sessions * (args.turns + 2)],
        endpointing: 0.3,
        ..DeepgramScript::default()
    })
    .await?;
    let llm = openai_chat::start(openai_chat::ChatScript {
        replies: vec!["Thank you. What did you find hardest about that work?".into()],
        time_to_first_token: Duration::from_millis(args.llm_ttft_ms),
        ..openai_chat::ChatScript::default()
    })
    .await?;
    let tts = fake_speech::start(fake_speech::SpeechScript {
        time_to_first_byte: Duration::from_millis(args.tts_ttfb_ms),
        ..fake_speech::SpeechScript::default()
    })
    .await?;
    let answer = answer_frames()?;
    let silero = if args.silero {
        installed_silero()
    } else {
        SileroPaths::default()
    };
    let mut config = voice_config(
        &deepgram.base_url(),
        &llm.base_url(),
        &tts.base_url(),
        silero,
    )?;
    // The VAD's silence (550 ms) is the end-of-turn wait here; the text check adds none.
    config.engine.endpoint.min_delay = Duration::ZERO;
    let started = Instant::now();
    let mut runs = Vec::new();
    for _ in 0..args.sessions {
        runs.push(tokio::spawn(one_session(
            config.clone(),
            answer.clone(),
            args.turns,
        )));
    }
    let mut added = Vec::new();
    // The two parts: deciding the turn is over, then producing the reply's first audio.
    let (mut decide, mut respond) = (Vec::new(), Vec::new());
    let mut stages = Vec::new();
    let mut late = (0, 0);
    for run in runs {
        let report = run.await??;
        late.0 += report.late_frames;
        late.1 += report.frames;
        for m in &report.turns {
            if let (Some(l), Some(t)) = (m.llm_ttft, m.tts_ttfb) {
                stages.push((l.as_secs_f64(), t.as_secs_f64()));
            }
        }
        for t in &report.traces {
            let Some(first) = t.first_audio_queued else {
                continue;
            };
            let providers = Duration::from_millis(args.llm_ttft_ms + args.tts_ttfb_ms);
            let total = first.saturating_sub(t.ready);
            added.push(total.as_secs_f64() - providers.as_secs_f64());
            if args.verbose {
                eprintln!(
                    "turn at {:.1} s: agent-added {:.2} ms",
                    t.ready.as_secs_f64(),
                    (total.as_secs_f64() - providers.as_secs_f64()) * 1000.0
                );
            }
            decide.push(t.committed.saturating_sub(t.ready).as_secs_f64());
            respond.push(first.saturating_sub(t.committed).as_secs_f64() - providers.as_secs_f64());
        }
    }
    for v in [&mut added, &mut decide, &mut respond] {
        v.sort_by(f64::total_cmp);
    }
    let pct = |p: f64| added[((added.len() - 1) as f64 * p).round() as usize] * 1000.0;
    let median = |v: &[f64]| v.get(v.len() / 2).map_or(f64::NAN, |m| m * 1000.0);
    anyhow::ensure!(!added.is_empty(), "no turn completed");
    println!(
        "sessions={} turns={} (measured {}) wall={:.1}s late_frames={}/{}",
        args.sessions,
        args.turns,
        added.len(),
        started.elapsed().as_secs_f64(),
        late.0,
        late.1
    );
    println!(
        "agent-added latency per turn: p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "  of which: turn known over -> committed p50 {:.2} ms; committed -> first audio queued (minus providers) p50 {:.2} ms",
        median(&decide),
        median(&respond)
    );
    let mut llm: Vec<f64> = stages.iter().map(|s| s.0).collect();
    let mut tts: Vec<f64> = stages.iter().map(|s| s.1).collect();
    llm.sort_by(f64::total_cmp);
    tts.sort_by(f64::total_cmp);
    println!(
        "  as the engine saw them: LLM time to first token p50 {:.2} ms, TTS time to first byte p50 {:.2} ms",
        median(&llm),
        median(&tts)
    );
    Ok(())
}

/// The candidate's answer as 20 ms frames at 48 kHz.
fn answer_frames() -> Result<Arc<Vec<Box<[i16]>>>> {
    let dir = tempfile::tempdir()?;
    let wav = dir.path().join("answer.wav");
    tests::speech::speak(ANSWER, &tests::speech::Voice::default(), &wav)?;
    let (_, samples) = tests::speech::read_wav(&wav)?;
    let frames = samples
        .chunks(FRAME_SAMPLES)
        .map(|c| {
            let mut f: Vec<i16> = c.iter().map(|&s| (s * 32767.0) as i16).collect();
            f.resize(FRAME_SAMPLES, 0);
            f.into_boxed_slice()
        })
        .collect();
    Ok(Arc::new(frames))
}

/// Runs one session: the agent opens, then `turns` times the candidate answers after the
/// agent finished speaking.
async fn one_session(
    config: VoiceConfig,
    answer: Arc<Vec<Box<[i16]>>>,
    turns: usize,
) -> Result<SessionReport> {
    let (mut room, peer) = BenchRoom::new();
    let (cancel_tx, cancel) = watch::channel(false);
    let session = tokio::spawn(async move {
        agent::session::run(&mut room, config, Hooks::default(), cancel).await
    });
    peer.inject(RoomEvent::TrackSubscribed {
        identity: "candidate".into(),
        track_sid: "TR_mic".into(),
    });
    peer.inject(RoomEvent::LocalTrackSubscribed {
        track_sid: "TR_agent".into(),
    });
    let BenchPeer { events, mut states } = peer;
    let inject = |event| {
        let _ = events.send(event);
    };
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let silence: Box<[i16]> = vec![0; FRAME_SAMPLES].into_boxed_slice();
    let mut said = 0;
    let mut speaking: Option<usize> = None;
    let mut agent_spoke = false;
    let deadline = Instant::now() + Duration::from_secs(30 + 15 * turns as u64);
    while said < turns || speaking.is_some() {
        anyhow::ensure!(Instant::now() < deadline, "the session stalled");
        tokio::select! {
            _ = tick.tick() => {
                let frame = match speaking {
                    Some(i) if i < answer.len() => {
                        speaking = Some(i + 1);
                        answer[i].clone()
                    }
                    Some(_) => {
                        speaking = None;
                        said += 1;
                        silence.clone()
                    }
                    None => silence.clone(),
                };
                inject(RoomEvent::Audio(AudioFrame {
                    identity: Arc::from("candidate"),
                    track_sid: Arc::from("TR_mic"),
                    media_time: Duration::ZERO,
                    received_at: Instant::now(),
                    samples: frame,
                }));
            }
            state = states.recv() => match state.context("the session ended")? {
                AgentState::Speaking => agent_spoke = true,
                AgentState::Listening if agent_spoke && speaking.is_none() && said < turns => {
                    agent_spoke = false;
                    speaking = Some(0);
                }
                _ => {}
            },
        }
    }
    // Let the last reply start, then end the session.
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        match tokio::time::timeout(Duration::from_millis(100), states.recv()).await {
            Ok(Some(AgentState::Speaking)) | Ok(None) => break,
            _ => {}
        }
    }
    let _ = cancel_tx.send(true);
    Ok(session.await??)
}

/// An in-memory room with a real-time pacer: the bench's stand-in for LiveKit.
struct BenchRoom {
    events: mpsc::UnboundedReceiver<RoomEvent>,
    states: mpsc::UnboundedSender<AgentState>,
    queue: Arc<Mutex<VecDeque<Box<[i16]>>>>,
    pacer: tokio::task::JoinHandle<()>,
}

struct BenchPeer {
    events: mpsc::UnboundedSender<RoomEvent>,
    states: mpsc::UnboundedReceiver<AgentState>,
}

impl BenchPeer {
    fn inject(&self, event: RoomEvent) {
        let _ = self.events.send(event);
    }
}

impl BenchRoom {
    fn new() -> (Self, BenchPeer) {
        let (tx, events) = mpsc::unbounded_channel();
        let (states, state_rx) = mpsc::unbounded_channel();
        let queue: Arc<Mutex<VecDeque<Box<[i16]>>>> = Arc::default();
        let q = queue.clone();
        let pacer = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            loop {
                tick.tick().await;
                q.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            }
        });
        (
            Self {
                events,
                states,
                queue,
                pacer,
            },
            BenchPeer {
                events: tx,
                states: state_rx,
            },
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Box<[i16]>>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for BenchRoom {
    fn drop(&mut self) {
        self.pacer.abort();
    }
}

impl RoomTransport for BenchRoom {
    fn push_audio(&self, frame: &[i16]) -> Result<(), TransportError> {
        self.lock().push_back(frame.into());
        Ok(())
    }

    fn flush_audio(&self) -> usize {
        let mut q = self.lock();
        let n = q.len();
        q.clear();
        n
    }

    fn queued_audio(&self) -> usize {
        self.lock().len()
    }

    fn send_data(&self, _: &str, _: &[u8], _: &[String]) -> Result<(), TransportError> {
        Ok(())
    }

    fn send_transcription(&self, _: Transcription) -> Result<(), TransportError> {
        Ok(())
    }

    fn set_agent_state(&self, state: AgentState) -> Result<(), TransportError> {
        let _ = self.states.send(state);
        Ok(())
    }

    async fn next_event(&mut self) -> Option<RoomEvent> {
        self.events.recv().await
    }

    async fn leave(self) {}
}
