//! The rig of the paused-time session tests: `session::run` (or the worker's runner) in a
//! paced [`MemoryRoom`], the scripted recognizer, LLM and voice, and a candidate whose
//! microphone sends a 20 ms frame every 20 ms of tokio time (speech when the test queued
//! some, silence otherwise, and optionally the agent's own voice coming back as echo).
//! Everything runs on tokio's paused clock with the dsp pipeline in lockstep, so a session
//! of a minute takes well under a second and comes out the same on every run.

#![allow(dead_code)] // each test binary uses a different subset

pub mod audio;
pub mod llm;
pub mod stt;
pub mod tts;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent::session::{DspMode, Hooks, SessionReport, SileroPaths, VoiceConfig, VoiceRunner};
use agent::transport::memory::{MemoryPeer, MemoryRoom, Sent};
use agent::transport::{AudioFrame, FRAME_SAMPLES, RoomEvent, Transcription};
use conversation::{Message, Question};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;

pub use llm::{Call, ScriptedLlm};
pub use stt::{ScriptedStt, SttScript};
pub use tts::ScriptedTts;

/// The longest any one step may take, in paused time (a stuck session fails fast).
pub const STEP: Duration = Duration::from_secs(60);
/// The candidate's identity and microphone track.
pub const CANDIDATE: &str = "candidate";
pub const MIC: &str = "TR_mic";
pub const AGENT_TRACK: &str = "TR_agent";

/// A session config with the scripted providers, the WebRTC VAD alone (no Silero) and the
/// dsp pipeline in lockstep.
pub fn config(
    stt: &ScriptedStt,
    tts: &Arc<ScriptedTts>,
    llm: Option<&Arc<ScriptedLlm>>,
    questions: &[&str],
) -> VoiceConfig {
    VoiceConfig {
        engine: conversation::Config::default(),
        pipeline: dsp::pipeline::PipelineConfig::default(),
        silero: SileroPaths::default(),
        dsp: DspMode::Lockstep,
        stt: Arc::new(stt.clone()),
        language: None,
        llm: llm.map(|l| l.clone() as Arc<dyn providers::llm::Llm>),
        questions: questions
            .iter()
            .map(|q| Question {
                text: (*q).to_owned(),
                expect_thinking: false,
            })
            .collect(),
        closing: "Thank you, that was my last question. Goodbye.".into(),
        system_prompt: "You are an interviewer.".into(),
        tts: tts.clone(),
        end_when_done: true,
        nudges: true,
        nudge_policy: dsp::nudge::NudgeConfig::default(),
        brief: None,
    }
}

/// The agent's voice coming back into the candidate's microphone.
#[derive(Debug, Clone, Copy)]
pub struct Echo {
    /// Amplitude factor (0.1 is -20 dB).
    pub gain: f32,
    /// From the agent's frame being played to its echo being sent.
    pub delay: Duration,
}

/// The candidate's microphone.
#[derive(Clone)]
pub struct Mic {
    state: Arc<Mutex<MicState>>,
    changed: watch::Sender<()>,
}

/// One queued utterance, in samples of the queued stream.
#[derive(Debug, Clone, Copy)]
struct Utterance {
    start: u64,
    end: u64,
    /// When the frame holding its first sample was sent.
    onset: Option<Instant>,
    /// When the frame holding its last sample was sent.
    done: Option<Instant>,
}

#[derive(Default)]
struct MicState {
    pending: VecDeque<i16>,
    queued: u64,
    sent: u64,
    utterances: Vec<Utterance>,
}

