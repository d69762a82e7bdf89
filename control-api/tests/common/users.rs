//! Registering users and sending authenticated JSON requests, for the tests of owned objects.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use control_api::AppState;
use serde_json::{Value, json};

use super::send_to;

/// Registers `email` (password `securepassword`) and returns an access token.
pub async fn user_token(state: &AppState, email: &str) -> String {
    let body = json!({"email": email, "password": "securepassword"});
    let reply = send_to(
        state,
        request("POST", "/api/v1/auth/register", None, Some(&body)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let reply = send_to(
        state,
        request("POST", "/api/v1/auth/login", None, Some(&body)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// A request with an optional bearer credential and an optional JSON body.
pub fn request(
    method: &str,
    uri: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> Request<Body> {
    raw(method, uri, bearer, body.map(Value::to_string))
}

/// A request with an optional bearer credential and an optional raw JSON text body.
pub fn raw(method: &str, uri: &str, bearer: Option<&str>, body: Option<String>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(token) = bearer {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    match body {
        Some(text) => builder
            .header("content-type", "application/json")
            .body(Body::from(text)),
        None => builder.body(Body::empty()),
    }
    .expect("valid request")
}
