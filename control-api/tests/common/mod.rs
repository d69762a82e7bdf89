//! Helpers shared by the integration tests: build the app and send one request to it.

#![allow(dead_code)]

pub mod backend;
pub mod interviews;
pub mod uploads;
pub mod users;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use control_api::{AppState, Config};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A response reduced to what tests assert on.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: serde_json::Value,
}

/// The app over an in-memory SQLite database (for tests that need no backend matrix).
pub async fn memory_state() -> AppState {
    let mut config = Config::for_database("sqlite::memory:");
    config.max_body_bytes = 4096;
    AppState::connect(config).await.expect("in-memory SQLite")
}

/// Sends `request` to a fresh in-memory app.
pub async fn send(request: Request<Body>) -> Reply {
    send_to(&memory_state().await, request).await
}

/// Sends `request` to the app over `state` and parses the body as JSON (`Null` if not JSON).
pub async fn send_to(state: &AppState, request: Request<Body>) -> Reply {
    let response = control_api::app(state.clone())
        .oneshot(request)
        .await
        .expect("router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("in-memory body")
        .to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Reply {
        status,
        headers,
        json,
    }
}

/// Asserts the common error shape with the given status.
pub fn assert_error(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "body: {}", reply.json);
    assert_eq!(
        reply.json["status_code"],
        status.as_u16(),
        "body: {}",
        reply.json
    );
    assert!(
        reply.json["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail missing: {}",
        reply.json
    );
}

/// `POST /api/v1/livekit/webhook` with `body`, signed as livekit-server signs its webhooks (a
/// JWT over the API secret carrying the body's SHA-256).
pub fn signed_webhook(api_key: &str, secret: &str, body: &serde_json::Value) -> Request<Body> {
    use base64::Engine;
    use sha2::Digest;
    let body = body.to_string();
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body.as_bytes()));
    let token = livekit_api::access_token::AccessToken::with_api_key(api_key, secret)
        .with_sha256(&hash)
        .to_jwt()
        .expect("sign");
    Request::post("/api/v1/livekit/webhook")
        .header("content-type", "application/webhook+json")
        .header("authorization", token)
        .body(Body::from(body))
        .expect("request")
}
