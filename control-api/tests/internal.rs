//! The agent's internal endpoints on both backends: service token, context, transcript turns
//! (concurrent appends all kept), events and phase, report, state for a re-dispatched agent.

mod common;

use axum::http::StatusCode;
use common::users::{raw, request, user_token};
use common::{assert_error, send_to};
use control_api::AppState;
use serde_json::{Value, json};

const SERVICE: &str = "dev-service-token";

async fn interview(state: &AppState) -> (String, String) {
    let token = user_token(state, "alice@example.com").await;
    let role = send_to(
        state,
        request(
            "POST",
            "/api/v1/roles",
            Some(&token),
            Some(&json!({
                "name": "Backend", "category": "Engineering", "experience_level": "Senior",
                "interview_structure": {"technical": 4, "behavioral": 2, "coding": 1}
            })),
        ),
    )
    .await
    .json;
    let reply = send_to(
        state,
        request(
            "POST",
            "/api/v1/interviews",
            Some(&token),
            Some(&json!({
                "title": "T", "role_id": role["id"], "job_description": "Build APIs in Rust."
            })),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    (token, reply.json["id"].as_str().expect("id").to_owned())
}

fn internal(id: &str, path: &str) -> String {
    format!("/api/v1/internal/interviews/{id}/{path}")
}

backend_tests! {
    async fn service_token_is_required(state: AppState) {
        let (user, id) = interview(&state).await;
        for bearer in [None, Some(user.as_str()), Some("dev-service-tokem"), Some("' OR 1=1 --")] {
            let reply = send_to(&state, request("GET", &internal(&id, "context"), bearer, None)).await;
            assert_error(&reply, StatusCode::UNAUTHORIZED);
            let reply = send_to(&state, request("POST", &internal(&id, "transcript"), bearer, Some(&json!({"role": "candidate", "text": "hi"})))).await;
            assert_error(&reply, StatusCode::UNAUTHORIZED);
        }
        let reply = send_to(&state, request("GET", &internal("no-such-id", "context"), Some(SERVICE), None)).await;
        assert_error(&reply, StatusCode::NOT_FOUND);
    }

    async fn context_transcript_events_report_and_state(state: AppState) {
        let (user, id) = interview(&state).await;
        let reply = send_to(&state, request("GET", &internal(&id, "context"), Some(SERVICE), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["role"]["name"], "Backend");
        assert_eq!(reply.json["plan"], json!({"technical": 4, "behavioral": 2, "coding": 1}));
        assert_eq!(reply.json["job_description"], "Build APIs in Rust.");
        assert!(reply.json["resume"].is_null());

        for (role, text) in [("interviewer", "Tell me about Rust?"), ("candidate", "I like it.")] {
            let reply = send_to(&state, request("POST", &internal(&id, "transcript"), Some(SERVICE), Some(&json!({"role": role, "text": text})))).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        }
        let code = json!({"role": "candidate", "text": "Here:", "code": "fn main() {}"});
        send_to(&state, request("POST", &internal(&id, "transcript"), Some(SERVICE), Some(&code))).await;
        let reply = send_to(&state, request("POST", &internal(&id, "events"), Some(SERVICE), Some(&json!({"type": "phase", "phase": "technical"})))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let reply = send_to(&state, request("POST", &internal(&id, "events"), Some(SERVICE), Some(&json!({"type": "metrics", "data": {"ttfb_ms": 420}})))).await;
        assert_eq!(reply.json["event_count"], 2);
        // The agent's own typed event, built from the contract (refused before it was typed).
        let degraded = contract::agent::AgentEvent::new(
            contract::agent::EventKind::ProviderDegraded,
            json!({"provider": "llm"}).as_object().cloned().unwrap_or_default(),
        );
        let reply = send_to(&state, request("POST", &internal(&id, "events"), Some(SERVICE), Some(&json!(degraded)))).await;
        assert_eq!(reply.json["event_count"], 3, "{}", reply.json);

        let reply = send_to(&state, request("GET", &internal(&id, "state"), Some(SERVICE), None)).await;
        assert_eq!(reply.json["phase"], "technical");
        assert_eq!(reply.json["transcript"].as_array().map(Vec::len), Some(3));
        assert_eq!(reply.json["transcript"][1]["text"], "I like it.");
        assert_eq!(reply.json["events"][1]["data"]["ttfb_ms"], 420);
        assert_eq!(reply.json["events"][2]["type"], "provider_degraded");

        let reply = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/state"), Some(&user), None)).await;
        assert_eq!(reply.json["turn_count"], 3);
        assert_eq!(reply.json["conversation_history"].as_array().map(Vec::len), Some(3));
        assert_eq!(reply.json["questions_asked"].as_array().map(Vec::len), Some(1), "{}", reply.json);
        assert_eq!(reply.json["code_submissions"].as_array().map(Vec::len), Some(1), "{}", reply.json);
        assert!(reply.json["code_submissions"][0]["code"].is_string());
        assert_eq!(reply.json["phase"], "technical");

        let body = json!({"report": {"summary": "Strong"}, "technical_score": 80, "overall_feedback": "Hire"});
        let reply = send_to(&state, request("POST", &internal(&id, "report"), Some(SERVICE), Some(&body))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let reply = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/report"), Some(&user), None)).await;
        assert_eq!(reply.json["report"]["summary"], "Strong");
        assert_eq!(reply.json["technical_score"], 80);
    }

    async fn concurrent_turns_are_all_kept(state: AppState) {
        let (_, id) = interview(&state).await;
        let mut tasks = Vec::new();
        for n in 0..16 {
            let state = state.clone();
            let uri = internal(&id, "transcript");
            tasks.push(tokio::spawn(async move {
                send_to(&state, request("POST", &uri, Some(SERVICE), Some(&json!({"role": "candidate", "text": format!("turn {n}")})))).await.status
            }));
        }
        for task in tasks {
            assert_eq!(task.await.expect("task"), StatusCode::OK);
        }
        let reply = send_to(&state, request("GET", &internal(&id, "state"), Some(SERVICE), None)).await;
        let mut texts: Vec<String> = reply.json["transcript"].as_array().expect("array").iter().map(|t| t["text"].as_str().expect("text").to_owned()).collect();
        texts.sort();
        let mut expected: Vec<String> = (0..16).map(|n| format!("turn {n}")).collect();
        expected.sort();
        assert_eq!(texts, expected);
    }

    async fn bad_agent_input_writes_nothing(state: AppState) {
        let (_, id) = interview(&state).await;
        let cases: Vec<(&str, String, StatusCode)> = vec![
            ("transcript", "{\"role\": ".to_owned(), StatusCode::BAD_REQUEST),
            ("transcript", json!({"role": "judge", "text": "x"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("transcript", json!({"role": "candidate"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("transcript", json!({"role": "candidate", "text": 5}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("transcript", json!({"role": "candidate", "text": "x".repeat(10_001)}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("events", json!({"type": "phase"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("events", json!({"type": "phase", "phase": "x".repeat(51)}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("events", json!({"type": "party"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("events", json!({"type": "phase", "phase": "lunch"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("events", json!({"type": "metrics", "phase": "technical"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("end", json!({"outcome": "abandoned"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("events", json!({"type": "metrics", "data": {"blob": "x".repeat(10_001)}}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("report", json!({"report": "text"}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            ("report", json!({"report": {}, "technical_score": 101}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ];
        for (path, body, status) in &cases {
            let reply = send_to(&state, raw("POST", &internal(&id, path), Some(SERVICE), Some(body.clone()))).await;
            assert_error(&reply, *status);
        }
        let reply = send_to(&state, request("GET", &internal(&id, "state"), Some(SERVICE), None)).await;
        assert_eq!(reply.json["transcript"], json!([]));
        assert_eq!(reply.json["events"], json!([]));
        assert_eq!(reply.json["report"], Value::Null);
        assert_eq!(reply.json["phase"], "not_started");
    }
}
