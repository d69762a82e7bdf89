//! `GET /users/statistics` on both backends: counts only the caller's objects.

mod common;

use axum::http::StatusCode;
use common::users::{request, user_token};
use common::{assert_error, send_to};
use sqlx::Row;

backend_tests! {
    async fn statistics_count_only_own_objects(state: AppState) {
        let alice = user_token(&state, "alice@example.com").await;
        let bob = user_token(&state, "bob@example.com").await;
        let row = sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind("alice@example.com")
            .fetch_one(state.db().pool())
            .await
            .expect("alice");
        let alice_id: String = row.try_get("id").expect("id");
        for n in 0..2 {
            sqlx::query(
                "INSERT INTO resumes (id, user_id, filename, content_type, size_bytes, sha256, content, parsed, created_at, updated_at) \
                 VALUES ($1, $2, 'cv.pdf', 'application/pdf', 1, 'x', $3, '{}', 'now', 'now')",
            )
            .bind(format!("r{n}"))
            .bind(&alice_id)
            .bind(vec![b'%'])
            .execute(state.db().pool())
            .await
            .expect("insert resume");
        }
        let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(&alice), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["total_resumes"], 2);
        assert_eq!(reply.json["user_id"], alice_id.as_str());
        let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some(&bob), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["total_resumes"], 0);
    }

    async fn statistics_need_credentials(state: AppState) {
        let reply = send_to(&state, request("GET", "/api/v1/users/statistics", None, None)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        let reply = send_to(&state, request("GET", "/api/v1/users/statistics", Some("' OR 1=1 --"), None)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
    }
}
