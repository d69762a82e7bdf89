//! Interview helpers: transcript turns as the agent sends them, and completion followed by
//! the report once its evaluation has finished.

use std::time::Duration;

use axum::http::StatusCode;
use control_api::AppState;
use serde_json::{Value, json};

use super::send_to;
use super::users::request;

/// Completes interview `id` and waits (bounded) until its evaluation has finished.
pub async fn complete_and_wait(state: &AppState, token: &str, id: &str) -> Value {
    let mut finished = state.evaluations_finished().subscribe();
    let done = send_to(
        state,
        request(
            "POST",
            &format!("/api/v1/interviews/{id}/complete"),
            Some(token),
            None,
        ),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.json);
    assert_eq!(done.json["status"], "completed");
    assert!(done.json["evaluation_status"].is_string(), "{}", done.json);
    tokio::time::timeout(Duration::from_secs(20), finished.changed())
        .await
        .expect("the evaluation finishes within 20 s")
        .expect("state alive");
    let report = send_to(
        state,
        request(
            "GET",
            &format!("/api/v1/interviews/{id}/report"),
            Some(token),
            None,
        ),
    )
    .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.json);
    report.json
}

pub async fn say(state: &AppState, id: &str, role: &str, text: &str) {
    let reply = send_to(
        state,
        request(
            "POST",
            &format!("/api/v1/internal/interviews/{id}/transcript"),
            Some(&state.config().service_token),
            Some(&json!({"role": role, "text": text})),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
}
