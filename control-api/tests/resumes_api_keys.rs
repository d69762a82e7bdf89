//! Resumes through an API key (`Authorization: Bearer sk_...` or `X-API-Key`) on both
//! backends: every operation works, ownership holds across keys, a deactivated key is refused
//! before anything is stored, and the per-key rate limit applies.

mod common;
mod resumes_pdfs;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::uploads::multipart;
use common::users::{request, user_token};
use common::{assert_error, send_to};
use control_api::AppState;
use serde_json::{Value, json};
use sqlx::Row;

async fn key_secret(state: &AppState, token: &str) -> (String, String) {
    let reply = send_to(
        state,
        request(
            "POST",
            "/api/v1/api-keys",
            Some(token),
            Some(&json!({"name": "ats"})),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    (
        reply.json["id"].as_str().expect("id").to_owned(),
        reply.json["secret"].as_str().expect("secret").to_owned(),
    )
}

/// A request authenticated with `X-API-Key` instead of `Authorization`.
fn with_key_header(method: &str, uri: &str, secret: &str, body: Option<&Value>) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-api-key", secret);
    match body {
        Some(json) => builder
            .header("content-type", "application/json")
            .body(Body::from(json.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("valid request")
}

async fn resume_rows(state: &AppState) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM resumes")
        .fetch_one(state.db().pool())
        .await
        .and_then(|row| row.try_get::<i64, _>("n"))
        .expect("count")
}

backend_tests! {
    async fn every_resume_operation_takes_an_api_key(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let (_, secret) = key_secret(&state, &token).await;
        let pdf = resumes_pdfs::resume_pdf();

        let parsed = send_to(&state, multipart("/api/v1/resume/parse", Some(&secret), "file", "cv.pdf", &pdf)).await;
        assert_eq!(parsed.status, StatusCode::OK, "{}", parsed.json);
        assert_eq!(parsed.json["contact"]["name"], "Jane Doe");

        let uploaded = send_to(&state, multipart("/api/v1/resumes/upload", Some(&secret), "file", "cv.pdf", &pdf)).await;
        assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.json);
        let id = uploaded.json["id"].as_str().expect("id").to_owned();
        let uri = format!("/api/v1/resumes/{id}");

        // The key acts for its owner: the session sees what the key stored, and vice versa.
        let by_session = send_to(&state, request("GET", &uri, Some(&token), None)).await;
        assert_eq!(by_session.json, uploaded.json);
        for list in ["/api/v1/resumes", "/api/v1/resumes/user"] {
            let reply = send_to(&state, with_key_header("GET", list, &secret, None)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            assert_eq!(reply.json["total"], 1);
            assert_eq!(reply.json["items"][0]["id"], id.as_str());
        }
        let renamed = send_to(&state, with_key_header("PUT", &uri, &secret, Some(&json!({"filename": "jane.pdf"})))).await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.json);
        assert_eq!(renamed.json["filename"], "jane.pdf");
        let file = send_to(&state, with_key_header("GET", &format!("{uri}/file"), &secret, None)).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.headers["content-type"], "application/pdf");
        let deleted = send_to(&state, request("DELETE", &uri, Some(&secret), None)).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(resume_rows(&state).await, 0);
    }

    async fn another_users_key_sees_404(state: AppState) {
        let alice = user_token(&state, "alice@example.com").await;
        let bob = user_token(&state, "bob@example.com").await;
        let (_, bob_key) = key_secret(&state, &bob).await;
        let pdf = resumes_pdfs::resume_pdf();
        let uploaded = send_to(&state, multipart("/api/v1/resumes/upload", Some(&alice), "file", "cv.pdf", &pdf)).await;
        assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.json);
        let uri = format!("/api/v1/resumes/{}", uploaded.json["id"].as_str().expect("id"));
        for (method, path, body) in [
            ("GET", uri.clone(), None),
            ("GET", format!("{uri}/file"), None),
            ("PUT", uri.clone(), Some(json!({"filename": "stolen.pdf"}))),
            ("DELETE", uri.clone(), None),
        ] {
            let reply = send_to(&state, with_key_header(method, &path, &bob_key, body.as_ref())).await;
            assert_error(&reply, StatusCode::NOT_FOUND);
        }
        let list = send_to(&state, with_key_header("GET", "/api/v1/resumes", &bob_key, None)).await;
        assert_eq!(list.json["total"], 0);
        let still = send_to(&state, request("GET", &uri, Some(&alice), None)).await;
        assert_eq!(still.json["filename"], "cv.pdf");
    }

    async fn deactivated_key_uploads_nothing(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let (key_id, secret) = key_secret(&state, &token).await;
        let reply = send_to(&state, request("DELETE", &format!("/api/v1/api-keys/{key_id}"), Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let pdf = resumes_pdfs::resume_pdf();
        let reply = send_to(&state, multipart("/api/v1/resumes/upload", Some(&secret), "file", "cv.pdf", &pdf)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        let reply = send_to(&state, with_key_header("GET", "/api/v1/resumes", &secret, None)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        assert_eq!(resume_rows(&state).await, 0);
    }

    async fn uploads_through_a_key_are_rate_limited(state: AppState) {
        let mut config = state.config().clone();
        config.rate_limit_key_per_minute = 2;
        let state = AppState::new(config, state.db().clone());
        let token = user_token(&state, "alice@example.com").await;
        let (_, secret) = key_secret(&state, &token).await;
        let pdf = resumes_pdfs::resume_pdf();
        for _ in 0..2 {
            let reply = send_to(&state, multipart("/api/v1/resumes/upload", Some(&secret), "file", "cv.pdf", &pdf)).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
            assert_eq!(reply.headers["x-ratelimit-limit"], "2");
        }
        let reply = send_to(&state, multipart("/api/v1/resumes/upload", Some(&secret), "file", "cv.pdf", &pdf)).await;
        assert_error(&reply, StatusCode::TOO_MANY_REQUESTS);
        assert!(reply.headers.contains_key("retry-after"), "{:?}", reply.headers);
        assert_eq!(resume_rows(&state).await, 2);
        // The session has its own bucket.
        let reply = send_to(&state, request("GET", "/api/v1/resumes", Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    }
}
