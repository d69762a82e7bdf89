//! LiveKit webhooks on both backends, signed as livekit-server signs them: bad signatures are
//! refused; joins, leaves and the room's end are kept; an agent leaving an unfinished
//! interview gets the agent dispatched again (seen through a real livekit-server).

mod common;

use axum::http::{Request, StatusCode};
use common::users::{request, user_token};
use common::{Reply, assert_error, send_to};
use control_api::AppState;
use livekit_api::services::agent_dispatch::AgentDispatchClient;
use serde_json::{Value, json};
use tests::livekit::LiveKitServer;

async fn hook(state: &AppState, body: &Value, secret: &str) -> Reply {
    send_to(
        state,
        common::signed_webhook(&state.config().livekit_api_key, secret, body),
    )
    .await
}

fn event(kind: &str, room: &str, identity: &str, participant_kind: &str) -> Value {
    json!({"event": kind, "id": "EV_1", "createdAt": "1",
           "room": {"name": room}, "participant": {"identity": identity, "kind": participant_kind}})
}

async fn events(state: &AppState, id: &str) -> Vec<Value> {
    let reply = send_to(
        state,
        request(
            "GET",
            &format!("/api/v1/internal/interviews/{id}/state"),
            Some("dev-service-token"),
            None,
        ),
    )
    .await;
    reply.json["events"].as_array().cloned().unwrap_or_default()
}

backend_tests! {
    async fn webhooks_are_verified_recorded_and_redispatch_the_agent(state: AppState) {
        let server = LiveKitServer::start().await.expect("livekit-server");
        let mut config = state.config().clone();
        config.livekit_url = server.ws_url();
        config.livekit_api_key = server.api_key().to_owned();
        config.livekit_api_secret = server.api_secret().to_owned();
        config.agent_name = "interviewer-hooks".to_owned();
        let state = AppState::new(config, state.db().clone());
        let secret = server.api_secret().to_owned();

        let token = user_token(&state, "alice@example.com").await;
        let created = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": "T"})))).await.json;
        let id = created["id"].as_str().expect("id").to_owned();
        let room = created["room_name"].as_str().expect("room").to_owned();
        let started = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/start"), Some(&token), None)).await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.json);

        // Wrong secret, tampered body, no signature: refused and nothing recorded.
        let joined = event("participant_joined", &room, "candidate-1", "STANDARD");
        assert_error(&hook(&state, &joined, "not-the-secret").await, StatusCode::UNAUTHORIZED);
        let no_sig = Request::post("/api/v1/livekit/webhook").body(axum::body::Body::from(joined.to_string())).expect("request");
        assert_error(&send_to(&state, no_sig).await, StatusCode::UNAUTHORIZED);
        assert!(events(&state, &id).await.is_empty());

        let reply = hook(&state, &joined, &secret).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let reply = hook(&state, &event("participant_left", &room, "agent-1", "AGENT"), &secret).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let log = events(&state, &id).await;
        let kinds: Vec<&str> = log.iter().map(|e| e["type"].as_str().unwrap_or("")).collect();
        assert_eq!(kinds, ["participant_joined", "participant_left", "agent_redispatched"]);
        assert_eq!(log[0]["identity"], "candidate-1");
        assert_eq!(log[1]["agent"], true);
        assert_eq!(log[1]["redispatched"], true);

        let dispatches = AgentDispatchClient::with_api_key(&server.http_url(), server.api_key(), server.api_secret())
            .list_dispatch(room.clone())
            .await
            .expect("list");
        let ours: Vec<_> = dispatches.iter().filter(|d| d.agent_name == "interviewer-hooks").collect();
        assert_eq!(ours.len(), 2, "{dispatches:?}");
        assert!(ours.iter().any(|d| d.id == log[2]["dispatch_id"].as_str().unwrap_or("")));
        let reply = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}"), Some(&token), None)).await;
        assert_eq!(reply.json["dispatch_count"], 2);

        // A candidate leaving, or the agent leaving a completed interview, dispatches nothing.
        hook(&state, &event("participant_left", &room, "candidate-1", "STANDARD"), &secret).await;
        send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/complete"), Some(&token), None)).await;
        hook(&state, &event("participant_left", &room, "agent-2", "AGENT"), &secret).await;
        let reply = hook(&state, &json!({"event": "room_finished", "room": {"name": room}}), &secret).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let log = events(&state, &id).await;
        let kinds: Vec<&str> = log.iter().map(|e| e["type"].as_str().unwrap_or("")).collect();
        assert_eq!(kinds, ["participant_joined", "participant_left", "agent_redispatched", "participant_left", "participant_left", "room_finished"]);
        assert!(log[3]["redispatched"].is_null(), "a candidate's departure: {}", log[3]);
        assert_eq!(log[4]["redispatched"], false);
        let reply = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}"), Some(&token), None)).await;
        assert_eq!(reply.json["dispatch_count"], 2);

        // Unknown rooms and malformed signed bodies are accepted or refused without effect.
        let reply = hook(&state, &event("participant_left", "no-such-room", "agent-3", "AGENT"), &secret).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let reply = hook(&state, &json!({"event": 5}), &secret).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
    }
}
