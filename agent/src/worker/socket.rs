//! The worker socket: `/agent` WebSocket, registration, availability answers, status every
//! 2.5 s, job updates, and reconnects with backoff. Jobs live outside this task, so a cut
//! socket never disturbs them; job updates wait in the queue until the next connection.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use livekit_api::access_token::{AccessToken, VideoGrants};
use livekit_protocol::{
    AvailabilityResponse, JobType, RegisterWorkerRequest, ServerMessage, UpdateJobStatus,
    UpdateWorkerStatus, WorkerMessage, WorkerPing, WorkerStatus, server_message, worker_message,
};
use prost::Message as _;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::job::JobUpdate;
use super::{Shared, WORKER_ATTRIBUTE};

/// How often the worker reports status and load.
pub const STATUS_INTERVAL: Duration = Duration::from_millis(2500);
const PING_INTERVAL: Duration = Duration::from_secs(5);
/// A socket with no message from the server this long (pongs included) is dead.
const DEAD_AFTER: Duration = Duration::from_secs(16);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The `/agent` URL for `base`.
pub fn agent_url(base: &str) -> Result<String> {
    let base = base.trim().trim_end_matches('/');
    let rest = if let Some(r) = base.strip_prefix("http://") {
        format!("ws://{r}")
    } else if let Some(r) = base.strip_prefix("https://") {
        format!("wss://{r}")
    } else if base.starts_with("ws://") || base.starts_with("wss://") {
        base.to_string()
    } else {
        bail!("unsupported server URL scheme");
    };
    Ok(format!("{rest}/agent"))
}

