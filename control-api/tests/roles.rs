//! Roles CRUD on both backends: round trip, filters, ownership, bad input that writes nothing.

mod common;

use axum::http::StatusCode;
use common::users::{raw, request, user_token};
use common::{assert_error, send_to};
use control_api::AppState;
use serde_json::{Value, json};
use sqlx::Row;

fn role(name: &str, category: &str, specialization: &str, level: &str) -> Value {
    json!({
        "name": name,
        "category": category,
        "specialization": specialization,
        "experience_level": level,
        "required_skills": [{"name": "Rust", "level": "Expert"}, {"name": "SQL", "level": "Intermediate"}],
        "interview_structure": {"technical": 5, "behavioral": 3, "coding": 1},
        "rubric": [{"name": "Problem solving", "weight": 0.5}, {"name": "Communication", "weight": 0.5}]
    })
}

async fn create(state: &AppState, token: &str, body: &Value) -> Value {
    let reply = send_to(
        state,
        request("POST", "/api/v1/roles", Some(token), Some(body)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

async fn role_count(state: &AppState) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM roles")
        .fetch_one(state.db().pool())
        .await
        .and_then(|row| row.try_get::<i64, _>("n"))
        .expect("count")
}

fn names(list: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    names
}

backend_tests! {
    async fn role_round_trip(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let created = create(&state, &token, &role("Software Engineer", "Engineering", "Backend", "Senior")).await;
        let id = created["id"].as_str().expect("id").to_owned();
        assert_eq!(created["required_skills"][0], json!({"name": "Rust", "level": "Expert"}));
        assert_eq!(created["interview_structure"], json!({"technical": 5, "behavioral": 3, "coding": 1}));
        assert_eq!(created["rubric"][1]["weight"], 0.5);

        let reply = send_to(&state, request("GET", &format!("/api/v1/roles/{id}"), Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json, created);

        let mut changed = role("Staff Engineer", "Engineering", "Platform", "Staff");
        changed["interview_structure"] = json!({"technical": 2});
        let reply = send_to(&state, request("PUT", &format!("/api/v1/roles/{id}"), Some(&token), Some(&changed))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["name"], "Staff Engineer");
        assert_eq!(reply.json["interview_structure"], json!({"technical": 2, "behavioral": 0, "coding": 0}));
        assert_eq!(reply.json["created_at"], created["created_at"]);

        let reply = send_to(&state, request("DELETE", &format!("/api/v1/roles/{id}"), Some(&token), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let reply = send_to(&state, request("GET", &format!("/api/v1/roles/{id}"), Some(&token), None)).await;
        assert_error(&reply, StatusCode::NOT_FOUND);
        assert_eq!(role_count(&state).await, 0);
    }

    async fn list_filters(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        create(&state, &token, &role("A", "Engineering", "Backend", "Senior")).await;
        create(&state, &token, &role("B", "Engineering", "Frontend", "Junior")).await;
        create(&state, &token, &role("C", "Data", "Backend", "Senior")).await;
        let cases = [
            ("", vec!["A", "B", "C"]),
            ("?category=Engineering", vec!["A", "B"]),
            ("?specialization=Backend", vec!["A", "C"]),
            ("?experience_level=Senior&category=Data", vec!["C"]),
            ("?category=Engineering&specialization=Frontend&experience_level=Junior", vec!["B"]),
            ("?category=engineering", vec![]),
            ("?category=%27%20OR%20%271%27%3D%271", vec![]),
        ];
        for (query, expected) in cases {
            let reply = send_to(&state, request("GET", &format!("/api/v1/roles{query}"), Some(&token), None)).await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.json);
            assert_eq!(names(&reply.json), expected, "{query}");
        }
        let reply = send_to(&state, request("GET", "/api/v1/roles?category=Engineering&category=Data", Some(&token), None)).await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn another_users_role_is_not_found(state: AppState) {
        let alice = user_token(&state, "alice@example.com").await;
        let bob = user_token(&state, "bob@example.com").await;
        let created = create(&state, &alice, &role("A", "Engineering", "Backend", "Senior")).await;
        let uri = format!("/api/v1/roles/{}", created["id"].as_str().expect("id"));
        let body = role("Stolen", "X", "Y", "Z");
        for (method, body) in [("GET", None), ("PUT", Some(&body)), ("DELETE", None)] {
            let reply = send_to(&state, request(method, &uri, Some(&bob), body)).await;
            assert_error(&reply, StatusCode::NOT_FOUND);
        }
        let reply = send_to(&state, request("GET", "/api/v1/roles", Some(&bob), None)).await;
        assert_eq!(reply.json, json!([]));
        let reply = send_to(&state, request("GET", &uri, Some(&alice), None)).await;
        assert_eq!(reply.json, created);
        for id in ["nope", "'%20OR%201=1%20--"] {
            let reply = send_to(&state, request("DELETE", &format!("/api/v1/roles/{id}"), Some(&alice), None)).await;
            assert_error(&reply, StatusCode::NOT_FOUND);
        }
        assert_eq!(role_count(&state).await, 1);
        let reply = send_to(&state, request("GET", "/api/v1/roles", None, None)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
    }

    async fn bad_role_bodies_write_nothing(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let good = role("A", "Engineering", "Backend", "Senior");
        let with = |key: &str, value: Value| {
            let mut body = good.clone();
            body[key] = value;
            body.to_string()
        };
        let without = |key: &str| {
            let mut body = good.clone();
            body.as_object_mut().expect("object").remove(key);
            body.to_string()
        };
        let long = "x".repeat(201);
        let skills: Vec<Value> = (0..51).map(|n| json!({"name": format!("s{n}"), "level": "x"})).collect();
        let cases: Vec<(String, StatusCode)> = vec![
            ("{\"name\": \"A\",".to_owned(), StatusCode::BAD_REQUEST),
            ("[1, 2]".to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
            (without("name"), StatusCode::UNPROCESSABLE_ENTITY),
            (without("category"), StatusCode::UNPROCESSABLE_ENTITY),
            (with("name", json!(7)), StatusCode::UNPROCESSABLE_ENTITY),
            (with("name", json!(long)), StatusCode::UNPROCESSABLE_ENTITY),
            (with("name", json!("  ")), StatusCode::UNPROCESSABLE_ENTITY),
            (with("required_skills", json!(skills)), StatusCode::UNPROCESSABLE_ENTITY),
            (with("required_skills", json!([{"name": "Rust"}])), StatusCode::UNPROCESSABLE_ENTITY),
            (with("interview_structure", json!({"technical": -1})), StatusCode::UNPROCESSABLE_ENTITY),
            (with("interview_structure", json!({"technical": 51})), StatusCode::UNPROCESSABLE_ENTITY),
            (with("interview_structure", json!({"oral": 1})), StatusCode::UNPROCESSABLE_ENTITY),
            (with("rubric", json!([{"name": "x", "weight": 0}])), StatusCode::UNPROCESSABLE_ENTITY),
            (with("rubric", json!([{"name": "x", "weight": "heavy"}])), StatusCode::UNPROCESSABLE_ENTITY),
            (with("unknown", json!(1)), StatusCode::UNPROCESSABLE_ENTITY),
        ];
        for (body, status) in &cases {
            let reply = send_to(&state, raw("POST", "/api/v1/roles", Some(&token), Some(body.clone()))).await;
            assert_error(&reply, *status);
        }
        assert_eq!(role_count(&state).await, 0);
        // A failed update leaves the stored role as it was.
        let created = create(&state, &token, &good).await;
        let uri = format!("/api/v1/roles/{}", created["id"].as_str().expect("id"));
        for (body, status) in &cases {
            let reply = send_to(&state, raw("PUT", &uri, Some(&token), Some(body.clone()))).await;
            assert_error(&reply, *status);
        }
        let reply = send_to(&state, request("GET", &uri, Some(&token), None)).await;
        assert_eq!(reply.json, created);
        // Injection-shaped text is stored verbatim.
        let name = "Robert'); DROP TABLE roles; --";
        let created = create(&state, &token, &role(name, "Engineering", "Backend", "Senior")).await;
        assert_eq!(created["name"], name);
        assert_eq!(role_count(&state).await, 2);
    }
}
