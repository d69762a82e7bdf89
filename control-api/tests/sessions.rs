//! Refresh-token rotation and logout revocation on both backends.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{assert_error, send_to};
use control_api::AppState;
use serde_json::{Value, json};

fn post_json(uri: &str, body: &Value, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::post(uri).header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder
        .body(Body::from(body.to_string()))
        .expect("valid request")
}

fn me(token: &str) -> Request<Body> {
    Request::get("/api/v1/auth/me")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("valid request")
}

async fn login(state: &AppState) -> Value {
    let body = json!({"email": "s@example.com", "password": "securepassword"});
    let reply = send_to(state, post_json("/api/v1/auth/register", &body, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let reply = send_to(state, post_json("/api/v1/auth/login", &body, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

backend_tests! {
    async fn expired_and_tampered_refresh_tokens_are_401(state: AppState) {
        let mut config = state.config().clone();
        config.refresh_token_ttl_secs = 0;
        let expiring = AppState::new(config, state.db().clone());
        let pair = login(&expiring).await;
        let expired = pair["refresh_token"].as_str().expect("refresh token").to_owned();
        let reply = send_to(&state, post_json("/api/v1/auth/refresh-token", &json!({"refresh_token": expired}), None)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);

        let body = json!({"username": "s@example.com", "password": "securepassword"});
        let pair = send_to(&state, post_json("/api/v1/auth/login", &body, None)).await.json;
        let valid = pair["refresh_token"].as_str().expect("refresh token").to_owned();
        let mut tampered = valid.clone();
        let last = tampered.pop().expect("non-empty token");
        tampered.push(if last == 'a' { 'b' } else { 'a' });
        let reply = send_to(&state, post_json("/api/v1/auth/refresh-token", &json!({"refresh_token": tampered}), None)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        // Neither failure used up the genuine token.
        let reply = send_to(&state, post_json("/api/v1/auth/refresh-token", &json!({"refresh_token": valid}), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    }

    async fn refresh_rotates_and_old_token_is_single_use(state: AppState) {
        let first = login(&state).await;
        let old = first["refresh_token"].as_str().expect("refresh token").to_owned();
        let reply = send_to(&state, post_json("/api/v1/auth/refresh-token", &json!({"refresh_token": old}), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let new_refresh = reply.json["refresh_token"].as_str().expect("rotated").to_owned();
        assert_ne!(new_refresh, old);
        let access = reply.json["access_token"].as_str().expect("access").to_owned();
        assert_eq!(send_to(&state, me(&access)).await.status, StatusCode::OK);

        let rotated_again = send_to(&state, post_json("/api/v1/auth/refresh-token", &json!({"refresh_token": new_refresh}), None)).await;
        assert_eq!(rotated_again.status, StatusCode::OK, "the rotated token works once: {}", rotated_again.json);
        let newest = rotated_again.json["refresh_token"].as_str().expect("rotated").to_owned();

        let reused = send_to(&state, post_json("/api/v1/auth/refresh-token", &json!({"refresh_token": old}), None)).await;
        assert_error(&reused, StatusCode::UNAUTHORIZED);
        for bad in [json!({"refresh_token": "nope"}), json!({"refresh_token": "x".repeat(500)})] {
            let reply = send_to(&state, post_json("/api/v1/auth/refresh-token", &bad, None)).await;
            assert_error(&reply, StatusCode::UNAUTHORIZED);
        }
        let missing = send_to(&state, post_json("/api/v1/auth/refresh-token", &json!({}), None)).await;
        assert_error(&missing, StatusCode::UNPROCESSABLE_ENTITY);
        // The replay of `old` revoked its whole family: the newest token is dead too.
        let again = send_to(&state, post_json("/api/v1/auth/refresh-token", &json!({"refresh_token": newest}), None)).await;
        assert_error(&again, StatusCode::UNAUTHORIZED);
    }

    async fn logout_revokes_access_and_refresh_tokens(state: AppState) {
        let pair = login(&state).await;
        let access = pair["access_token"].as_str().expect("access").to_owned();
        let refresh = pair["refresh_token"].as_str().expect("refresh").to_owned();
        assert_eq!(send_to(&state, me(&access)).await.status, StatusCode::OK);

        let reply = send_to(&state, post_json("/api/v1/auth/logout", &json!({}), Some(&access))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["message"], "Successfully logged out");

        assert_error(&send_to(&state, me(&access)).await, StatusCode::UNAUTHORIZED);
        let reply = send_to(&state, post_json("/api/v1/auth/refresh-token", &json!({"refresh_token": refresh}), None)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        let reply = send_to(&state, post_json("/api/v1/auth/logout", &json!({}), Some(&access))).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);

        let body = json!({"email": "s@example.com", "password": "securepassword"});
        let fresh = send_to(&state, post_json("/api/v1/auth/login", &body, None)).await;
        let access = fresh.json["access_token"].as_str().expect("access").to_owned();
        assert_eq!(send_to(&state, me(&access)).await.status, StatusCode::OK, "a new login works");
    }
}

fn put_me(token: &str, body: &Value) -> Request<Body> {
    Request::put("/api/v1/users/me")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .expect("valid request")
}

backend_tests! {
    async fn profile_update_and_is_active_needs_superuser(state: AppState) {
        let pair = login(&state).await;
        let access = pair["access_token"].as_str().expect("access").to_owned();
        let reply = send_to(&state, put_me(&access, &json!({"full_name": "Updated Name"}))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["full_name"], "Updated Name");

        let reply = send_to(&state, put_me(&access, &json!({"full_name": "Other", "is_active": false}))).await;
        assert_error(&reply, StatusCode::FORBIDDEN);
        let reply = send_to(&state, put_me(&access, &json!({"full_name": "x".repeat(201)}))).await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        let reply = send_to(&state, put_me(&access, &json!({"is_active": "no"}))).await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        let profile = send_to(&state, me(&access)).await;
        assert_eq!(profile.json["full_name"], "Updated Name", "rejected updates wrote nothing");
        assert_eq!(profile.json["is_active"], true);

        sqlx::query("UPDATE users SET is_superuser = 1")
            .execute(state.db().pool())
            .await
            .expect("promote");
        let reply = send_to(&state, put_me(&access, &json!({"is_active": false}))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["is_active"], false);
        assert_error(&send_to(&state, me(&access)).await, StatusCode::BAD_REQUEST);
    }
}

backend_tests! {
    async fn login_attempts_are_rate_limited_per_name(state: AppState) {
        login(&state).await;
        let wrong = json!({"email": "s@example.com", "password": "wrongpassword"});
        let limit = state.config().login_attempts_per_minute;
        // `login` used one attempt already.
        for _ in 1..limit {
            let reply = send_to(&state, post_json("/api/v1/auth/login", &wrong, None)).await;
            assert_error(&reply, StatusCode::UNAUTHORIZED);
        }
        let right = json!({"email": "s@example.com", "password": "securepassword"});
        let reply = send_to(&state, post_json("/api/v1/auth/login", &right, None)).await;
        assert_error(&reply, StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = reply.headers.get("retry-after").expect("Retry-After")
            .to_str().expect("ascii").parse().expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        let other = json!({"email": "nobody@example.com", "password": "securepassword"});
        let reply = send_to(&state, post_json("/api/v1/auth/login", &other, None)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
    }
}
