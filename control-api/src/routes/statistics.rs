//! `GET /users/statistics`: counts of what the caller owns (seed 002 lists the path, no shape).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;
use crate::json::Json;
use crate::principal::Principal;

/// The caller's usage figures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserStatistics {
    /// The caller's id.
    pub user_id: String,
    /// When the account was created (RFC 3339).
    pub member_since: String,
    /// Resumes the caller has stored.
    pub total_resumes: i64,
    /// API keys the caller has created, active or not.
    pub total_api_keys: i64,
    /// API keys that still authenticate.
    pub active_api_keys: i64,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/users/statistics", get(statistics))
}

/// Counts of the objects the caller owns.
#[utoipa::path(
    get,
    path = "/api/v1/users/statistics",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's statistics", body = UserStatistics),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = crate::openapi::ErrorBody),
        (status = 400, description = "Inactive user", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn statistics(
    State(state): State<AppState>,
    current: Principal,
) -> Result<Json<UserStatistics>, ApiError> {
    let user_id = current.user.id;
    let total_resumes = count(
        &state,
        "SELECT COUNT(*) AS n FROM resumes WHERE user_id = $1",
        &user_id,
    )
    .await?;
    let total_api_keys = count(
        &state,
        "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = $1",
        &user_id,
    )
    .await?;
    let active_api_keys = count(
        &state,
        "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = $1 AND is_active = 1",
        &user_id,
    )
    .await?;
    Ok(Json(UserStatistics {
        member_since: current.user.created_at,
        user_id,
        total_resumes,
        total_api_keys,
        active_api_keys,
    }))
}

/// Runs a `SELECT COUNT(*) AS n ... WHERE user_id = $1` query.
pub(crate) async fn count(state: &AppState, sql: &str, user_id: &str) -> Result<i64, ApiError> {
    sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_one(state.db().pool())
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}
