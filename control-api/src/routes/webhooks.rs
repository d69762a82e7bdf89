//! `POST /livekit/webhook`: LiveKit's webhooks, verified with livekit-api's receiver (JWT over
//! the API secret carrying the body's SHA-256). Participant joins and leaves and the room's end
//! go on the interview's event log; when the agent leaves an unfinished interview, the agent is
//! dispatched again and that is recorded too. A candidate or observer joining an interview that
//! is over (completed or deleted) is removed from the room.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use livekit_api::access_token::TokenVerifier;
use livekit_api::webhooks::WebhookReceiver;
use livekit_protocol::participant_info::Kind;
use serde_json::json;

use crate::AppState;
use crate::agent_store::{self, Log};
use crate::error::ApiError;
use crate::json::Json;
use crate::routes::auth::Message;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/livekit/webhook", post(receive))
}

/// Receives one LiveKit webhook (`Authorization: <signed JWT>`, body `application/webhook+json`).
#[utoipa::path(
    post,
    path = "/api/v1/livekit/webhook",
    operation_id = "livekit_webhook",
    tag = "internal",
    request_body(content = String, content_type = "application/webhook+json"),
    responses(
        (status = 200, description = "Accepted", body = Message),
        (status = 400, description = "The body is not UTF-8 text", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing or invalid signature", body = crate::openapi::ErrorBody),
        (status = 503, description = "LiveKit unreachable while re-dispatching the agent", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Message>, ApiError> {
    // LiveKit sends the signed token as the whole header value; a bearer scheme (any case)
    // is accepted through the service's one bearer parser.
    let auth = crate::auth::bearer(&headers)
        .or_else(|| {
            headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        })
        .ok_or_else(|| ApiError::Unauthorized("missing webhook signature".to_owned()))?;
    // Read as bytes: axum's `String` extractor would refuse non-UTF-8 in plain text.
    let body = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("webhook body must be UTF-8 JSON".to_owned()))?;
    let config = state.config();
    let receiver = WebhookReceiver::new(TokenVerifier::with_api_key(
        &config.livekit_api_key,
        &config.livekit_api_secret,
    ));
    let event = receiver
        .receive(body, auth)
        .map_err(|_| ApiError::Unauthorized("invalid webhook signature".to_owned()))?;
    let Some(room) = event.room.as_ref() else {
        return Ok(accepted());
    };
    let participant = event.participant.as_ref();
    let identity = participant.map(|p| p.identity.clone());
    let is_agent = participant.is_some_and(|p| p.kind() == Kind::Agent);
    let found = agent_store::by_room(state.db(), &room.name).await?;
    // Someone joined an interview that is over (completed, or deleted: its room name is ours
    // but no interview holds it) with a token that has not expired yet: they are removed.
    let over = match &found {
        Some((_, status)) => crate::interviews::is_ended(status),
        None => room.name.starts_with(crate::interviews::ROOM_PREFIX),
    };
    if event.event == "participant_joined"
        && over
        && !is_agent
        && let Some(identity) = &identity
    {
        crate::livekit::remove_participant(config, &room.name, identity).await;
    }
    let Some((id, status)) = found else {
        return Ok(accepted());
    };
    if !matches!(
        event.event.as_str(),
        "room_finished" | "participant_joined" | "participant_left"
    ) {
        return Ok(accepted());
    }
    // An agent that leaves an interview that has not ended died mid-interview: another is
    // dispatched. The departure's event says which it was.
    let redispatch =
        event.event == "participant_left" && is_agent && !crate::interviews::is_ended(&status);
    let dispatch_id = if redispatch {
        let metadata = contract::job::JobMetadata::again(&id).to_json();
        Some(crate::livekit::dispatch(config, &room.name, &metadata).await?)
    } else {
        None
    };
    let mut item = json!({"type": event.event, "identity": identity, "agent": is_agent,
                          "at": crate::time::now_rfc3339()});
    if event.event == "participant_left" && is_agent {
        item["redispatched"] = json!(redispatch);
    }
    agent_store::append(state.db(), &id, Log::Events, item, None).await?;
    if let Some(dispatch_id) = dispatch_id {
        agent_store::count_dispatch(state.db(), &id).await?;
        let item = json!({"type": "agent_redispatched", "dispatch_id": dispatch_id,
                          "at": crate::time::now_rfc3339()});
        agent_store::append(state.db(), &id, Log::Events, item, None).await?;
    }
    Ok(accepted())
}

fn accepted() -> Json<Message> {
    Json(Message { message: "ok" })
}
