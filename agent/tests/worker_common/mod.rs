//! Helpers of the worker tests: `agent worker` processes with their HTTP endpoint, candidates
//! (the official Python client) and what they heard.

#![allow(dead_code)] // each test binary uses a different subset

pub mod control;
pub mod fleet;
pub mod proxy;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::livekit::free_tcp_port;
use tests::pyclient::{ClientOptions, PyClient};
use tests::{signal, speech};
use tokio::process::{Child, Command};

/// How long a worker may take to register after start.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom a worker connects.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    pub url: String,
    pub api_key: String,
    pub api_secret: String,
    pub agent_name: String,
    pub max_jobs: usize,
    pub drain_timeout: f64,
    pub control_api: Option<String>,
    pub service_token: String,
    /// The fake Deepgram the sessions transcribe with.
    pub stt_url: String,
    /// The scripted interview's questions (greeting first).
    pub questions: Vec<String>,
    /// An OpenAI-compatible chat server (base URL ending in `/v1`) instead of the script.
    pub llm_url: Option<String>,
    /// More `agent worker` arguments, after all the others.
    pub extra_args: Vec<String>,
}

/// The interview plan every test worker runs.
pub const GREETING: &str = "Hello, and welcome to your interview. I am your interviewer today.";
/// The question after the candidate's first answer.
pub const SECOND: &str = "Thank you. What is a project you are proud of?";
/// The last question.
pub const THIRD: &str = "How did you handle a disagreement in your team?";
/// What the fake speech recognizer hears in every candidate answer.
pub const ANSWER: &str = "I worked on distributed systems for five years.";

/// A fake Deepgram that hears `answer` in every speech burst.
pub async fn fake_stt_hearing(answer: &str) -> Result<FakeDeepgram> {
    FakeDeepgram::start(DeepgramScript {
        utterances: vec![answer.to_owned(); 256],
        // Generous endpointing: a Python client starved for a moment must not split an answer.
        endpointing: 0.5,
        ..Default::default()
    })
    .await
}

/// A fake Deepgram that hears [`ANSWER`] in every speech burst.
pub async fn fake_stt() -> Result<FakeDeepgram> {
    fake_stt_hearing(ANSWER).await
}

/// A running `agent worker` process (killed when dropped).
pub struct WorkerProcess {
    pub name: String,
    child: Child,
    http: String,
    client: reqwest::Client,
    pub log: PathBuf,
}

impl WorkerProcess {
    /// Starts `agent worker` named `name` and waits until it is ready (registered).
    pub async fn start(spec: &WorkerSpec, name: &str, dir: &Path) -> Result<Self> {
        let port = free_tcp_port()?;
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log)?;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent"));
        cmd.arg("worker")
            .arg("--loopback")
            .args(["--url", &spec.url])
            .args(["--api-key", &spec.api_key])
            .args(["--api-secret", &spec.api_secret])
            .args(["--agent-name", &spec.agent_name])
            .args(["--worker-name", name])
            .args(["--max-jobs", &spec.max_jobs.to_string()])
            // The test machine's CPU is shared with builds: admission by the hard cap only.
            .args(["--max-load", "1.01"])
            .args(["--drain-timeout", &spec.drain_timeout.to_string()])
            .args(["--http", &format!("127.0.0.1:{port}")])
            .args(["--stt-url", &spec.stt_url])
            .args(["--questions", &spec.questions.join("|")])
            .args(["--tts", "espeak"])
            .env("RUST_LOG", "info,webrtc=error,rtc=error,rtc_ice=error,rtc_dtls=error,rtc_sctp=error,rtc_srtp=error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true);
        let (runtime, model) = (
            tests::paths::onnxruntime_lib(),
            tests::paths::silero_model(),
        );
        if runtime.exists() && model.exists() {
            cmd.arg("--onnx-runtime")
                .arg(runtime)
                .arg("--silero-model")
                .arg(model);
        }
        match &spec.llm_url {
            Some(url) => cmd
                .args(["--llm", "open-ai", "--llm-base-url", url])
                .args(["--llm-model", "fake"])
                .env("LLM_API_KEY", "sk-test"),
            None => cmd.args(["--llm", "scripted"]),
        };
        if let Some(url) = &spec.control_api {
            cmd.args(["--control-api", url])
                .env("SERVICE_TOKEN", &spec.service_token);
        }
        cmd.args(&spec.extra_args);
        let child = cmd.spawn().context("starting agent worker")?;
        let mut worker = Self {
            name: name.to_owned(),
            child,
            http: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(3))
                .build()?,
            log,
        };
        worker
            .wait_until(READY_TIMEOUT, "ready", async |w| w.ready().await)
            .await?;
        Ok(worker)
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// `GET path` on the worker's HTTP endpoint: status and body.
    pub async fn get(&self, path: &str) -> Result<(u16, String)> {
        let response = self
            .client
            .get(format!("{}{path}", self.http))
            .send()
            .await?;
        Ok((response.status().as_u16(), response.text().await?))
    }

