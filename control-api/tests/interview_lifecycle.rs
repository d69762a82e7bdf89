//! Start is idempotent and an interview that is over lets no candidate stay, against a real
//! livekit-server and the official Python client, on both backends: repeated and concurrent
//! starts dispatch the agent once and answer with the same room and identity; completing the
//! interview disconnects the candidate; a candidate who rejoins with a token still in its TTL
//! is removed when LiveKit reports the join; deleting a started interview removes them too.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::users::{request, user_token};
use common::{Reply, send_to};
use control_api::AppState;
use livekit_api::access_token::TokenVerifier;
use livekit_api::services::agent_dispatch::AgentDispatchClient;
use serde_json::{Value, json};
use tests::livekit::LiveKitServer;
use tests::pyclient::{ClientOptions, PyClient};

/// The app over `state`'s database, talking to `server`.
fn on(server: &LiveKitServer, state: &AppState) -> AppState {
    let mut config = state.config().clone();
    config.livekit_url = server.ws_url();
    config.livekit_api_key = server.api_key().to_owned();
    config.livekit_api_secret = server.api_secret().to_owned();
    config.agent_name = "interviewer-lifecycle".to_owned();
    AppState::new(config, state.db().clone())
}

/// Sends a webhook signed as livekit-server signs it.
async fn hook(state: &AppState, body: &Value) -> Reply {
    let config = state.config();
    send_to(
        state,
        common::signed_webhook(&config.livekit_api_key, &config.livekit_api_secret, body),
    )
    .await
}

/// The identity and room a LiveKit token grants.
fn grant(state: &AppState, token: &str) -> (String, String) {
    let claims = TokenVerifier::with_api_key(
        &state.config().livekit_api_key,
        &state.config().livekit_api_secret,
    )
    .verify(token)
    .expect("a valid LiveKit token");
    (claims.sub, claims.video.room)
}

async fn participants(server: &LiveKitServer, room: &str) -> Vec<String> {
    server
        .room_client()
        .list_participants(room)
        .await
        .map(|ps| ps.into_iter().map(|p| p.identity).collect())
        .unwrap_or_default()
}

async fn wait_disconnected(client: &mut PyClient) {
    client
        .wait_event("disconnected", Duration::from_secs(20))
        .await
        .expect("the client is disconnected by the server");
}

backend_tests! {
    async fn start_dispatches_once_and_an_ended_interview_lets_no_candidate_stay(state: AppState) {
        let server = LiveKitServer::start().await.expect("livekit-server");
        let state = on(&server, &state);
        let token = user_token(&state, "recruiter@example.com").await;
        let create = |title: &str| request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": title})));
        let interview = send_to(&state, create("Lifecycle")).await;
        let id = interview.json["id"].as_str().expect("id").to_owned();
        let start_uri = format!("/api/v1/interviews/{id}/start");

        // Two concurrent starts, then a third: one dispatch.
        let (a, b) = tokio::join!(
            send_to(&state, request("POST", &start_uri, Some(&token), None)),
            send_to(&state, request("POST", &start_uri, Some(&token), None)),
        );
        let c = send_to(&state, request("POST", &start_uri, Some(&token), None)).await;
        for reply in [&a, &b, &c] {
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            assert_eq!(reply.json["room_name"], interview.json["room_name"]);
            assert_eq!(grant(&state, reply.json["token"].as_str().expect("token")),
                (format!("candidate-{id}"), interview.json["room_name"].as_str().expect("room").to_owned()));
        }
        let dispatched: Vec<bool> = [&a, &b, &c].iter().map(|r| r.json["dispatched"].as_bool().expect("flag")).collect();
        assert_eq!(dispatched.iter().filter(|d| **d).count(), 1, "{dispatched:?}");
        assert!(!dispatched[2]);
        assert_eq!(c.json["dispatch_count"], 1);
        let room = c.json["room_name"].as_str().expect("room").to_owned();
        let dispatches = AgentDispatchClient::with_api_key(&server.http_url(), server.api_key(), server.api_secret())
            .list_dispatch(room.clone())
            .await
            .expect("list dispatches");
        assert_eq!(dispatches.iter().filter(|d| d.agent_name == "interviewer-lifecycle").count(), 1, "{dispatches:?}");

        // The candidate joins; completing the interview disconnects them.
        let candidate_token = c.json["token"].as_str().expect("token").to_owned();
        let mut client = PyClient::join(&server.ws_url(), &candidate_token, ClientOptions::default())
            .await
            .expect("the candidate joins");
        assert_eq!(participants(&server, &room).await, vec![format!("candidate-{id}")]);
        let done = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/complete"), Some(&token), None)).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.json);
        wait_disconnected(&mut client).await;
        let _ = client.leave().await;
        let again = send_to(&state, request("POST", &start_uri, Some(&token), None)).await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST, "a completed interview does not start again");

        // Rejoining with the old token: the join webhook removes them.
        let mut rejoined = PyClient::join(&server.ws_url(), &candidate_token, ClientOptions::default())
            .await
            .expect("the token is still within its TTL");
        let joined = json!({"event": "participant_joined", "id": "EV_1", "createdAt": "1",
            "room": {"name": room}, "participant": {"identity": format!("candidate-{id}"), "kind": "STANDARD"}});
        assert_eq!(hook(&state, &joined).await.status, StatusCode::OK);
        wait_disconnected(&mut rejoined).await;
        let _ = rejoined.leave().await;
        assert!(participants(&server, &room).await.is_empty());

        // Deleting a started interview removes its candidate as well.
        let second = send_to(&state, create("Deleted")).await;
        let second_id = second.json["id"].as_str().expect("id").to_owned();
        let started = send_to(&state, request("POST", &format!("/api/v1/interviews/{second_id}/start"), Some(&token), None)).await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.json);
        let mut client = PyClient::join(&server.ws_url(), started.json["token"].as_str().expect("token"), ClientOptions::default())
            .await
            .expect("joins");
        let deleted = send_to(&state, request("DELETE", &format!("/api/v1/interviews/{second_id}"), Some(&token), None)).await;
        assert!(deleted.status.is_success(), "{}", deleted.json);
        wait_disconnected(&mut client).await;
        let _ = client.leave().await;
    }
}
