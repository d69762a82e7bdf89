//! Every operation that can answer 429 (it authenticates through the rate-limited
//! `Principal`) documents 429 in `/openapi.json`: each documented operation is called once by a
//! user whose bucket holds a single request, and any 429 it returns must be in the document.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::send_to;
use common::users::user_token;
use control_api::{AppState, Config};

#[tokio::test]
async fn every_operation_answering_429_documents_it() {
    let mut config = Config::for_database("sqlite::memory:");
    config.rate_limit_user_per_minute = 1;
    let state = AppState::connect(config).await.expect("in-memory SQLite");
    let token = user_token(&state, "limited@example.com").await;
    let doc = send_to(
        &state,
        Request::get("/openapi.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await
    .json;
    let mut limited = Vec::new();
    let mut undocumented = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            // Logout would revoke the token the rest of the test uses.
            if path.ends_with("/auth/logout") {
                continue;
            }
            let uri = path
                .split('/')
                .map(|s| {
                    if s.starts_with('{') {
                        "00000000-0000-4000-8000-000000000000"
                    } else {
                        s
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let request = Request::builder()
                .method(Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"))
                .uri(&uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request");
            let reply = send_to(&state, request).await;
            if reply.status == StatusCode::TOO_MANY_REQUESTS {
                limited.push(format!("{method} {path}"));
                if operation["responses"].get("429").is_none() {
                    undocumented.push(format!("{method} {path}"));
                }
            }
        }
    }
    assert!(limited.len() >= 20, "rate-limited operations: {limited:?}");
    assert!(
        undocumented.is_empty(),
        "answer 429 without documenting it: {undocumented:?}"
    );
}
