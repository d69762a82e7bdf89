//! `agent worker` against a real livekit-server: it registers at `/agent`, takes an explicit
//! dispatch, joins with the assignment's token, greets the official Python client, answers it,
//! reports the job's end to the server, and never exceeds its hard cap.

mod worker_common;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use livekit_api::services::agent_dispatch::AgentDispatchClient;
use livekit_protocol as proto;
use serde_json::Value;
use tests::fakes::deepgram::FakeDeepgram;
use tests::livekit::LiveKitServer;
use tests::pyclient::PyClient;
use worker_common::{GREETING, SECOND, WorkerProcess, WorkerSpec};

fn spec(
    server: &LiveKitServer,
    stt: &FakeDeepgram,
    agent_name: &str,
    max_jobs: usize,
) -> WorkerSpec {
    WorkerSpec {
        url: server.ws_url(),
        api_key: server.api_key().to_owned(),
        api_secret: server.api_secret().to_owned(),
        agent_name: agent_name.to_owned(),
        max_jobs,
        drain_timeout: 30.0,
        control_api: None,
        service_token: String::new(),
        stt_url: stt.base_url(),
        questions: [
            worker_common::GREETING,
            worker_common::SECOND,
            worker_common::THIRD,
        ]
        .map(str::to_owned)
        .to_vec(),
        extra_args: Vec::new(),
        llm_url: None,
    }
}

async fn dispatch(server: &LiveKitServer, agent_name: &str, room: &str) -> Result<()> {
    AgentDispatchClient::with_api_key(&server.http_url(), server.api_key(), server.api_secret())
        .create_dispatch(proto::CreateAgentDispatchRequest {
            agent_name: agent_name.to_owned(),
            room: room.to_owned(),
            metadata: "{}".to_owned(),
            ..Default::default()
        })
        .await
        .context("create dispatch")?;
    Ok(())
}

/// Whether `e` says an agent is now in `state`.
fn is_agent_state(e: &Value, state: &str) -> bool {
    e["identity"]
        .as_str()
        .is_some_and(|i| i.starts_with("agent-"))
        && tests::pyclient::announces_agent_state(e, state)
}

