//! A whole deployment for the fleet tests: livekit-server posting webhooks to a real
//! control-api, `agent worker` processes (optionally behind a proxy that can cut their
//! `/agent` sockets), and candidates joining interviews started through control-api.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use tests::pyclient::PyClient;

use super::control::{ControlPlane, Reserved, SERVICE_TOKEN, Started};
use super::proxy::AgentSocketProxy;
use super::{WorkerProcess, WorkerSpec};
use tests::livekit::LiveKitServer;

/// Fleet tests start many processes (servers, workers, Python clients) on a small machine:
/// they take turns, so each one's timing is its own.
pub static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The deployment.
pub struct Fleet {
    pub server: LiveKitServer,
    pub control: ControlPlane,
    pub proxy: Option<AgentSocketProxy>,
    pub dir: tempfile::TempDir,
    pub agent_name: String,
    /// The fake Deepgram every worker's sessions transcribe with.
    pub stt: tests::fakes::deepgram::FakeDeepgram,
}

/// A candidate in a started interview.
pub struct Candidate {
    pub interview: Started,
    pub client: PyClient,
    pub recording: PathBuf,
}

impl Fleet {
    /// Starts control-api and livekit-server (and the proxy, for workers, when asked).
    pub async fn start(agent_name: &str, with_proxy: bool) -> Result<Self> {
        Self::start_hearing(agent_name, with_proxy, super::ANSWER).await
    }

    /// Like [`Self::start`], the fake speech recognizer hearing `answer` in every burst.
    pub async fn start_hearing(agent_name: &str, with_proxy: bool, answer: &str) -> Result<Self> {
        let stt = super::fake_stt_hearing(answer).await?;
        Self::start_with_stt(agent_name, with_proxy, stt).await
    }

    /// Like [`Self::start`], with this fake speech recognizer.
    pub async fn start_with_stt(
        agent_name: &str,
        with_proxy: bool,
        stt: tests::fakes::deepgram::FakeDeepgram,
    ) -> Result<Self> {
        super::init_tracing();
        let reserved = Reserved::bind().await?;
        let server = LiveKitServer::with_webhook(&reserved.webhook_url()).await?;
        let control = ControlPlane::start(reserved, &server.ws_url(), agent_name).await?;
        let proxy = if with_proxy {
            Some(AgentSocketProxy::start(server.http_port()).await?)
        } else {
            None
        };
        Ok(Self {
            server,
            control,
            proxy,
            dir: tempfile::tempdir()?,
            agent_name: agent_name.to_owned(),
            stt,
        })
    }

    /// Starts a worker named `name` (through the proxy when there is one).
    pub async fn worker(&self, name: &str, max_jobs: usize) -> Result<WorkerProcess> {
        let questions = [super::GREETING, super::SECOND, super::THIRD];
        self.worker_asking(name, max_jobs, &questions).await
    }

    /// Starts a worker whose scripted interviews ask `questions`.
    pub async fn worker_asking(
        &self,
        name: &str,
        max_jobs: usize,
        questions: &[&str],
    ) -> Result<WorkerProcess> {
        self.worker_with(name, max_jobs, questions, None).await
    }

    /// Starts a worker whose interviews are worded by the OpenAI-compatible server at
    /// `llm_url`.
    pub async fn worker_with_llm(
        &self,
        name: &str,
        max_jobs: usize,
        llm_url: &str,
    ) -> Result<WorkerProcess> {
        let questions = [super::GREETING, super::SECOND, super::THIRD];
        self.worker_with(name, max_jobs, &questions, Some(llm_url.to_owned()))
            .await
    }

    /// Starts a scripted worker with more `agent worker` arguments.
    pub async fn worker_with_args(
        &self,
        name: &str,
        max_jobs: usize,
        extra_args: &[&str],
    ) -> Result<WorkerProcess> {
        let questions = [super::GREETING, super::SECOND, super::THIRD];
        let extra = extra_args.iter().map(|a| (*a).to_owned()).collect();
        self.worker_full(name, max_jobs, &questions, None, extra)
            .await
    }

