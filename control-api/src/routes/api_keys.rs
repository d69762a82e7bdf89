//! `/api-keys`: create (secret shown once), list, deactivate (seed 003).

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use serde::Deserialize;

use crate::AppState;
use crate::api_keys::{self, ApiKey, CreatedApiKey};
use crate::error::ApiError;
use crate::json::Json;
use crate::principal::Principal;
use crate::routes::auth::Message;

/// Longest key name accepted.
pub const MAX_NAME_CHARS: usize = 100;

/// Body of `POST /api-keys`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyCreate {
    /// A label for the key, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api-keys", get(list).post(create))
        // Seed 003 writes the collection with a trailing slash.
        .route("/api-keys/", get(list).post(create))
        .route("/api-keys/{key_id}", delete(deactivate))
}

/// Creates a key; the response carries the `sk_` secret, which is never shown again.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys",
    tag = "api-keys",
    security(("bearer" = [])),
    request_body = ApiKeyCreate,
    responses(
        (status = 200, description = "The new key with its secret", body = CreatedApiKey),
        (status = 400, description = "Bad JSON, inactive user or key limit reached", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 403, description = "Called with an API key", body = crate::openapi::ErrorBody),
        (status = 422, description = "Wrong types or invalid name", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<CreatedApiKey>, ApiError> {
    principal.require_session()?;
    let body: ApiKeyCreate = super::from_object(body)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::Unprocessable(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    let created = api_keys::create(
        state.db(),
        &principal.user.id,
        name,
        state.config().api_keys_per_user,
    )
    .await?;
    Ok(Json(created))
}

/// The caller's keys, newest first, with usage counts (never secrets).
#[utoipa::path(
    get,
    path = "/api/v1/api-keys",
    tag = "api-keys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's keys", body = Vec<ApiKey>),
        (status = 400, description = "Inactive user", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 403, description = "Called with an API key", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<ApiKey>>, ApiError> {
    principal.require_session()?;
    Ok(Json(api_keys::list(state.db(), &principal.user.id).await?))
}

/// Deactivates one of the caller's keys; later requests with it get a 401.
#[utoipa::path(
    delete,
    path = "/api/v1/api-keys/{key_id}",
    tag = "api-keys",
    security(("bearer" = [])),
    params(("key_id" = String, Path, description = "The key's id (UUID)")),
    responses(
        (status = 200, description = "Deactivated", body = Message),
        (status = 400, description = "Inactive user", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 403, description = "Called with an API key", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such key of the caller", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn deactivate(
    State(state): State<AppState>,
    principal: Principal,
    key_id: Result<Path<String>, PathRejection>,
) -> Result<Json<Message>, ApiError> {
    principal.require_session()?;
    let key_id = super::path_param(key_id, || {
        ApiError::NotFound("API key not found".to_owned())
    })?;
    api_keys::deactivate(state.db(), &principal.user.id, &key_id).await?;
    Ok(Json(Message {
        message: "API key deactivated successfully",
    }))
}