impl Mic {
    /// Sends a frame into `peer` every 20 ms until the room is gone: the queued speech, or
    /// silence, plus the agent's played voice if `echo`.
    fn start(peer: MemoryPeer, echo: Option<Echo>) -> (Self, tokio::task::JoinHandle<()>) {
        let mic = Self {
            state: Arc::default(),
            changed: watch::Sender::new(()),
        };
        let this = mic.clone();
        let task = tokio::spawn(async move {
            // Half a frame after the pacer and the shell's tick, never at the same instant.
            tokio::time::sleep(Duration::from_millis(10)).await;
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let mut heard = 0usize;
            loop {
                tick.tick().await;
                let now = Instant::now();
                let mut frame = this.next_frame(now);
                if let Some(echo) = echo {
                    let delay = echo.delay;
                    let back: Vec<Box<[i16]>> = peer.inspect(|sent: &Sent| {
                        let due = sent.played_at[heard..]
                            .iter()
                            .take_while(|&&at| at + delay <= now)
                            .count();
                        sent.audio[heard..heard + due].to_vec()
                    });
                    heard += back.len();
                    for b in back {
                        for (f, x) in frame.iter_mut().zip(b.iter()) {
                            let mixed = f32::from(*f) + f32::from(*x) * echo.gain;
                            *f = mixed.clamp(-32768.0, 32767.0) as i16;
                        }
                    }
                }
                let sent = peer.inject(RoomEvent::Audio(AudioFrame {
                    identity: Arc::from(CANDIDATE),
                    track_sid: Arc::from(MIC),
                    media_time: Duration::ZERO,
                    received_at: std::time::Instant::now(),
                    samples: frame.into_boxed_slice(),
                }));
                if !sent {
                    return;
                }
            }
        });
        (mic, task)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MicState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next 20 ms of the candidate's own voice (silence when nothing is queued).
    fn next_frame(&self, now: Instant) -> Vec<i16> {
        let mut frame = vec![0i16; FRAME_SAMPLES];
        let mut s = self.lock();
        let n = s.pending.len().min(FRAME_SAMPLES);
        if n == 0 {
            return frame;
        }
        for (f, x) in frame.iter_mut().zip(s.pending.drain(..n)) {
            *f = x;
        }
        let (from, to) = (s.sent, s.sent + n as u64);
        s.sent = to;
        for u in &mut s.utterances {
            if u.onset.is_none() && u.start < to {
                u.onset = Some(now);
            }
            if u.done.is_none() && u.end <= to && u.end > from {
                u.done = Some(now);
            }
        }
        drop(s);
        self.changed.send_replace(());
        frame
    }

    /// Queues `samples` after whatever is queued; returns the utterance's number.
    pub fn say(&self, samples: &[i16]) -> usize {
        let mut s = self.lock();
        let start = s.queued;
        s.queued += samples.len() as u64;
        s.pending.extend(samples);
        let end = s.queued;
        s.utterances.push(Utterance {
            start,
            end,
            onset: None,
            done: None,
        });
        s.utterances.len() - 1
    }

    /// Waits until utterance `n` was sent; returns when its first and last frames went.
    pub async fn said(&self, n: usize) -> (Instant, Instant) {
        let mut changed = self.changed.subscribe();
        loop {
            if let Some(Utterance {
                onset: Some(a),
                done: Some(b),
                ..
            }) = self.lock().utterances.get(n).copied()
            {
                return (a, b);
            }
            let _ = changed.changed().await;
        }
    }
}

/// A running session in a paced memory room.
pub struct Rig {
    pub peer: MemoryPeer,
    pub mic: Mic,
    pub started: Instant,
    pub cancel: watch::Sender<bool>,
    /// Every message as it entered the history (`Hooks::on_message`).
    pub messages: Arc<Mutex<Vec<Message>>>,
    session: Option<tokio::task::JoinHandle<anyhow::Result<SessionReport>>>,
    mic_task: tokio::task::JoinHandle<()>,
}

impl Rig {
    /// Starts `session::run` with `config`; the candidate is in the room and subscribed
    /// to the agent.
    pub fn start(config: VoiceConfig, echo: Option<Echo>) -> Self {
        let rig = Self::start_unsubscribed(config, echo);
        rig.subscribe();
        rig
    }