/// Serves until aborted: connect, register, serve, and on any failure reconnect with
/// exponential backoff (100 ms doubling to 10 s, reset after a successful registration).
/// Job updates that could not be sent wait in `pending` for the next connection.
pub(crate) async fn serve(shared: Arc<Shared>, mut updates: mpsc::UnboundedReceiver<JobUpdate>) {
    let mut backoff = Duration::from_millis(100);
    let mut seq = 0u64;
    let mut pending = VecDeque::new();
    loop {
        let result = session(&shared, &mut updates, &mut pending, &mut seq, &mut backoff).await;
        shared.registered.store(false, Ordering::Relaxed);
        match result {
            Ok(()) => tracing::info!("worker socket closed by the server"),
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "worker socket failed"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn worker_token(shared: &Shared) -> Result<String> {
    Ok(
        AccessToken::with_api_key(&shared.config.api_key, &shared.config.api_secret)
            .with_grants(VideoGrants {
                agent: true,
                ..Default::default()
            })
            .with_ttl(Duration::from_secs(3600))
            .to_jwt()?,
    )
}

async fn session(
    shared: &Arc<Shared>,
    updates: &mut mpsc::UnboundedReceiver<JobUpdate>,
    pending: &mut VecDeque<JobUpdate>,
    seq: &mut u64,
    backoff: &mut Duration,
) -> Result<()> {
    let mut request = agent_url(&shared.config.url)?.into_client_request()?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", worker_token(shared)?))?;
    request.headers_mut().insert("Authorization", bearer);
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(request),
    )
    .await
    .context("connecting the worker socket timed out")??;

    let register = worker_message::Message::Register(RegisterWorkerRequest {
        r#type: JobType::JtRoom as i32,
        agent_name: shared.config.agent_name.clone(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        ping_interval: PING_INTERVAL.as_secs() as u32,
        ..Default::default()
    });
    ws.send(encode(register)).await?;

    let mut status_tick = tokio::time::interval(STATUS_INTERVAL);
    let mut ping_tick =
        tokio::time::interval_at(tokio::time::Instant::now() + PING_INTERVAL, PING_INTERVAL);
    let mut draining = shared.draining.subscribe();
    let mut registered = false;
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            frame = ws.next() => {
                let bytes = match frame {
                    Some(Ok(WsMessage::Binary(bytes))) => bytes,
                    Some(Ok(WsMessage::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                };
                last_heard = tokio::time::Instant::now();
                let Ok(message) = ServerMessage::decode(bytes.as_ref()) else {
                    tracing::warn!("undecodable server message ignored");
                    continue;
                };
                if matches!(message.message, Some(server_message::Message::Register(_))) {
                    registered = true;
                }
                if let Some(reply) = handle(shared, message, backoff) {
                    ws.send(encode(reply)).await?;
                }
                if registered && !pending.is_empty() {
                    flush(&mut ws, pending).await?;
                    send_status(shared, &mut ws, seq).await?;
                }
            }
            update = updates.recv() => {
                let Some(update) = update else { return Ok(()) };
                pending.push_back(update);
                if registered {
                    flush(&mut ws, pending).await?;
                    send_status(shared, &mut ws, seq).await?;
                }
            }
            _ = status_tick.tick(), if registered => send_status(shared, &mut ws, seq).await?,
            _ = draining.changed(), if registered => send_status(shared, &mut ws, seq).await?,
            _ = ping_tick.tick() => {
                if last_heard.elapsed() > DEAD_AFTER {
                    bail!("nothing heard from the server for {DEAD_AFTER:?}");
                }
                if !registered {
                    bail!("not registered within {PING_INTERVAL:?}");
                }
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                ws.send(encode(worker_message::Message::Ping(WorkerPing { timestamp: now }))).await?;
            }
        }
    }
}

/// Sends the queued job updates, oldest first; an update leaves the queue only once sent.
async fn flush<S>(ws: &mut S, pending: &mut VecDeque<JobUpdate>) -> Result<()>
where
    S: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
{
    while let Some(update) = pending.front_mut() {
        let message = worker_message::Message::UpdateJob(UpdateJobStatus {
            job_id: update.job_id.clone(),
            status: update.status as i32,
            error: update.error.clone(),
        });
        ws.send(encode(message)).await?;
        if let Some(sent) = update.sent.take() {
            let _ = sent.send(());
        }
        pending.pop_front();
    }
    Ok(())
}

/// The load reported to the server for its load-weighted choice: the CPU share relative to
/// the worker's admission threshold. The late-frame share stays out of it: at 1 % late frames
/// it read as full, and livekit-server stopped offering jobs to a worker that still took
/// them; the worker's own gate (status FULL, availability refused) covers lateness.
fn reported_load(load: f32, max_load: f32) -> f32 {
    if max_load > 0.0 {
        (load / max_load).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

async fn send_status<S>(shared: &Shared, ws: &mut S, seq: &mut u64) -> Result<()>
where
    S: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
{
    *seq += 1;
    let status = if shared.full() {
        WorkerStatus::WsFull
    } else {
        WorkerStatus::WsAvailable
    };
    let message = worker_message::Message::UpdateWorker(UpdateWorkerStatus {
        status: Some(status as i32),
        load: reported_load(shared.load.snapshot().cpu, shared.config.max_load),
        job_count: shared.job_count() as u32,
        draining: *shared.draining.borrow(),
        seq: *seq,
    });
    ws.send(encode(message)).await?;
    Ok(())
}

fn handle(
    shared: &Arc<Shared>,
    message: ServerMessage,
    backoff: &mut Duration,
) -> Option<worker_message::Message> {
    match message.message? {
        server_message::Message::Register(response) => {
            tracing::info!(worker_id = %response.worker_id, agent = %shared.config.agent_name, "registered");
            shared.registered.store(true, Ordering::Relaxed);
            shared.registrations.fetch_add(1, Ordering::Relaxed);
            *backoff = Duration::from_millis(100);
            None
        }
        server_message::Message::Availability(request) => {
            let job = request.job?;
            let available = shared.reserve(&job.id);
            tracing::info!(job = %job.id, available, jobs = shared.job_count(), "availability");
            Some(worker_message::Message::Availability(
                AvailabilityResponse {
                    participant_identity: format!("agent-{}", job.id),
                    job_id: job.id,
                    available,
                    participant_name: "Interviewer".to_string(),
                    participant_attributes: HashMap::from([(
                        WORKER_ATTRIBUTE.to_string(),
                        shared.config.worker_name.clone(),
                    )]),
                    ..Default::default()
                },
            ))
        }
        server_message::Message::Assignment(assignment) => {
            let job = assignment.job?;
            tracing::info!(job = %job.id, "assigned");
            shared.start_job(job, assignment.url, assignment.token);
            None
        }
        server_message::Message::Termination(termination) => {
            tracing::info!(job = %termination.job_id, "terminated by the server");
            shared.terminate(&termination.job_id);
            None
        }
        server_message::Message::Pong(_) | server_message::Message::GoAway(_) => None,
    }
}

fn encode(message: worker_message::Message) -> WsMessage {
    WsMessage::Binary(
        WorkerMessage {
            message: Some(message),
        }
        .encode_to_vec()
        .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reported_load_is_relative_to_the_admission_threshold() {
        assert!((reported_load(0.4, 0.8) - 0.5).abs() < 1e-6);
        assert_eq!(reported_load(0.9, 0.8), 1.0);
        assert!(
            reported_load(1.0, 1.01) < 1.0,
            "a worker that still admits is not full"
        );
        assert_eq!(reported_load(0.1, 0.0), 1.0);
    }

    #[test]
    fn agent_url_maps_schemes() {
        assert_eq!(agent_url("http://h:1/").expect("http"), "ws://h:1/agent");
        assert_eq!(agent_url("https://h").expect("https"), "wss://h/agent");
        assert_eq!(agent_url("ws://h").expect("ws"), "ws://h/agent");
        assert!(agent_url("ftp://h").is_err());
    }
}
