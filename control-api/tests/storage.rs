//! Storage on both backends: migrations applied at start, one query path, readiness.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{assert_error, send_to};
use sqlx::Row;

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .body(Body::empty())
        .expect("valid request")
}

backend_tests! {
    async fn migrations_create_users_and_round_trip(state: AppState) {
        let pool = state.db().pool();
        let injection = "x'); DROP TABLE users; --";
        sqlx::query(
            "INSERT INTO users (id, email, full_name, hashed_password, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind("00000000-0000-4000-8000-000000000001")
        .bind("a@example.com")
        .bind(injection)
        .bind("hash")
        .bind("2026-01-01T00:00:00Z")
        .bind("2026-01-01T00:00:00Z")
        .execute(pool)
        .await
        .expect("insert");
        let row = sqlx::query("SELECT full_name, is_active, is_superuser FROM users WHERE email = $1")
            .bind("a@example.com")
            .fetch_one(pool)
            .await
            .expect("select");
        assert_eq!(row.try_get::<String, _>("full_name").expect("text"), injection);
        assert_eq!(row.try_get::<i64, _>("is_active").expect("flag"), 1);
        assert_eq!(row.try_get::<i64, _>("is_superuser").expect("flag"), 0);
        let duplicate = sqlx::query(
            "INSERT INTO users (id, email, hashed_password, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind("00000000-0000-4000-8000-000000000002")
        .bind("a@example.com")
        .bind("hash")
        .bind("t")
        .bind("t")
        .execute(pool)
        .await;
        assert!(duplicate.is_err(), "email is unique");
    }

    async fn migrations_are_idempotent_on_reconnect(state: AppState) {
        let url = state.config().database_url.clone();
        let again = control_api::Db::connect(&url).await.expect("second connect migrates nothing");
        again.ping().await.expect("ping");
        again.close().await;
    }

    async fn ready_reflects_the_database(state: AppState) {
        let reply = send_to(&state, get("/ready")).await;
        assert_eq!(reply.status, StatusCode::OK);
        state.db().close().await;
        let reply = send_to(&state, get("/ready")).await;
        assert_error(&reply, StatusCode::SERVICE_UNAVAILABLE);
        let reply = send_to(&state, get("/health")).await;
        assert_eq!(reply.status, StatusCode::OK, "liveness does not depend on the database");
    }
}

#[test]
fn unknown_url_scheme_is_rejected() {
    use std::str::FromStr;
    assert!(control_api::Dialect::from_str("mysql://x").is_err());
    assert_eq!(
        control_api::Dialect::from_str("postgresql://x").expect("postgres"),
        control_api::Dialect::Postgres
    );
}
