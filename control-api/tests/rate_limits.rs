//! Per-user and per-key rate limits on both backends: headers count down, the request past the
//! limit is a 429 with `Retry-After` in the error shape, and buckets are independent.

mod common;

use axum::http::StatusCode;
use common::users::{request, user_token};
use common::{Reply, assert_error, send_to};
use control_api::AppState;
use serde_json::json;

/// The same database with small limits.
fn limited(state: &AppState, per_user: u32, per_key: u32) -> AppState {
    let mut config = state.config().clone();
    config.rate_limit_user_per_minute = per_user;
    config.rate_limit_key_per_minute = per_key;
    AppState::new(config, state.db().clone())
}

fn header(reply: &Reply, name: &str) -> u64 {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("header {name} in {:?}", reply.headers))
}

backend_tests! {
    async fn user_limit_counts_down_then_refuses(state: AppState) {
        let state = limited(&state, 3, 100);
        let alice = user_token(&state, "alice@example.com").await;
        let bob = user_token(&state, "bob@example.com").await;
        let now = control_api::time::unix_now();
        for remaining in [2, 1, 0] {
            let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(&alice), None)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            assert_eq!(header(&reply, "x-ratelimit-limit"), 3);
            assert_eq!(header(&reply, "x-ratelimit-remaining"), remaining);
            let reset = header(&reply, "x-ratelimit-reset");
            assert!(reset >= now && reset <= now + 61, "reset {reset} now {now}");
        }
        let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(&alice), None)).await;
        assert_error(&reply, StatusCode::TOO_MANY_REQUESTS);
        let retry = header(&reply, "retry-after");
        assert!((1..=20).contains(&retry), "retry-after {retry}");
        assert_eq!(header(&reply, "x-ratelimit-remaining"), 0);
        // Bob has his own bucket.
        let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(&bob), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(header(&reply, "x-ratelimit-remaining"), 2);
    }

    async fn key_limit_is_separate_from_the_session(state: AppState) {
        let state = limited(&state, 100, 2);
        let token = user_token(&state, "alice@example.com").await;
        let reply = send_to(&state, request("POST", "/api/v1/api-keys", Some(&token), Some(&json!({"name": "k"})))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let secret = reply.json["secret"].as_str().expect("secret").to_owned();
        for _ in 0..2 {
            let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(&secret), None)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            assert_eq!(header(&reply, "x-ratelimit-limit"), 2);
        }
        let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(&secret), None)).await;
        assert_error(&reply, StatusCode::TOO_MANY_REQUESTS);
        assert!(header(&reply, "retry-after") >= 1);
        // Every request that presented the key counts as a use, the refused one too.
        let reply = send_to(&state, request("GET", "/api/v1/api-keys", Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(header(&reply, "x-ratelimit-limit"), 100);
        assert_eq!(reply.json[0]["usage_count"], 3);
    }

    async fn zero_disables_the_limit(state: AppState) {
        let state = limited(&state, 0, 0);
        let token = user_token(&state, "alice@example.com").await;
        for _ in 0..5 {
            let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(&token), None)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            assert!(reply.headers.get("x-ratelimit-limit").is_none());
        }
    }
}
