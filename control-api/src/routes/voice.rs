//! `POST /voice/token` (seed 000): a LiveKit token for one of the caller's interview rooms, by
//! room name, with the publish and subscribe rights asked for.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::agent_store;
use crate::error::ApiError;
use crate::interviews;
use crate::json::Json;
use crate::principal::Principal;

/// Body of a voice token request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoiceTokenRequest {
    /// The `room_name` of one of the caller's interviews.
    #[schema(min_length = 1, max_length = 128)]
    pub room_name: String,
    /// Display name in the room, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub participant_name: String,
    /// Publish microphone and data (default true).
    pub can_publish: Option<bool>,
    /// Subscribe to others' tracks (default true).
    pub can_subscribe: Option<bool>,
}

/// The token and where to use it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VoiceToken {
    pub token: String,
    pub room_name: String,
    /// LiveKit server URL.
    pub url: String,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/voice/token", post(voice_token))
}

/// A LiveKit token for a room of one of the caller's interviews.
#[utoipa::path(
    post,
    path = "/api/v1/voice/token",
    operation_id = "voice_token",
    tag = "interviews",
    security(("bearer" = [])),
    request_body = VoiceTokenRequest,
    responses(
        (status = 200, description = "A participant token", body = VoiceToken),
        (status = 400, description = "Bad JSON or completed interview", body = crate::openapi::ErrorBody),
        (status = 401, description = "Not authenticated", body = crate::openapi::ErrorBody),
        (status = 404, description = "No interview of the caller has this room", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the size limit", body = crate::openapi::ErrorBody),
        (status = 422, description = "Missing fields, wrong types or out-of-range values", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn voice_token(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<VoiceToken>, ApiError> {
    let body: VoiceTokenRequest = super::from_object(body)?;
    let name_len = body.participant_name.chars().count();
    if !(1..=200).contains(&name_len) || body.participant_name.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable(
            "participant_name must be 1 to 200 characters without control characters".to_owned(),
        ));
    }
    let not_found = || ApiError::NotFound("room not found".to_owned());
    if !(1..=128).contains(&body.room_name.chars().count()) {
        return Err(ApiError::Unprocessable(
            "room_name must be 1 to 128 characters".to_owned(),
        ));
    }
    let (id, _) = agent_store::by_room(state.db(), &body.room_name)
        .await?
        .ok_or_else(not_found)?;
    let interview = interviews::by_id(state.db(), &principal.user.id, &id)
        .await?
        .ok_or_else(not_found)?;
    if crate::interviews::is_ended(&interview.status) {
        return Err(ApiError::BadRequest("interview is completed".to_owned()));
    }
    let ttl =
        Duration::from_secs(u64::try_from(interview.duration_minutes).unwrap_or(30) * 60 + 30 * 60);
    let identity = format!("participant-{}", uuid::Uuid::new_v4().simple());
    let token = crate::livekit::token_with(
        state.config(),
        &interview.room_name,
        &identity,
        &body.participant_name,
        ttl,
        body.can_publish.unwrap_or(true),
        body.can_subscribe.unwrap_or(true),
    )?;
    Ok(Json(VoiceToken {
        token,
        room_name: interview.room_name,
        url: state.config().livekit_url.clone(),
    }))
}