    async fn worker_with(
        &self,
        name: &str,
        max_jobs: usize,
        questions: &[&str],
        llm_url: Option<String>,
    ) -> Result<WorkerProcess> {
        self.worker_full(name, max_jobs, questions, llm_url, Vec::new())
            .await
    }

    async fn worker_full(
        &self,
        name: &str,
        max_jobs: usize,
        questions: &[&str],
        llm_url: Option<String>,
        extra_args: Vec<String>,
    ) -> Result<WorkerProcess> {
        let spec = WorkerSpec {
            url: self
                .proxy
                .as_ref()
                .map_or_else(|| self.server.ws_url(), AgentSocketProxy::ws_url),
            api_key: tests::livekit::API_KEY.to_owned(),
            api_secret: tests::livekit::API_SECRET.to_owned(),
            agent_name: self.agent_name.clone(),
            max_jobs,
            drain_timeout: 60.0,
            control_api: Some(self.control.base.clone()),
            service_token: SERVICE_TOKEN.to_owned(),
            stt_url: self.stt.base_url(),
            questions: questions.iter().map(|q| (*q).to_owned()).collect(),
            llm_url,
            extra_args,
        };
        WorkerProcess::start(&spec, name, self.dir.path()).await
    }

    /// Starts an interview through control-api; its candidate joins and publishes.
    pub async fn interview(&self, title: &str) -> Result<Candidate> {
        self.interview_with(title, serde_json::json!({"title": title}))
            .await
    }

    /// Starts an interview created with `body`; its candidate joins and publishes.
    pub async fn interview_with(&self, title: &str, body: Value) -> Result<Candidate> {
        let interview = self.control.start_interview_with(body).await?;
        let recording = self.dir.path().join(format!("{title}.wav"));
        let client = super::candidate(&interview.url, &interview.token, recording.clone()).await?;
        Ok(Candidate {
            interview,
            client,
            recording,
        })
    }
}

/// The first event at index `from` or later in the client's whole history that matches
/// `pred`, and its index (polled every 50 ms, bounded).
pub async fn find(
    client: &mut PyClient,
    from: usize,
    timeout: Duration,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Result<(usize, Value)> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let events = client.events();
        if let Some((i, e)) = events.iter().enumerate().skip(from).find(|(_, e)| pred(e)) {
            return Ok((i, e.clone()));
        }
        if tokio::time::Instant::now() > deadline {
            let tail: Vec<&Value> = events.iter().rev().take(12).collect();
            anyhow::bail!("{what}: not seen within {timeout:?}; latest events: {tail:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The agent in the candidate's room other than `not`: the index of the first event naming
/// it with its attributes, its identity and its worker's name.
pub async fn agent_of(client: &mut PyClient, not: Option<&str>) -> Result<(usize, String, String)> {
    let (at, event) = find(client, 0, Duration::from_secs(40), "an agent", |e| {
        let identity = e["identity"].as_str().unwrap_or("");
        identity.starts_with("agent-")
            && Some(identity) != not
            && e["attributes"]["interviewer.worker"].is_string()
            && (e["event"] == "participant_connected" || e["event"] == "attributes_changed")
    })
    .await?;
    Ok((
        at,
        event["identity"].as_str().context("identity")?.to_owned(),
        event["attributes"]["interviewer.worker"]
            .as_str()
            .context("worker")?
            .to_owned(),
    ))
}

/// Whether `e` says agent `identity` is now in `state`.
pub fn agent_state(e: &Value, identity: &str, state: &str) -> bool {
    e["identity"] == identity && tests::pyclient::announces_agent_state(e, state)
}

/// Waits until agent `identity` has started speaking (at index `from` or later) and gone back
/// to listening; returns the index of the latter.
pub async fn spoke(client: &mut PyClient, identity: &str, from: usize) -> Result<usize> {
    let timeout = Duration::from_secs(40);
    let (started, _) = find(client, from, timeout, "the agent speaking", |e| {
        agent_state(e, identity, "speaking")
    })
    .await?;
    let (ended, _) = find(client, started, timeout, "the agent done speaking", |e| {
        agent_state(e, identity, "listening")
    })
    .await?;
    Ok(ended)
}
