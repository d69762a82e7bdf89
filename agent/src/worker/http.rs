//! The worker's HTTP endpoint for orchestrators and Prometheus: `GET /health` (the process
//! serves), `GET /ready` (registered at the server and not draining; 503 otherwise) and
//! `GET /metrics` (Prometheus text format). A minimal HTTP/1.1 server: one request per
//! connection, bounded in size and time.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::Shared;
use super::metrics::Live;

/// Largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves until the listener fails.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("health endpoint accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = answer(stream, &shared).await;
        });
    }
}

async fn answer(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(READ_TIMEOUT, async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    if !matches!(read, Ok(Ok(()))) {
        return Ok(());
    }
    let line = head
        .split(|&b| b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .unwrap_or_default();
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let (status, content_type, body) = route(method, path, shared);
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

fn route(method: &str, path: &str, shared: &Shared) -> (&'static str, &'static str, String) {
    const JSON: &str = "application/json";
    if method != "GET" {
        return (
            "405 Method Not Allowed",
            JSON,
            r#"{"detail":"GET only"}"#.into(),
        );
    }
    let live = Live {
        jobs: shared.job_count(),
        max_jobs: shared.config.max_jobs,
        load: shared.load.snapshot(),
        draining: *shared.draining.borrow(),
        registered: shared.registered.load(Ordering::Relaxed),
        registrations: shared.registrations.load(Ordering::Relaxed),
    };
    let summary = serde_json::json!({
        "worker": shared.config.worker_name,
        "agent_name": shared.config.agent_name,
        "registered": live.registered,
        "draining": live.draining,
        "jobs": live.jobs,
        "max_jobs": live.max_jobs,
        "load": live.load.value(),
    });
    match path {
        "/health" => ("200 OK", JSON, summary.to_string()),
        "/ready" if shared.ready() => ("200 OK", JSON, summary.to_string()),
        "/ready" => ("503 Service Unavailable", JSON, summary.to_string()),
        "/metrics" => (
            "200 OK",
            "text/plain; version=0.0.4",
            shared.metrics.encode(live),
        ),
        _ => ("404 Not Found", JSON, r#"{"detail":"not found"}"#.into()),
    }
}