    /// Like [`Rig::start`], but nobody hears the agent yet ([`Rig::subscribe`]).
    pub fn start_unsubscribed(config: VoiceConfig, echo: Option<Echo>) -> Self {
        let (mut room, peer) = MemoryRoom::paced();
        let (cancel, cancelled) = watch::channel(false);
        let messages: Arc<Mutex<Vec<Message>>> = Arc::default();
        let record = messages.clone();
        let hooks = Hooks {
            on_message: Some(Arc::new(move |m: &Message| {
                record
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(m.clone());
            })),
            ..Hooks::default()
        };
        let started = Instant::now();
        let session = tokio::spawn(async move {
            Ok(agent::session::run(&mut room, config, hooks, cancelled).await?)
        });
        Self::join(peer, started, cancel, messages, session, echo)
    }

    /// Runs `job` with the worker's runner (no control-api) instead of a bare session, in
    /// the worker's span for the job.
    pub fn start_job(runner: VoiceRunner, job: livekit_protocol::Job) -> Self {
        let (mut room, peer) = MemoryRoom::paced();
        let (cancel, cancelled) = watch::channel(false);
        let started = Instant::now();
        let span = agent::worker::job_span(&job);
        let session = tokio::spawn(
            async move { runner.interview(&mut room, &job, None, cancelled).await }
                .instrument(span),
        );
        let rig = Self::join(peer, started, cancel, Arc::default(), session, None);
        rig.subscribe();
        rig
    }

    fn join(
        peer: MemoryPeer,
        started: Instant,
        cancel: watch::Sender<bool>,
        messages: Arc<Mutex<Vec<Message>>>,
        session: tokio::task::JoinHandle<anyhow::Result<SessionReport>>,
        echo: Option<Echo>,
    ) -> Self {
        peer.inject(RoomEvent::TrackSubscribed {
            identity: CANDIDATE.into(),
            track_sid: MIC.into(),
        });
        let (mic, mic_task) = Mic::start(peer.clone(), echo);
        Self {
            peer,
            mic,
            started,
            cancel,
            messages,
            session: Some(session),
            mic_task,
        }
    }

    /// Someone subscribes to the agent's track: from now on it is heard.
    pub fn subscribe(&self) {
        self.peer.inject(RoomEvent::LocalTrackSubscribed {
            track_sid: AGENT_TRACK.into(),
        });
    }