    /// Whether `/ready` answers 200.
    pub async fn ready(&self) -> bool {
        matches!(self.get("/ready").await, Ok((200, _)))
    }

    /// The value of an unlabelled metric from `/metrics`.
    pub async fn metric(&self, name: &str) -> Result<f64> {
        let (status, body) = self.get("/metrics").await?;
        anyhow::ensure!(status == 200, "/metrics answered {status}");
        metric_value(&body, name).with_context(|| format!("{name} not in /metrics"))
    }

    /// Polls `check` every 100 ms until it holds (bounded).
    pub async fn wait_until(
        &mut self,
        timeout: Duration,
        what: &str,
        mut check: impl AsyncFnMut(&Self) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if check(&*self).await {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!(
                    "worker {} exited with {status}; log:\n{}",
                    self.name,
                    self.log_text()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "worker {} not {what} after {timeout:?}; log:\n{}",
                    self.name,
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The worker's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends a signal (`TERM`, `KILL`) with kill(1).
    pub fn signal(&self, name: &str) -> Result<()> {
        let pid = self.pid().context("worker already exited")?;
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .status()?;
        anyhow::ensure!(status.success(), "kill -{name} {pid} failed");
        Ok(())
    }

    /// Waits for the process to exit (bounded).
    pub async fn wait_exit(&mut self, timeout: Duration) -> Result<std::process::ExitStatus> {
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .with_context(|| format!("worker {} did not exit within {timeout:?}", self.name))?
            .map_err(Into::into)
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

/// The value of `name` (no labels) in a Prometheus text body.
pub fn metric_value(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// A candidate: the official Python client, recording what the agent says.
pub async fn candidate(url: &str, token: &str, record: PathBuf) -> Result<PyClient> {
    let mut client = PyClient::join(
        url,
        token,
        ClientOptions {
            record: Some(record),
            // Deep enough that a starved client does not stretch or gap its answers.
            mic_queue_ms: Some(400),
            ..Default::default()
        },
    )
    .await?;
    client.publish().await?;
    Ok(client)
}

/// The agent's voice for `text` as the worker's espeak-ng voice synthesizes it (48 kHz
/// mono, f32).
pub async fn agent_voice(text: &str) -> Result<Vec<f32>> {
    let samples = agent::session::synthesize_all(&providers::tts::Espeak::default(), text).await?;
    Ok(samples.iter().map(|&s| f32::from(s) / 32768.0).collect())
}

/// Correlation of the 20 ms envelopes of `reference` and `recording` over all lags, and the
/// lag in seconds.
pub fn correlation(reference: &[f32], recording: &[f32]) -> (f32, f32) {
    let a = signal::envelope_20ms(reference, speech::RATE);
    let b = signal::envelope_20ms(recording, speech::RATE);
    let max_lag = b.len().saturating_sub(a.len() / 2);
    let (corr, lag) = signal::best_ncc(&a, &b, max_lag);
    (corr, lag as f32 * 0.02)
}

/// How well `recording` contains `reference` when each half may be shifted on its own (jitter
/// under load stretches pauses): the lower of the two halves' best correlations, and whether
/// the second half came after the first.
pub fn correlation_in_halves(reference: &[f32], recording: &[f32]) -> (f32, bool) {
    let half = reference.len() / 2;
    let (first, first_at) = correlation(&reference[..half], recording);
    let (second, second_at) = correlation(&reference[half..], recording);
    (first.min(second), second_at > first_at)
}

/// A recording saved by a client that has left: its samples.
pub fn recording(path: &Path) -> Result<Vec<f32>> {
    Ok(speech::read_wav(path)?.1)
}

/// Wall-clock time (unix seconds) of the first sample after `after` (unix seconds) whose
/// 20 ms RMS exceeds `threshold`, from a recording and its timeline.
pub fn first_sound_after(path: &Path, after: f64, threshold: f32) -> Result<Option<f64>> {
    let samples = recording(path)?;
    let timeline = tests::pyclient::recording_timeline(path)?;
    let window = (speech::RATE / 50) as usize;
    for (i, rms) in signal::rms_envelope(&samples, window).iter().enumerate() {
        let offset = (i * window) as u64;
        let Some(at) = tests::pyclient::wall_time(&timeline, offset) else {
            continue;
        };
        if at > after && *rms > threshold {
            return Ok(Some(at));
        }
    }
    Ok(None)
}

/// A short utterance of the candidate (48 kHz mono WAV with a second of silence after it).
pub fn utterance(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let spoken = dir.join(format!("{name}.spoken.wav"));
    speech::speak(
        text,
        &speech::Voice {
            pitch: 40,
            ..Default::default()
        },
        &spoken,
    )?;
    let (rate, mut samples) = speech::read_wav(&spoken)?;
    samples.extend(speech::silence(1.0));
    let out = dir.join(format!("{name}.wav"));
    speech::write_wav(&out, rate, &samples)?;
    Ok(out)
}

/// Unix time now, in seconds.
pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Logs to the test output, filtered by RUST_LOG (default: warnings).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,webrtc=error,rtc=error".into()),
        )
        .with_test_writer()
        .try_init();
}
