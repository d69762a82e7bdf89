//! `PUT /users/me`: profile updates; only a superuser may change `is_active`.

use axum::Router;
use axum::extract::State;
use axum::routing::put;
use serde::Deserialize;

use crate::AppState;
use crate::accounts::{self, User};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::json::Json;

/// Body of `PUT /users/me` (seed 003).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[schema(max_length = 200)]
    pub full_name: Option<String>,
    pub is_active: Option<bool>,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/users/me", put(update_me))
}

/// Updates the caller's profile; only a superuser may change `is_active`.
#[utoipa::path(
    put,
    path = "/api/v1/users/me",
    tag = "users",
    security(("bearer" = [])),
    request_body = UserUpdate,
    responses(
        (status = 200, description = "The updated user", body = crate::openapi::User),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
        (status = 400, description = "Bad JSON or inactive user", body = crate::openapi::ErrorBody),
        (status = 403, description = "Only a superuser may change is_active", body = crate::openapi::ErrorBody),
        (status = 422, description = "Wrong types or invalid values", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn update_me(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<User>, ApiError> {
    let body: UserUpdate = super::from_object(body)?;
    if body
        .full_name
        .as_ref()
        .is_some_and(|name| name.chars().count() > 200)
    {
        return Err(ApiError::Unprocessable(
            "full_name must be 0 to 200 characters".to_owned(),
        ));
    }
    if body.is_active.is_some() && !current.user.is_superuser {
        return Err(ApiError::Forbidden(
            "only a superuser may change is_active".to_owned(),
        ));
    }
    let user = accounts::update(
        state.db(),
        &current.user.id,
        body.full_name.as_deref(),
        body.is_active,
    )
    .await?;
    Ok(Json(user))
}