    /// The messages of the history so far, as the host heard of them.
    pub fn messages(&self) -> Vec<Message> {
        self.messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Everything the room heard of the agent, in order.
    pub fn agent_audio(&self) -> Vec<i16> {
        self.peer
            .inspect(|s| s.audio.iter().flat_map(|f| f.iter().copied()).collect())
    }

    /// Frames of the agent played so far.
    pub fn agent_frames(&self) -> usize {
        self.peer.inspect(|s| s.audio.len())
    }

    /// The final transcripts (segment, text) in the order they were sent.
    pub fn finals(&self) -> Vec<(String, String)> {
        self.peer.inspect(|s| {
            s.transcriptions
                .iter()
                .filter(|t| t.is_final)
                .map(|t| (t.segment_id.clone(), t.text.clone()))
                .collect()
        })
    }

    /// Waits (bounded) until the agent's transcript segment `index` is final; its text.
    pub async fn agent_final(&self, index: usize) -> String {
        let id = format!("SG_agent_{index}");
        self.wait(&format!("{id} final"), |sent| {
            final_text(&sent.transcriptions, &id)
        })
        .await
    }

    /// Waits (bounded) until the agent's transcript segment `index` holds `n` words heard.
    pub async fn agent_words(&self, index: usize, n: usize) {
        let id = format!("SG_agent_{index}");
        self.wait(&format!("{n} words of {id}"), |sent| {
            sent.transcriptions
                .iter()
                .any(|t| t.segment_id == id && t.text.split_whitespace().count() >= n)
                .then_some(())
        })
        .await;
    }

    /// Waits (bounded) until `done` holds for what the agent sent.
    pub async fn wait<R>(&self, what: &str, done: impl FnMut(&Sent) -> Option<R>) -> R {
        match tokio::time::timeout(STEP, self.peer.wait_for(done)).await {
            Ok(answer) => answer,
            Err(_) => panic!("{what}: not within {STEP:?} (at {:?})", self.since()),
        }
    }

    /// Session time now.
    pub fn since(&self) -> Duration {
        Instant::now() - self.started
    }

    /// Session time of `at`.
    pub fn at(&self, at: Instant) -> Duration {
        at - self.started
    }

    /// Says `samples` and waits until they were sent; when the first and the last frame
    /// went.
    pub async fn say(&self, samples: &[i16]) -> (Instant, Instant) {
        let n = self.mic.say(samples);
        match tokio::time::timeout(STEP, self.mic.said(n)).await {
            Ok(times) => times,
            Err(_) => panic!("the microphone is stuck"),
        }
    }

    /// Waits (bounded) for the session to end by itself.
    pub async fn finished(&mut self) -> SessionReport {
        let session = self.session.take().expect("a session");
        match tokio::time::timeout(STEP, session).await {
            Ok(joined) => joined.expect("the session task").expect("the session"),
            Err(_) => panic!("the session did not end by itself"),
        }
    }

    /// Cancels the session (a drain or a terminated job) and waits for its report.
    pub async fn stop(&mut self) -> SessionReport {
        let _ = self.cancel.send(true);
        self.finished().await
    }

    /// The session dies where it is (a killed worker): nothing more is said or sent.
    pub fn kill(&mut self) {
        if let Some(session) = self.session.take() {
            session.abort();
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.mic_task.abort();
        if let Some(session) = &self.session {
            session.abort();
        }
    }
}

/// The final text of transcript segment `id`, if it was sent.
pub fn final_text(transcriptions: &[Transcription], id: &str) -> Option<String> {
    transcriptions
        .iter()
        .find(|t| t.segment_id == id && t.is_final)
        .map(|t| t.text.clone())
}

/// Lower-case words without punctuation, for comparing transcripts.
pub fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The audio the session plays for the voice's `texts` in order: each speech padded to
/// whole 20 ms frames.
pub fn voiced(texts: &[String]) -> Vec<i16> {
    let mut out = Vec::new();
    for text in texts {
        let mut audio = ScriptedTts::audio(text);
        audio.resize(audio.len().div_ceil(FRAME_SAMPLES) * FRAME_SAMPLES, 0);
        out.extend(audio);
    }
    out
}

/// A candidate saying `text`: voiced sound 0.3 s per word, seeded by the text.
pub fn speech(text: &str) -> Vec<i16> {
    let words = text.split_whitespace().count().max(1) as f64;
    let seed = text
        .bytes()
        .fold(3u32, |h, b| h.wrapping_mul(33).wrapping_add(u32::from(b)));
    audio::voice(0.3 * words + 0.2, 120.0, seed)
}

/// Asserts that the room heard exactly `voiced`, sample for sample, except for frames the
/// agent ducked while it judged candidate speech: those are the same frames scaled down
/// (by at most 18 dB, ramped), never silent, dropped or moved. Returns how many frames were
/// ducked.
pub fn assert_heard(heard: &[i16], voiced: &[i16]) -> usize {
    assert_eq!(
        heard.len(),
        voiced.len(),
        "the room heard every sample once"
    );
    let mut ducked = 0;
    for (i, (h, v)) in heard
        .chunks(FRAME_SAMPLES)
        .zip(voiced.chunks(FRAME_SAMPLES))
        .enumerate()
    {
        if h == v {
            continue;
        }
        ducked += 1;
        let scaled = h.iter().zip(v).all(|(&h, &v)| {
            let (h, v) = (i32::from(h), i32::from(v));
            h.abs() <= v.abs() + 1 && (h == 0 || h.signum() == v.signum())
        });
        let level = audio::rms(h) / audio::rms(v).max(1e-9);
        assert!(
            scaled && level >= 0.12,
            "frame {i} is not the voiced frame ducked (level {level:.3})"
        );
    }
    ducked
}
