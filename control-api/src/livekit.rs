//! LiveKit calls of the control plane: create an interview's room, dispatch the named agent
//! into it (AgentDispatchService), and mint participant tokens.

use std::time::Duration;

use livekit_api::access_token::{AccessToken, VideoGrants};
use livekit_api::services::agent_dispatch::AgentDispatchClient;
use livekit_api::services::room::{CreateRoomOptions, RoomClient};
use livekit_protocol as proto;

use crate::config::Config;
use crate::error::ApiError;

/// The HTTP base of the server for its Twirp API (`ws://` → `http://`, `wss://` → `https://`).
pub fn http_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("ws://") {
        format!("http://{rest}")
    } else if let Some(rest) = url.strip_prefix("wss://") {
        format!("https://{rest}")
    } else {
        url.to_owned()
    }
}

fn unavailable(what: &str, err: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %err, "LiveKit {what} failed");
    ApiError::Unavailable(format!("LiveKit {what} failed"))
}

/// Creates `room` (idempotent on the server) and dispatches `config.agent_name` into it with
/// `metadata` (the interview id as JSON); returns the dispatch id.
pub async fn open_room(config: &Config, room: &str, metadata: &str) -> Result<String, ApiError> {
    let host = http_url(&config.livekit_url);
    let rooms =
        RoomClient::with_api_key(&host, &config.livekit_api_key, &config.livekit_api_secret)
            .with_request_timeout(Duration::from_secs(10));
    rooms
        .create_room(
            room,
            CreateRoomOptions {
                empty_timeout: 600,
                departure_timeout: 120,
                max_participants: 8,
                metadata: metadata.to_owned(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| unavailable("room creation", e))?;
    dispatch(config, room, metadata).await
}

/// Removes everyone but the agent from `room`: the candidate and any observer. The agent is
/// left to end its session as it does when the candidate leaves (a deleted room would look to
/// it like a lost connection to rejoin). Best effort: the interview's own state change has
/// already happened and must not fail because LiveKit is unreachable, so a failure is logged;
/// a participant who rejoins later with a token still in its TTL is removed by the webhook
/// receiver.
pub async fn close_room(config: &Config, room: &str) {
    let host = http_url(&config.livekit_url);
    let rooms =
        RoomClient::with_api_key(&host, &config.livekit_api_key, &config.livekit_api_secret)
            .with_request_timeout(Duration::from_secs(10));
    let participants = match rooms.list_participants(room).await {
        Ok(participants) => participants,
        Err(err) => {
            tracing::warn!(error = %err, room, "LiveKit participant listing failed");
            return;
        }
    };
    for p in participants {
        if p.kind() != proto::participant_info::Kind::Agent
            && let Err(err) = rooms.remove_participant(room, &p.identity).await
        {
            tracing::warn!(error = %err, room, "LiveKit participant removal failed");
        }
    }
}

/// Removes one participant from `room` (best effort, logged on failure).
pub async fn remove_participant(config: &Config, room: &str, identity: &str) {
    let host = http_url(&config.livekit_url);
    let rooms =
        RoomClient::with_api_key(&host, &config.livekit_api_key, &config.livekit_api_secret)
            .with_request_timeout(Duration::from_secs(10));
    if let Err(err) = rooms.remove_participant(room, identity).await {
        tracing::warn!(error = %err, room, "LiveKit participant removal failed");
    }
}

/// Asks LiveKit to dispatch the configured agent into `room`; returns the dispatch id.
pub async fn dispatch(config: &Config, room: &str, metadata: &str) -> Result<String, ApiError> {
    let host = http_url(&config.livekit_url);
    let dispatches = AgentDispatchClient::with_api_key(
        &host,
        &config.livekit_api_key,
        &config.livekit_api_secret,
    )
    .with_request_timeout(Duration::from_secs(10));
    let created = dispatches
        .create_dispatch(proto::CreateAgentDispatchRequest {
            agent_name: config.agent_name.clone(),
            room: room.to_owned(),
            metadata: metadata.to_owned(),
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable("agent dispatch", e))?;
    Ok(created.id)
}

/// A token to join `room` as `identity`: publish microphone, subscribe, publish data.
pub fn participant_token(
    config: &Config,
    room: &str,
    identity: &str,
    name: &str,
    ttl: Duration,
) -> Result<String, ApiError> {
    token_with(config, room, identity, name, ttl, true, true)
}

/// A token to join `room` as `identity`, publishing (microphone and data) and subscribing only
/// as allowed.
pub fn token_with(
    config: &Config,
    room: &str,
    identity: &str,
    name: &str,
    ttl: Duration,
    publish: bool,
    subscribe: bool,
) -> Result<String, ApiError> {
    AccessToken::with_api_key(&config.livekit_api_key, &config.livekit_api_secret)
        .with_identity(identity)
        .with_name(name)
        .with_ttl(ttl)
        .with_grants(VideoGrants {
            room_join: true,
            room: room.to_owned(),
            can_publish: Some(publish),
            can_subscribe: Some(subscribe),
            can_publish_data: Some(publish),
            can_publish_sources: if publish {
                vec!["microphone".to_owned()]
            } else {
                Vec::new()
            },
            ..Default::default()
        })
        .to_jwt()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("signing LiveKit token: {e}")))
}
