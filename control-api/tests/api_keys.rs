//! API keys on both backends: secret shown once and stored hashed, both headers accepted, usage
//! counted, per-user limit, deactivation, ownership, bad input.

mod common;

use axum::http::StatusCode;
use common::users::{raw, request, user_token};
use common::{assert_error, send_to};
use serde_json::{Value, json};
use sqlx::Row;

async fn create_key(state: &control_api::AppState, token: &str, name: &str) -> Value {
    let reply = send_to(
        state,
        request(
            "POST",
            "/api/v1/api-keys",
            Some(token),
            Some(&json!({"name": name})),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

fn with_header(uri: &str, name: &str, value: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::get(uri)
        .header(name, value)
        .body(axum::body::Body::empty())
        .expect("valid request")
}

async fn key_count(state: &control_api::AppState) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM api_keys")
        .fetch_one(state.db().pool())
        .await
        .and_then(|row| row.try_get::<i64, _>("n"))
        .expect("count")
}

backend_tests! {
    async fn key_is_shown_once_stored_hashed_and_authenticates(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let created = create_key(&state, &token, "My Integration Key").await;
        let secret = created["secret"].as_str().expect("secret").to_owned();
        assert!(secret.starts_with("sk_") && secret.len() >= 60, "{secret}");
        assert!(created["key"].as_str().is_some_and(|k| k.starts_with("pk_")));
        assert_eq!(created["usage_count"], 0);
        assert_eq!(created["is_active"], true);
        assert!(created["last_used_at"].is_null());

        // Only the hash is stored.
        let rows = sqlx::query("SELECT secret_hash FROM api_keys")
            .fetch_all(state.db().pool())
            .await
            .expect("rows");
        assert_eq!(rows.len(), 1);
        let stored: String = rows[0].try_get("secret_hash").expect("hash");
        assert_ne!(stored, secret);
        assert!(!stored.contains(&secret[3..]));
        assert_eq!(stored, control_api::api_keys::hash_secret(&secret));

        // Both ways of presenting the key reach a protected route as the key's owner.
        let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(&secret), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["active_api_keys"], 1);
        let reply = send_to(&state, with_header("/api/v1/users/statistics", "x-api-key", &secret)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);

        // The listing counts uses and never shows the secret.
        let reply = send_to(&state, request("GET", "/api/v1/api-keys", Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let keys = reply.json.as_array().expect("array");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0]["usage_count"], 2);
        assert!(keys[0]["last_used_at"].is_string());
        assert!(keys[0].get("secret").is_none());
        assert!(!reply.json.to_string().contains(&secret));
    }

    async fn api_key_cannot_manage_keys(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let secret = create_key(&state, &token, "k").await["secret"].as_str().expect("secret").to_owned();
        let reply = send_to(&state, request("POST", "/api/v1/api-keys", Some(&secret), Some(&json!({"name": "x"})))).await;
        assert_error(&reply, StatusCode::FORBIDDEN);
        let reply = send_to(&state, request("GET", "/api/v1/api-keys", Some(&secret), None)).await;
        assert_error(&reply, StatusCode::FORBIDDEN);
        assert_eq!(key_count(&state).await, 1);
    }

    async fn deactivated_key_is_refused(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let created = create_key(&state, &token, "k").await;
        let secret = created["secret"].as_str().expect("secret");
        let id = created["id"].as_str().expect("id");
        let reply = send_to(&state, request("DELETE", &format!("/api/v1/api-keys/{id}"), Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["message"], "API key deactivated successfully");
        for reply in [
            send_to(&state, request("GET", "/api/v1/users/statistics", Some(secret), None)).await,
            send_to(&state, with_header("/api/v1/users/statistics", "x-api-key", secret)).await,
        ] {
            assert_error(&reply, StatusCode::UNAUTHORIZED);
        }
        let reply = send_to(&state, request("GET", "/api/v1/api-keys", Some(&token), None)).await;
        assert_eq!(reply.json[0]["is_active"], false);
    }

    async fn unknown_and_malformed_keys_are_refused(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let secret = create_key(&state, &token, "k").await["secret"].as_str().expect("secret").to_owned();
        let last = if secret.ends_with('0') { '1' } else { '0' };
        let tampered = format!("{}{last}", &secret[..secret.len() - 1]);
        assert_ne!(tampered, secret);
        for bad in [tampered.as_str(), "sk_", "sk_' OR '1'='1", "sk_x; DROP TABLE api_keys; --"] {
            let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(bad), None)).await;
            assert_error(&reply, StatusCode::UNAUTHORIZED);
            let reply = send_to(&state, with_header("/api/v1/users/statistics", "x-api-key", bad)).await;
            assert_error(&reply, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(key_count(&state).await, 1);
    }

    async fn per_user_limit_counts_active_keys(state: AppState) {
        let limit = state.config().api_keys_per_user;
        let alice = user_token(&state, "alice@example.com").await;
        let mut first = None;
        for n in 0..limit {
            let created = create_key(&state, &alice, &format!("k{n}")).await;
            first.get_or_insert(created["id"].as_str().expect("id").to_owned());
        }
        let reply = send_to(&state, request("POST", "/api/v1/api-keys", Some(&alice), Some(&json!({"name": "over"})))).await;
        assert_error(&reply, StatusCode::BAD_REQUEST);
        assert_eq!(key_count(&state).await, i64::from(limit));
        // Another user is not affected; deactivating one frees a slot.
        let bob = user_token(&state, "bob@example.com").await;
        create_key(&state, &bob, "b").await;
        let id = first.expect("at least one key");
        let reply = send_to(&state, request("DELETE", &format!("/api/v1/api-keys/{id}"), Some(&alice), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        create_key(&state, &alice, "again").await;
    }

    async fn another_users_key_is_not_found(state: AppState) {
        let alice = user_token(&state, "alice@example.com").await;
        let bob = user_token(&state, "bob@example.com").await;
        let created = create_key(&state, &alice, "k").await;
        let id = created["id"].as_str().expect("id");
        for uri in [
            format!("/api/v1/api-keys/{id}"),
            "/api/v1/api-keys/no-such-key".to_owned(),
            "/api/v1/api-keys/'%20OR%201=1%20--".to_owned(),
        ] {
            let reply = send_to(&state, request("DELETE", &uri, Some(&bob), None)).await;
            assert_error(&reply, StatusCode::NOT_FOUND);
        }
        let reply = send_to(&state, request("GET", "/api/v1/api-keys", Some(&bob), None)).await;
        assert_eq!(reply.json, json!([]));
        let reply = send_to(&state, request("GET", "/api/v1/api-keys", Some(&alice), None)).await;
        assert_eq!(reply.json[0]["is_active"], true);
    }

    async fn bad_create_bodies_write_nothing(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let cases: [(String, StatusCode); 8] = [
            ("{\"name\": ".to_owned(), StatusCode::BAD_REQUEST),
            ("{\"name\": 5}".to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
            ("{}".to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
            ("[\"k\"]".to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
            ("{\"name\": \"   \"}".to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"name": "x".repeat(101)}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"name": "k", "extra": 1}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"name": null}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ];
        for (body, status) in cases {
            let reply = send_to(&state, raw("POST", "/api/v1/api-keys", Some(&token), Some(body.clone()))).await;
            assert_error(&reply, status);
        }
        let reply = send_to(&state, request("POST", "/api/v1/api-keys", None, Some(&json!({"name": "k"})))).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        assert_eq!(key_count(&state).await, 0);
        // An injection-shaped name is stored as text.
        let name = "k'); DROP TABLE api_keys; --";
        let created = create_key(&state, &token, name).await;
        assert_eq!(created["name"], name);
        assert_eq!(key_count(&state).await, 1);
    }
}
