//! Interviews CRUD and the API-key integration create on both backends: round trip,
//! pagination and filters, ownership, bad input that writes nothing.

mod common;

use axum::http::StatusCode;
use common::users::{raw, request, user_token};
use common::{assert_error, send_to};
use control_api::AppState;
use serde_json::{Value, json};
use sqlx::Row;

async fn create(state: &AppState, token: &str, body: &Value) -> Value {
    let reply = send_to(
        state,
        request("POST", "/api/v1/interviews", Some(token), Some(body)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

async fn interview_count(state: &AppState) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM interviews")
        .fetch_one(state.db().pool())
        .await
        .and_then(|row| row.try_get::<i64, _>("n"))
        .expect("count")
}

fn seed_body() -> Value {
    json!({
        "title": "Software Engineer Interview",
        "candidate_name": "Jane Doe",
        "candidate_email": "jane.doe@example.com",
        "position": "Software Engineer",
        "interview_config": {"duration": 60, "difficulty": "medium"},
        "scheduled_at": "2023-08-15T10:00:00Z"
    })
}

backend_tests! {
    async fn concurrent_creates_that_check_a_role_all_succeed(state: AppState) {
        // Each create reads the role and then writes; on SQLite a deferred transaction doing
        // that fails at once ("database is locked") when another one wrote in between.
        let token = user_token(&state, "alice@example.com").await;
        let role = send_to(&state, request("POST", "/api/v1/roles", Some(&token), Some(&json!({
            "name": "Backend", "category": "Engineering", "experience_level": "Senior"
        })))).await.json;
        let mut body = seed_body();
        body["role_id"] = role["id"].clone();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..24 {
            let (state, token, body) = (state.clone(), token.clone(), body.clone());
            tasks.spawn(async move {
                send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&body))).await
            });
        }
        while let Some(reply) = tasks.join_next().await {
            let reply = reply.expect("task");
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        }
        assert_eq!(interview_count(&state).await, 24);
    }

    async fn interview_round_trip(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let role = send_to(&state, request("POST", "/api/v1/roles", Some(&token), Some(&json!({
            "name": "Backend", "category": "Engineering", "experience_level": "Senior"
        })))).await.json;
        let mut body = seed_body();
        body["role_id"] = role["id"].clone();
        let created = create(&state, &token, &body).await;
        assert_eq!(created["status"], "scheduled");
        assert_eq!(created["duration_minutes"], 60);
        assert_eq!(created["language"], "en");
        assert_eq!(created["interview_config"]["difficulty"], "medium");
        assert!(created["room_name"].as_str().is_some_and(|r| r.starts_with("interview-")));
        let uri = format!("/api/v1/interviews/{}", created["id"].as_str().expect("id"));
        let reply = send_to(&state, request("GET", &uri, Some(&token), None)).await;
        assert_eq!(reply.json, created);

        let change = json!({"title": "Updated Interview Title", "technical_score": 85, "behavioral_score": 90, "overall_feedback": "Excellent candidate."});
        let reply = send_to(&state, request("PUT", &uri, Some(&token), Some(&change))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["title"], "Updated Interview Title");
        assert_eq!(reply.json["technical_score"], 85);
        assert_eq!(reply.json["candidate_name"], "Jane Doe");

        let reply = send_to(&state, request("GET", &format!("{uri}/state"), Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["turn_count"], 0);
        assert_eq!(reply.json["phase"], "not_started");
        let reply = send_to(&state, request("POST", &format!("{uri}/complete"), Some(&token), None)).await;
        assert_eq!(reply.json["status"], "completed");
        assert!(reply.json["completed_at"].is_string());
        let reply = send_to(&state, request("GET", &format!("{uri}/report"), Some(&token), None)).await;
        assert_eq!(reply.json["technical_score"], 85);
        assert!(reply.json["report"].is_null());
        // A completed interview gives no more room tokens.
        let reply = send_to(&state, request("POST", &format!("{uri}/token"), Some(&token), None)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST);

        let reply = send_to(&state, request("DELETE", &uri, Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK);
        let reply = send_to(&state, request("GET", &uri, Some(&token), None)).await;
        assert_error(&reply, StatusCode::NOT_FOUND);
    }

    async fn list_pages_and_filters(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let mut ids = Vec::new();
        for n in 0..5 {
            let mut body = seed_body();
            body["title"] = json!(format!("I{n}"));
            ids.push(create(&state, &token, &body).await["id"].as_str().expect("id").to_owned());
        }
        send_to(&state, request("POST", &format!("/api/v1/interviews/{}/complete", ids[0]), Some(&token), None)).await;
        let titles = |v: &Value| -> Vec<String> {
            let mut t: Vec<String> = v.as_array().expect("array").iter().map(|i| i["title"].as_str().expect("t").to_owned()).collect();
            t.sort();
            t
        };
        let all = send_to(&state, request("GET", "/api/v1/interviews", Some(&token), None)).await.json;
        assert_eq!(titles(&all), ["I0", "I1", "I2", "I3", "I4"]);
        let page1 = send_to(&state, request("GET", "/api/v1/interviews?skip=0&limit=2", Some(&token), None)).await.json;
        let page2 = send_to(&state, request("GET", "/api/v1/interviews?skip=2&limit=2", Some(&token), None)).await.json;
        let page3 = send_to(&state, request("GET", "/api/v1/interviews?skip=4&limit=2", Some(&token), None)).await.json;
        let mut paged: Vec<String> = [page1, page2, page3].iter().flat_map(titles).collect();
        paged.sort();
        assert_eq!(paged, ["I0", "I1", "I2", "I3", "I4"]);
        let done = send_to(&state, request("GET", "/api/v1/interviews?status=completed", Some(&token), None)).await.json;
        assert_eq!(titles(&done), ["I0"]);
        let none = send_to(&state, request("GET", "/api/v1/interviews?status=%27%20OR%201%3D1%20--", Some(&token), None)).await.json;
        assert_eq!(none, json!([]));
        for bad in ["?limit=0", "?limit=101", "?skip=-1", "?limit=ten"] {
            let reply = send_to(&state, request("GET", &format!("/api/v1/interviews{bad}"), Some(&token), None)).await;
            assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }

    async fn another_users_interview_is_not_found(state: AppState) {
        let alice = user_token(&state, "alice@example.com").await;
        let bob = user_token(&state, "bob@example.com").await;
        let created = create(&state, &alice, &seed_body()).await;
        let uri = format!("/api/v1/interviews/{}", created["id"].as_str().expect("id"));
        let change = json!({"title": "Mine now"});
        for (method, path, body) in [
            ("GET", "", None), ("PUT", "", Some(&change)), ("DELETE", "", None),
            ("POST", "/start", None), ("POST", "/token", None), ("GET", "/state", None),
            ("POST", "/complete", None), ("GET", "/report", None),
        ] {
            let reply = send_to(&state, request(method, &format!("{uri}{path}"), Some(&bob), body)).await;
            assert_error(&reply, StatusCode::NOT_FOUND);
        }
        // Bob cannot attach Alice's role either.
        let role = send_to(&state, request("POST", "/api/v1/roles", Some(&alice), Some(&json!({
            "name": "R", "category": "C", "experience_level": "E"
        })))).await.json;
        let mut body = seed_body();
        body["role_id"] = role["id"].clone();
        let reply = send_to(&state, request("POST", "/api/v1/interviews", Some(&bob), Some(&body))).await;
        assert_error(&reply, StatusCode::NOT_FOUND);
        let reply = send_to(&state, request("GET", &uri, Some(&alice), None)).await;
        assert_eq!(reply.json, created);
        assert_eq!(interview_count(&state).await, 1);
    }

    async fn bad_interview_bodies_write_nothing(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let with = |key: &str, value: Value| {
            let mut body = seed_body();
            body[key] = value;
            body.to_string()
        };
        let cases: Vec<(String, StatusCode)> = vec![
            ("{\"title\": ".to_owned(), StatusCode::BAD_REQUEST),
            ("[]".to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"candidate_name": "x", "title": "   "}).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
            (with("title", json!(1)), StatusCode::UNPROCESSABLE_ENTITY),
            (with("title", json!("x".repeat(201))), StatusCode::UNPROCESSABLE_ENTITY),
            (with("job_description", json!("x".repeat(20001))), StatusCode::UNPROCESSABLE_ENTITY),
            (with("candidate_email", json!("not-an-email")), StatusCode::UNPROCESSABLE_ENTITY),
            (with("language", json!("en'; --")), StatusCode::UNPROCESSABLE_ENTITY),
            (with("duration_minutes", json!(1000)), StatusCode::UNPROCESSABLE_ENTITY),
            (with("interview_config", json!({"duration": "long"})), StatusCode::UNPROCESSABLE_ENTITY),
            (with("interview_config", json!([1])), StatusCode::UNPROCESSABLE_ENTITY),
            (with("role_id", json!("no-such-role")), StatusCode::NOT_FOUND),
            (with("surprise", json!(true)), StatusCode::UNPROCESSABLE_ENTITY),
        ];
        for (body, status) in &cases {
            let reply = send_to(&state, raw("POST", "/api/v1/interviews", Some(&token), Some(body.clone()))).await;
            assert_error(&reply, *status);
        }
        assert_eq!(interview_count(&state).await, 0);
        let created = create(&state, &token, &seed_body()).await;
        let uri = format!("/api/v1/interviews/{}", created["id"].as_str().expect("id"));
        for body in [json!({"title": ""}), json!({"technical_score": 101}), json!({"technical_score": -1}), json!({"status": "hacked"})] {
            let reply = send_to(&state, request("PUT", &uri, Some(&token), Some(&body))).await;
            assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let reply = send_to(&state, request("GET", &uri, Some(&token), None)).await;
        assert_eq!(reply.json, created);
        let title = "x'); DELETE FROM interviews; --";
        let mut body = seed_body();
        body["title"] = json!(title);
        assert_eq!(create(&state, &token, &body).await["title"], title);
        assert_eq!(interview_count(&state).await, 2);
    }

    async fn integration_endpoints_take_an_api_key(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let key = send_to(&state, request("POST", "/api/v1/api-keys", Some(&token), Some(&json!({"name": "ats"})))).await.json;
        let secret = key["secret"].as_str().expect("secret").to_owned();
        let reply = send_to(&state, request("POST", "/api/v1/interviews/api/create", Some(&secret), Some(&seed_body()))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let id = reply.json["id"].as_str().expect("id").to_owned();
        let reply = send_to(&state, request("POST", &format!("/api/v1/interviews/api/{id}/token"), Some(&secret), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["participant_name"], "Jane Doe");
        assert!(reply.json["token"].as_str().is_some_and(|t| t.split('.').count() == 3));
        // The owner sees it with a session too.
        let reply = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}"), Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK);
        // Another user's key sees nothing; a deactivated key is refused.
        let bob = user_token(&state, "bob@example.com").await;
        let bob_key = send_to(&state, request("POST", "/api/v1/api-keys", Some(&bob), Some(&json!({"name": "b"})))).await.json;
        let reply = send_to(&state, request("POST", &format!("/api/v1/interviews/api/{id}/token"), bob_key["secret"].as_str(), None)).await;
        assert_error(&reply, StatusCode::NOT_FOUND);
        let key_id = key["id"].as_str().expect("id");
        send_to(&state, request("DELETE", &format!("/api/v1/api-keys/{key_id}"), Some(&token), None)).await;
        let reply = send_to(&state, request("POST", "/api/v1/interviews/api/create", Some(&secret), Some(&seed_body()))).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        let reply = send_to(&state, request("POST", &format!("/api/v1/interviews/api/{id}/token"), Some(&secret), None)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        assert_eq!(interview_count(&state).await, 1);
    }
}
