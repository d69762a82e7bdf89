//! The seeds' own paths and shapes on both backends: trailing-slash collections (seeds 000,
//! 003), an interview created from `{role_id, language}` alone (seed 002), `/feedback` for the
//! report (seed 002), `submit-code` and `/voice/token` (seed 000), and seed 000's state fields.

mod common;

use axum::http::StatusCode;
use base64::Engine;
use common::users::{request, user_token};
use common::{assert_error, send_to};
use control_api::AppState;
use serde_json::{Value, json};

async fn role(state: &AppState, token: &str) -> Value {
    let reply = send_to(
        state,
        request(
            "POST",
            "/api/v1/roles",
            Some(token),
            Some(&json!({
                "name": "Software Engineer", "category": "Engineering", "experience_level": "Senior"
            })),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

/// The claims of a LiveKit JWT (its signature is LiveKit's business).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

backend_tests! {
    async fn trailing_slash_collections_and_seed_002_create(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let role = role(&state, &token).await;
        let created = send_to(&state, request("POST", "/api/v1/interviews/", Some(&token),
            Some(&json!({"role_id": role["id"], "language": "en"})))).await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.json);
        assert_eq!(created.json["title"], "Software Engineer");
        assert_eq!(created.json["language"], "en");
        let untitled = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({})))).await;
        assert_eq!(untitled.json["title"], "Interview", "{}", untitled.json);
        let list = send_to(&state, request("GET", "/api/v1/interviews/", Some(&token), None)).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.json);
        assert_eq!(list.json.as_array().map(Vec::len), Some(2));

        let key = send_to(&state, request("POST", "/api/v1/api-keys/", Some(&token), Some(&json!({"name": "k"})))).await;
        assert_eq!(key.status, StatusCode::OK, "{}", key.json);
        let keys = send_to(&state, request("GET", "/api/v1/api-keys/", Some(&token), None)).await;
        assert_eq!(keys.json[0]["id"], key.json["id"]);

        let id = created.json["id"].as_str().expect("id");
        let report = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/report"), Some(&token), None)).await;
        let feedback = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/feedback"), Some(&token), None)).await;
        assert_eq!(feedback.status, StatusCode::OK, "{}", feedback.json);
        assert_eq!(feedback.json, report.json);
    }

    async fn submitted_code_is_on_the_state(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let bob = user_token(&state, "bob@example.com").await;
        let created = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": "T"})))).await;
        let id = created.json["id"].as_str().expect("id").to_owned();
        let uri = format!("/api/v1/interviews/{id}/submit-code");
        let code = "def fibonacci(n):\n    return n if n <= 1 else fibonacci(n-1) + fibonacci(n-2)";
        let reply = send_to(&state, request("POST", &uri, Some(&token), Some(&json!({"code": code, "language": "python"})))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["message"], "Code submitted successfully");
        assert!(reply.json["execution_result"].is_null());

        for (body, status) in [
            (json!({"code": "", "language": "python"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"code": "x", "language": "py'; --"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"code": "x".repeat(50_001), "language": "python"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"code": "x"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"code": 1, "language": "python"}), StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let reply = send_to(&state, request("POST", &uri, Some(&token), Some(&body))).await;
            assert_error(&reply, status);
        }
        let reply = send_to(&state, request("POST", &uri, Some(&bob), Some(&json!({"code": "x", "language": "c++"})))).await;
        assert_error(&reply, StatusCode::NOT_FOUND);

        let st = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/state"), Some(&token), None)).await;
        assert_eq!(st.json["interview_id"], id.as_str());
        assert_eq!(st.json["turn_count"], 1, "{}", st.json);
        assert_eq!(st.json["code_submissions"][0]["code"], code);
        assert_eq!(st.json["code_submissions"][0]["language"], "python");
        assert_eq!(st.json["conversation_history"][0]["role"], "candidate");
        assert_eq!(st.json["questions_asked"], json!([]));

        let done = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/complete"), Some(&token), None)).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.json);
        assert_eq!(done.json["interview_id"], id.as_str());
        assert_eq!(done.json["id"], id.as_str());
        assert_eq!(done.json["status"], "completed");
        // The report is written by a background job that may already have finished.
        match done.json["evaluation_status"].as_str() {
            Some("pending") => assert!(done.json["feedback"].is_null(), "{}", done.json),
            Some("ready") => assert_eq!(done.json["feedback"]["scorer"], "heuristic", "{}", done.json),
            other => panic!("unexpected evaluation status {other:?}: {}", done.json),
        }
        let reply = send_to(&state, request("POST", &uri, Some(&token), Some(&json!({"code": "x", "language": "rust"})))).await;
        assert_error(&reply, StatusCode::BAD_REQUEST);
        let st = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/state"), Some(&token), None)).await;
        assert_eq!(st.json["turn_count"], 1);
    }

    async fn voice_token_for_an_own_room_with_the_asked_rights(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let bob = user_token(&state, "bob@example.com").await;
        let created = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": "T"})))).await;
        let room = created.json["room_name"].as_str().expect("room").to_owned();
        let body = json!({"room_name": room, "participant_name": "John Doe", "can_publish": false, "can_subscribe": true});
        let reply = send_to(&state, request("POST", "/api/v1/voice/token", Some(&token), Some(&body))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["room_name"], room.as_str());
        assert_eq!(reply.json["url"], state.config().livekit_url.as_str());
        let claims = claims(reply.json["token"].as_str().expect("token"));
        assert_eq!(claims["name"], "John Doe");
        assert_eq!(claims["video"]["room"], room.as_str());
        assert_eq!(claims["video"]["roomJoin"], true);
        assert_eq!(claims["video"]["canPublish"], false);
        assert_eq!(claims["video"]["canSubscribe"], true);

        let reply = send_to(&state, request("POST", "/api/v1/voice/token", Some(&bob), Some(&body))).await;
        assert_error(&reply, StatusCode::NOT_FOUND);
        let other = json!({"room_name": "interview-' OR '1'='1", "participant_name": "X"});
        let reply = send_to(&state, request("POST", "/api/v1/voice/token", Some(&token), Some(&other))).await;
        assert_error(&reply, StatusCode::NOT_FOUND);
        let nameless = json!({"room_name": room, "participant_name": ""});
        let reply = send_to(&state, request("POST", "/api/v1/voice/token", Some(&token), Some(&nameless))).await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