/// Waits until the agent has spoken and gone back to listening.
async fn agent_spoke(client: &mut PyClient) -> Result<()> {
    client
        .wait_for(Duration::from_secs(30), |e| is_agent_state(e, "speaking"))
        .await?;
    client
        .wait_for(Duration::from_secs(30), |e| is_agent_state(e, "listening"))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_registers_greets_answers_and_reports_the_job() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = LiveKitServer::start().await?;
    let stt = worker_common::fake_stt().await?;
    let mut worker =
        WorkerProcess::start(&spec(&server, &stt, "proto-agent", 2), "w1", dir.path()).await?;
    let (status, health) = worker.get("/health").await?;
    ensure!(status == 200, "/health answered {status}");
    let health: Value = serde_json::from_str(&health)?;
    ensure!(
        health["registered"] == true && health["worker"] == "w1",
        "{health}"
    );
    ensure!(worker.metric("worker_registered").await? == 1.0);
    ensure!(worker.metric("worker_jobs_running").await? == 0.0);
    // The voice loop's histograms are served by the same endpoint.
    ensure!(worker.metric("voice_turns_total").await? == 0.0);

    let recording = dir.path().join("candidate.wav");
    let mut client = worker_common::candidate(
        &server.ws_url(),
        &server.token("candidate", "proto-room")?,
        recording.clone(),
    )
    .await?;
    dispatch(&server, "proto-agent", "proto-room").await?;
    let joined = client
        .wait_for(Duration::from_secs(30), |e| {
            e["event"] == "participant_connected"
                && e["identity"]
                    .as_str()
                    .is_some_and(|i| i.starts_with("agent-AJ_"))
        })
        .await?;
    ensure!(
        joined["attributes"]["interviewer.worker"] == "w1",
        "{joined}"
    );
    ensure!(
        joined["attributes"]["lk.agent_name"] == "proto-agent",
        "{joined}"
    );
    worker
        .wait_until(Duration::from_secs(10), "running one job", async |w| {
            w.metric("worker_jobs_running").await.ok() == Some(1.0)
        })
        .await?;
    agent_spoke(&mut client).await?;

    let said = worker_common::utterance(dir.path(), "answer", "I have five years of experience.")?;
    client.play(&said).await?;
    agent_spoke(&mut client).await?;
    client.leave().await?;

    // The candidate left: the interview is over, the job ends and the server is told.
    worker
        .wait_until(Duration::from_secs(20), "idle", async |w| {
            w.metric("worker_jobs_running").await.ok() == Some(0.0)
        })
        .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let ended = loop {
        let log = std::fs::read_to_string(server.log_path())?;
        if let Some(line) = log.lines().find(|l| l.contains("job ended")) {
            break line.to_owned();
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "no job end in the server log:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(ended.contains("JS_SUCCESS"), "{ended}");
    ensure!(worker.metric("worker_jobs_started_total").await? == 1.0);
    ensure!(worker.metric("worker_jobs_failed_total").await? == 0.0);
    ensure!(worker.metric("worker_audio_frames_total").await? > 100.0);
    // The voice session measured its turns: the opening question and the reply.
    ensure!(worker.metric("voice_turns_total").await? >= 1.0);
    ensure!(
        stt.recorded().finals.len() == 1,
        "{:?}",
        stt.recorded().finals
    );

    let heard = worker_common::recording(&recording)?;
    let (greeting, at) =
        worker_common::correlation(&worker_common::agent_voice(GREETING).await?, &heard);
    eprintln!("greeting heard with correlation {greeting:.3} at {at:.2} s");
    ensure!(greeting > 0.8, "greeting correlation {greeting:.3}");
    let (answer, answer_at) =
        worker_common::correlation(&worker_common::agent_voice(SECOND).await?, &heard);
    eprintln!("second question heard with correlation {answer:.3} at {answer_at:.2} s");
    ensure!(answer > 0.7, "second question correlation {answer:.3}");
    ensure!(answer_at > at, "the answer came after the greeting");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_is_hard_and_a_full_worker_is_passed_over() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = LiveKitServer::start().await?;
    let stt = worker_common::fake_stt().await?;
    let mut a = WorkerProcess::start(&spec(&server, &stt, "cap-agent", 2), "a", dir.path()).await?;
    // Three dispatches at once: two slots, so exactly two jobs, whatever the timing.
    let (r1, r2, r3) = tokio::join!(
        dispatch(&server, "cap-agent", "cap-1"),
        dispatch(&server, "cap-agent", "cap-2"),
        dispatch(&server, "cap-agent", "cap-3"),
    );
    r1?;
    r2?;
    r3?;
    a.wait_until(Duration::from_secs(20), "running two jobs", async |w| {
        w.metric("worker_jobs_running").await.ok() == Some(2.0)
    })
    .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !std::fs::read_to_string(server.log_path())?.contains("no worker available to handle job")
    {
        ensure!(
            tokio::time::Instant::now() < deadline,
            "the third job was not refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(a.metric("worker_jobs_started_total").await? == 2.0);
    let (_, ready) = a.get("/ready").await?;
    ensure!(ready.contains("\"jobs\":2"), "{ready}");

    // A second worker takes the next interview; the full one is not asked.
    let mut b = WorkerProcess::start(&spec(&server, &stt, "cap-agent", 2), "b", dir.path()).await?;
    dispatch(&server, "cap-agent", "cap-4").await?;
    b.wait_until(Duration::from_secs(20), "running the new job", async |w| {
        w.metric("worker_jobs_running").await.ok() == Some(1.0)
    })
    .await?;
    ensure!(a.metric("worker_jobs_started_total").await? == 2.0);
    ensure!(a.metric("worker_jobs_running").await? == 2.0);
    Ok(())
}

/// Panics when the job's metadata asks for it; otherwise stays in the room until the job is
/// cancelled or the room closes.
struct PanickyRunner;

#[async_trait::async_trait]
impl agent::worker::JobRunner for PanickyRunner {
    async fn run(
        &self,
        mut room: agent::transport::LiveKitRoom,
        job: proto::Job,
        _load: std::sync::Arc<agent::worker::Load>,
        mut cancel: tokio::sync::watch::Receiver<bool>,
    ) -> Result<()> {
        use agent::transport::RoomTransport;
        if job.metadata.contains("panic") {
            panic!("a bug in one session");
        }
        loop {
            tokio::select! {
                event = room.next_event() => if event.is_none() { break },
                changed = cancel.changed() => if changed.is_err() || *cancel.borrow() { break },
            }
        }
        room.leave().await;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_session_fails_only_its_own_job() -> Result<()> {
    use agent::worker::{Load, Worker, WorkerConfig, WorkerMetrics};
    let server = LiveKitServer::start().await?;
    let registry = prometheus::Registry::new();
    let metrics = WorkerMetrics::new(&registry)?;
    let worker = Worker::start(
        WorkerConfig {
            url: server.ws_url(),
            api_key: server.api_key().to_owned(),
            api_secret: server.api_secret().to_owned(),
            agent_name: "panic-agent".into(),
            worker_name: "in-process".into(),
            max_jobs: 4,
            max_load: 2.0,
            drain_timeout: Duration::from_secs(5),
            loopback: true,
            watchdog_interval: None,
            stale_after: Duration::from_secs(4),
        },
        std::sync::Arc::new(PanickyRunner),
        std::sync::Arc::new(Load::default()),
        metrics,
    );
    let client = AgentDispatchClient::with_api_key(
        &server.http_url(),
        server.api_key(),
        server.api_secret(),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    // The worker may still be registering: the server drops dispatches nobody can take.
    while !std::fs::read_to_string(server.log_path())?.contains("worker registered") {
        ensure!(tokio::time::Instant::now() < deadline, "not registered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (room, metadata) in [("calm", "{}"), ("buggy", r#"{"panic":true}"#)] {
        client
            .create_dispatch(proto::CreateAgentDispatchRequest {
                agent_name: "panic-agent".into(),
                room: room.into(),
                metadata: metadata.into(),
                ..Default::default()
            })
            .await?;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let failed = loop {
        let log = std::fs::read_to_string(server.log_path())?;
        if let Some(line) = log.lines().find(|l| l.contains("job ended")) {
            break line.to_owned();
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "no job ended:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(
        failed.contains("JS_FAILED") && failed.contains("session panicked"),
        "{failed}"
    );
    // The other interview keeps running on the same worker.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while worker.job_count() != 1 {
        ensure!(
            tokio::time::Instant::now() < deadline,
            "jobs: {}",
            worker.job_count()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = agent::metrics::encode(&registry);
    ensure!(text.contains("worker_jobs_failed_total 1"), "{text}");
    ensure!(text.contains("worker_jobs_started_total 2"), "{text}");
    ensure!(!worker.draining());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_drain_deadline_the_agent_says_goodbye_and_the_worker_exits() -> Result<()> {
    use agent::session::runner::GOODBYE;
    let dir = tempfile::tempdir()?;
    let server = LiveKitServer::start().await?;
    let stt = worker_common::fake_stt().await?;
    let mut spec = spec(&server, &stt, "deadline-agent", 2);
    spec.drain_timeout = 1.0;
    let mut worker = WorkerProcess::start(&spec, "w", dir.path()).await?;
    let recording = dir.path().join("candidate.wav");
    let mut client = worker_common::candidate(
        &server.ws_url(),
        &server.token("candidate", "deadline-room")?,
        recording.clone(),
    )
    .await?;
    dispatch(&server, "deadline-agent", "deadline-room").await?;
    agent_spoke(&mut client).await?;

    // The interview is still running when the deadline passes: goodbye, leave, exit 0.
    worker.signal("TERM")?;
    client
        .wait_for(Duration::from_secs(20), |e| is_agent_state(e, "speaking"))
        .await?;
    client
        .wait_for(Duration::from_secs(20), |e| {
            e["event"] == "participant_disconnected"
                && e["identity"]
                    .as_str()
                    .is_some_and(|i| i.starts_with("agent-"))
        })
        .await?;
    let status = worker.wait_exit(Duration::from_secs(20)).await?;
    ensure!(status.success(), "worker exited with {status}");
    client.leave().await?;
    let heard = worker_common::recording(&recording)?;
    let (goodbye, _) =
        worker_common::correlation_in_halves(&worker_common::agent_voice(GOODBYE).await?, &heard);
    eprintln!("goodbye heard with correlation {goodbye:.3}");
    ensure!(goodbye > 0.7, "goodbye correlation {goodbye:.3}");
    let log = std::fs::read_to_string(server.log_path())?;
    let ended = log.lines().find(|l| l.contains("job ended")).unwrap_or("");
    ensure!(ended.contains("JS_SUCCESS"), "{ended}");
    Ok(())
}
