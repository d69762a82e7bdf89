//! Liveness and readiness probes.

use axum::Router;
use axum::routing::get;
use serde::Serialize;

use axum::extract::State;

use crate::AppState;
use crate::error::ApiError;
use crate::json::Json;

/// Probe response body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `"healthy"` from `/health` (seed 001's word), `"ok"` from `/ready`.
    #[schema(value_type = String, example = "healthy")]
    pub status: &'static str,
}

/// `/health` and `/ready` at the root, for orchestrators.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
}

/// The same probes under `/api/v1`, as the seed APIs expose them.
pub fn api_router() -> Router<AppState> {
    router()
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "health",
    responses((status = 200, description = "The service is alive", body = Health))
)]
pub(crate) async fn health() -> Json<Health> {
    Json(Health { status: "healthy" })
}

/// Ready when the database answers.
#[utoipa::path(
    get,
    path = "/api/v1/ready",
    tag = "health",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn ready(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.db().ping().await.map_err(|err| {
        tracing::warn!(error = %err, "readiness check failed");
        ApiError::Unavailable("database unavailable".to_owned())
    })?;
    Ok(Json(Health { status: "ok" }))
}
