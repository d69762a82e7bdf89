//! Accounts on both backends: register, login (JSON and OAuth2 form), /auth/me, bad input.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{assert_error, send_to};
use control_api::AppState;
use serde_json::{Value, json};
use sqlx::Row;

fn post_json(uri: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("valid request")
}

fn get_with_token(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("valid request")
}

async fn user_count(state: &AppState) -> i64 {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(state.db().pool())
        .await
        .expect("count");
    row.try_get::<i64, _>("n").expect("count as i64")
}

async fn register(state: &AppState, email: &str) -> Value {
    let body = json!({"email": email, "username": "newuser", "full_name": "New User", "password": "securepassword"});
    let reply = send_to(state, post_json("/api/v1/auth/register", &body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

backend_tests! {
    async fn register_login_me_json_and_form(state: AppState) {
        let user = register(&state, "User@Example.com").await;
        assert_eq!(user["email"], "user@example.com");
        assert_eq!(user["is_active"], true);
        assert_eq!(user["is_superuser"], false);
        assert!(user.get("hashed_password").is_none() && user.get("password").is_none());

        let reply = send_to(&state, post_json("/api/v1/auth/login",
            &json!({"username": "user@example.com", "password": "securepassword"}))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["token_type"], "bearer");
        let token = reply.json["access_token"].as_str().expect("token").to_owned();

        for uri in ["/api/v1/auth/me", "/api/v1/users/me"] {
            let me = send_to(&state, get_with_token(uri, &token)).await;
            assert_eq!(me.status, StatusCode::OK, "{uri}");
            assert_eq!(me.json["id"], user["id"]);
        }

        for uri in ["/api/v1/auth/token", "/api/v1/auth/login"] {
            let form = Request::post(uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("username=newuser&password=securepassword"))
                .expect("valid request");
            let reply = send_to(&state, form).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.json);
            assert!(reply.json["access_token"].is_string());
        }
    }

    async fn duplicate_email_is_400_and_writes_nothing(state: AppState) {
        register(&state, "a@example.com").await;
        let body = json!({"email": "a@example.com", "password": "anotherpassword"});
        let reply = send_to(&state, post_json("/api/v1/auth/register", &body)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST);
        assert_eq!(user_count(&state).await, 1);
    }

    async fn bad_registration_bodies_are_rejected_without_writes(state: AppState) {
        let long = "x".repeat(300);
        let cases = [
            (json!({"email": "a@example.com"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"email": 5, "password": "securepassword"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"email": "no-at-sign", "password": "securepassword"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"email": "a@example.com", "password": "short"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"email": format!("{long}@x.io"), "password": "securepassword"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"email": "a@example.com", "password": "securepassword", "full_name": long}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"email": "a@example.com", "password": "securepassword", "is_superuser": true}), StatusCode::UNPROCESSABLE_ENTITY),
        ];
        for (body, status) in cases {
            let reply = send_to(&state, post_json("/api/v1/auth/register", &body)).await;
            assert_error(&reply, status);
        }
        let malformed = Request::post("/api/v1/auth/register")
            .header("content-type", "application/json")
            .body(Body::from("{\"email\": "))
            .expect("valid request");
        assert_error(&send_to(&state, malformed).await, StatusCode::BAD_REQUEST);
        let oversized = json!({"email": "a@example.com", "password": "x".repeat(128 * 1024)});
        let reply = send_to(&state, post_json("/api/v1/auth/register", &oversized)).await;
        assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(user_count(&state).await, 0);
    }

    async fn sql_injection_shaped_input_is_plain_data(state: AppState) {
        register(&state, "victim@example.com").await;
        let evil = "' OR '1'='1";
        let reply = send_to(&state, post_json("/api/v1/auth/login",
            &json!({"username": evil, "password": evil}))).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        let reply = send_to(&state, post_json("/api/v1/auth/login",
            &json!({"username": "victim@example.com' --", "password": "x"}))).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        // Not an address (spaces, parentheses): refused before it reaches SQL.
        let malformed = "x'); DROP TABLE users; --@example.com";
        let reply = send_to(&state, post_json("/api/v1/auth/register",
            &json!({"email": malformed, "password": "securepassword"}))).await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        // A valid address with quotes and dashes in it is stored as plain data.
        let weird = "O'Drop--Table'x@Example.com";
        let reply = send_to(&state, post_json("/api/v1/auth/register",
            &json!({"email": weird, "password": "securepassword"}))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["email"], weird.to_lowercase());
        assert_eq!(user_count(&state).await, 2);
    }

    async fn wrong_password_and_bad_tokens_are_401(state: AppState) {
        register(&state, "u@example.com").await;
        let reply = send_to(&state, post_json("/api/v1/auth/login",
            &json!({"username": "u@example.com", "password": "wrongpassword"}))).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.headers.get("www-authenticate").expect("challenge"), "Bearer");

        let reply = send_to(&state, post_json("/api/v1/auth/login",
            &json!({"username": "u@example.com", "password": "securepassword"}))).await;
        let token = reply.json["access_token"].as_str().expect("token").to_owned();
        let mut tampered = token.clone();
        let last = tampered.pop().expect("non-empty token");
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        let other_secret = {
            let mut config = state.config().clone();
            config.jwt_secret = "another-secret".to_owned();
            let other = AppState::new(config, state.db().clone());
            let user_id = send_to(&state, get_with_token("/api/v1/auth/me", &token)).await.json["id"]
                .as_str().expect("id").to_owned();
            control_api::auth::issue_access_token(&other, &user_id).expect("token")
        };
        let expired = {
            let user_id = send_to(&state, get_with_token("/api/v1/auth/me", &token)).await.json["id"]
                .as_str()
                .expect("id")
                .to_owned();
            let now = control_api::time::unix_now();
            let claims = json!({"sub": user_id, "iat": now - 100, "exp": now - 10, "typ": "access"});
            jsonwebtoken::encode(
                &jsonwebtoken::Header::default(),
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(state.config().jwt_secret.as_bytes()),
            )
            .expect("token")
        };
        for bad in [tampered.as_str(), other_secret.as_str(), expired.as_str(), "garbage", ""] {
            let reply = send_to(&state, get_with_token("/api/v1/auth/me", bad)).await;
            assert_error(&reply, StatusCode::UNAUTHORIZED);
        }
        let anonymous = Request::get("/api/v1/auth/me").body(Body::empty()).expect("valid request");
        assert_error(&send_to(&state, anonymous).await, StatusCode::UNAUTHORIZED);
    }
}
