//! The worker's HTTP endpoint for orchestrators and Prometheus, on axum: `GET /health` (the
//! process serves), `GET /ready` (registered at the server and not draining; 503 otherwise)
//! and `GET /metrics` (Prometheus text format). Other paths are 404 and other methods 405,
//! both as `{"detail": ...}`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::Shared;
use super::metrics::Live;

/// Serves until the listener fails.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    if let Err(e) = axum::serve(listener, router(shared)).await {
        tracing::warn!("health endpoint stopped: {e}");
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .fallback(|| async { detail(StatusCode::NOT_FOUND, "not found") })
        .method_not_allowed_fallback(|| async {
            detail(StatusCode::METHOD_NOT_ALLOWED, "GET only")
        })
        .with_state(shared)
}

fn detail(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "detail": text }))).into_response()
}

fn live(shared: &Shared) -> Live {
    Live {
        jobs: shared.job_count(),
        max_jobs: shared.config.max_jobs,
        load: shared.load.snapshot(),
        draining: *shared.draining.borrow(),
        registered: shared.registered.load(Ordering::Relaxed),
        registrations: shared.registrations.load(Ordering::Relaxed),
    }
}

fn summary(shared: &Shared) -> axum::Json<serde_json::Value> {
    let live = live(shared);
    axum::Json(serde_json::json!({
        "worker": shared.config.worker_name,
        "agent_name": shared.config.agent_name,
        "registered": live.registered,
        "draining": live.draining,
        "jobs": live.jobs,
        "max_jobs": live.max_jobs,
        "load": live.load.value(),
    }))
}

async fn health(State(shared): State<Arc<Shared>>) -> Response {
    summary(&shared).into_response()
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    let status = if shared.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, summary(&shared)).into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let body = shared.metrics.encode(live(&shared));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
