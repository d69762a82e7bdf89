//! Shared rig of the voice end-to-end tests: a real livekit-server, the official Python
//! client as the candidate (recording the agent), the voice session in-process against the
//! fake Deepgram, and espeak-ng as both the agent's voice and the candidate's.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agent::session::{DspMode, Hooks, SessionReport, SileroPaths, VoiceConfig};
use agent::transport::{LiveKitRoom, RoomTransport};
use anyhow::{Context, Result, bail};
use conversation::Question;
use providers::llm::Llm;
use providers::stt::LiveConfig;
use providers::stt::live::Deepgram;
use providers::tts::{Espeak, Tts};
use serde_json::Value;
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::livekit::LiveKitServer;
use tests::pyclient::{ClientOptions, PyClient};
use tests::{paths, speech};
use tokio::sync::watch;

use crate::common;

/// How long any single step of a conversation may take under a loaded machine.
pub const STEP: Duration = Duration::from_secs(60);

/// A session config with the fake Deepgram, espeak-ng and Silero when installed.
pub fn config(stt_url: &str, questions: &[&str], llm: Option<Arc<dyn Llm>>) -> VoiceConfig {
    let stt = Arc::new(Deepgram {
        config: LiveConfig::new(stt_url),
    });
    let (runtime, model) = (paths::onnxruntime_lib(), paths::silero_model());
    let silero = if runtime.exists() && model.exists() {
        SileroPaths {
            runtime: Some(runtime),
            model: Some(model),
        }
    } else {
        SileroPaths::default()
    };
    let tts: Arc<dyn Tts> = Arc::new(Espeak::default());
    VoiceConfig {
        engine: conversation::Config::default(),
        pipeline: dsp::pipeline::PipelineConfig::default(),
        silero,
        dsp: DspMode::Thread,
        stt,
        language: None,
        llm,
        questions: questions
            .iter()
            .map(|q| Question {
                text: (*q).to_owned(),
                expect_thinking: false,
            })
            .collect(),
        closing: "Thank you, that was my last question. Goodbye.".into(),
        system_prompt: "You are an interviewer.".into(),
        tts,
        end_when_done: true,
        nudges: true,
        nudge_policy: dsp::nudge::NudgeConfig::default(),
        brief: None,
    }
}

/// Everything a voice test runs against.
pub struct Rig {
    pub dir: tempfile::TempDir,
    pub server: LiveKitServer,
    pub deepgram: FakeDeepgram,
    pub client: PyClient,
    pub recording: PathBuf,
    cancel: watch::Sender<bool>,
    session: tokio::task::JoinHandle<Result<SessionReport>>,
}

impl Rig {
    /// Starts the server, the fake STT with `script`, the candidate client (recording the
    /// agent, publishing its microphone, `echo_db` mixing the agent back in), then the agent.
    pub async fn start(
        room: &str,
        script: DeepgramScript,
        echo_db: Option<f32>,
        make_config: impl FnOnce(&str) -> VoiceConfig,
    ) -> Result<Self> {
        common::init_tracing();
        let dir = tempfile::tempdir()?;
        let server = common::start_server().await?;
        let deepgram = FakeDeepgram::start(script).await?;
        let recording = dir.path().join("agent-heard.wav");
        let mut client = PyClient::join(
            &server.ws_url(),
            &server.token("candidate", room)?,
            ClientOptions {
                record: Some(recording.clone()),
                record_identity: Some("agent".into()),
                echo_db,
                mic_queue_ms: None,
                dtx: None,
            },
        )
        .await?;
        client.publish().await?;
        let config = make_config(&deepgram.base_url());
        let token = common::agent_token(&server, "agent", room)?;
        let mut room = tokio::time::timeout(
            Duration::from_secs(20),
            LiveKitRoom::connect(common::options(&server.ws_url(), token)),
        )
        .await
        .context("agent join timed out")??;
        let (cancel, cancelled) = watch::channel(false);
        let session = tokio::spawn(async move {
            let result = agent::session::run(&mut room, config, Hooks::default(), cancelled).await;
            room.leave().await;
            Ok(result?)
        });
        Ok(Self {
            dir,
            server,
            deepgram,
            client,
            recording,
            cancel,
            session,
        })
    }

    /// The candidate says `text` (espeak-ng, then `pause` seconds of silence).
    pub async fn say(&mut self, name: &str, text: &str) -> Result<PathBuf> {
        let wav = answer(self.dir.path(), name, text, 0.5)?;
        self.client.play(&wav).await?;
        Ok(wav)
    }

    /// Waits for the agent's final transcript of segment `index`; returns its text.
    pub async fn agent_final(&mut self, index: usize) -> Result<String> {
        let id = format!("SG_agent_{index}");
        let e = self
            .client
            .wait_for(STEP, |e| {
                e["event"] == "text_received"
                    && e["attributes"]["lk.segment_id"] == id.as_str()
                    && e["attributes"]["lk.transcription_final"] == "true"
            })
            .await?;
        Ok(e["text"].as_str().unwrap_or_default().to_owned())
    }

    /// Waits for the session to end by itself.
    pub async fn finished(self) -> Result<(SessionReport, Vec<Value>, PathBuf, tempfile::TempDir)> {
        let Rig {
            dir,
            server,
            deepgram,
            client,
            recording,
            cancel,
            session,
        } = self;
        let report = match tokio::time::timeout(STEP, session).await {
            Ok(joined) => joined??,
            Err(_) => {
                let _ = cancel.send(true);
                bail!("the session did not end by itself");
            }
        };
        let events = client.leave().await?;
        drop((server, deepgram));
        Ok((report, events, recording, dir))
    }

    /// Ends the session now.
    pub async fn stop(self) -> Result<(SessionReport, Vec<Value>, PathBuf, tempfile::TempDir)> {
        let _ = self.cancel.send(true);
        self.finished().await
    }
}

/// Speech followed by `pause` seconds of silence, as 48 kHz mono.
pub fn answer(dir: &Path, name: &str, text: &str, pause: f32) -> Result<PathBuf> {
    let spoken = dir.join(format!("{name}.spoken.wav"));
    speech::speak(text, &speech::Voice::default(), &spoken)?;
    let (rate, mut samples) = speech::read_wav(&spoken)?;
    samples.extend(speech::silence(pause));
    let out = dir.join(format!("{name}.wav"));
    speech::write_wav(&out, rate, &samples)?;
    Ok(out)
}

/// Text streams received on `lk.transcription` that are final, as (identity, segment, text).
pub fn finals(events: &[Value]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter(|e| {
            e["event"] == "text_received"
                && e["topic"] == "lk.transcription"
                && e["attributes"]["lk.transcription_final"] == "true"
        })
        .map(|e| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                s(&e["identity"]),
                s(&e["attributes"]["lk.segment_id"]),
                s(&e["text"]),
            )
        })
        .collect()
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
