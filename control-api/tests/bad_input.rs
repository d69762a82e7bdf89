//! Must-show 3 across the whole API, on both backends: every operation with a JSON body (read
//! from `/openapi.json`) answers malformed JSON, wrong types, missing required fields and an
//! oversized body with a 4xx in the error shape; every operation on an id answers an
//! SQL-injection-shaped id with 404; and none of it writes anything — row counts of every table
//! and the stored objects read back unchanged.

mod common;
mod resumes_pdfs;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::uploads::multipart;
use common::users::{request, user_token};
use common::{assert_error, send_to};
use control_api::{AppState, Dialect};
use serde_json::{Value, json};
use sqlx::Row;

/// Row counts of every table of the schema, by name.
async fn row_counts(state: &AppState) -> Vec<(String, i64)> {
    let tables = match state.db().dialect() {
        Dialect::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Dialect::Postgres => {
            "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        }
    };
    let names: Vec<String> = sqlx::query(tables)
        .fetch_all(state.db().pool())
        .await
        .expect("table names")
        .iter()
        .map(|row| row.try_get::<String, _>("t").expect("name"))
        .collect();
    let mut counts = Vec::new();
    for name in names {
        let n: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {name}"))
            .fetch_one(state.db().pool())
            .await
            .and_then(|row| row.try_get("n"))
            .expect("count");
        counts.push((name, n));
    }
    counts
}

/// The caller's stored objects as the API returns them.
async fn snapshot(state: &AppState, token: &str, ids: &Ids) -> Vec<Value> {
    let mut out = Vec::new();
    for uri in [
        "/api/v1/auth/me".to_owned(),
        "/api/v1/api-keys".to_owned(),
        format!("/api/v1/roles/{}", ids.role),
        format!("/api/v1/interviews/{}", ids.interview),
        format!("/api/v1/interviews/{}/state", ids.interview),
        format!("/api/v1/interviews/{}/report", ids.interview),
        format!("/api/v1/resumes/{}", ids.resume),
    ] {
        let reply = send_to(state, request("GET", &uri, Some(token), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.json);
        out.push(reply.json);
    }
    out
}

struct Ids {
    role: String,
    interview: String,
    resume: String,
    key: String,
    /// A live invite link's token for the interview.
    invite: String,
}

async fn seed(state: &AppState, token: &str) -> Ids {
    let role = send_to(
        state,
        request(
            "POST",
            "/api/v1/roles",
            Some(token),
            Some(&json!({
                "name": "Backend", "category": "Engineering", "experience_level": "Senior"
            })),
        ),
    )
    .await;
    assert_eq!(role.status, StatusCode::OK, "{}", role.json);
    let pdf = resumes_pdfs::resume_pdf();
    let resume = send_to(
        state,
        multipart(
            "/api/v1/resumes/upload",
            Some(token),
            "file",
            "cv.pdf",
            &pdf,
        ),
    )
    .await;
    assert_eq!(resume.status, StatusCode::CREATED, "{}", resume.json);
    let interview = send_to(
        state,
        request(
            "POST",
            "/api/v1/interviews",
            Some(token),
            Some(&json!({
                "title": "T", "role_id": role.json["id"], "resume_id": resume.json["id"]
            })),
        ),
    )
    .await;
    assert_eq!(interview.status, StatusCode::OK, "{}", interview.json);
    let invite = send_to(
        state,
        request(
            "POST",
            &format!(
                "/api/v1/interviews/{}/invites",
                interview.json["id"].as_str().expect("id")
            ),
            Some(token),
            Some(&json!({})),
        ),
    )
    .await;
    assert_eq!(invite.status, StatusCode::CREATED, "{}", invite.json);
    let key = send_to(
        state,
        request(
            "POST",
            "/api/v1/api-keys",
            Some(token),
            Some(&json!({"name": "k"})),
        ),
    )
    .await;
    assert_eq!(key.status, StatusCode::OK, "{}", key.json);
    let id = |v: &Value| v["id"].as_str().expect("id").to_owned();
    Ids {
        role: id(&role.json),
        interview: id(&interview.json),
        resume: id(&resume.json),
        key: id(&key.json),
        invite: invite.json["token"].as_str().expect("token").to_owned(),
    }
}

fn send_raw(method: &str, uri: &str, bearer: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(uri)
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("valid request")
}

/// A value of a type the property's schema does not allow.
fn wrong_type(schema: &Value) -> Value {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"string") {
        json!({"not": "a string"})
    } else {
        json!("not the documented type")
    }
}

/// Resolves a `$ref` to `#/components/schemas/..`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

backend_tests! {
    async fn every_json_operation_refuses_bad_bodies_and_writes_nothing(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let ids = seed(&state, &token).await;
        let doc = send_to(&state, Request::get("/openapi.json").body(Body::empty()).expect("request")).await.json;
        let counts = row_counts(&state).await;
        let before = snapshot(&state, &token, &ids).await;
        let oversized = json!({"title": "x".repeat(state.config().max_body_bytes + 1)}).to_string();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in ["post", "put", "patch"] {
                let Some(op) = item.get(method) else { continue };
                let Some(media) = op["requestBody"]["content"].get("application/json") else { continue };
                let schema = resolve(&doc, &media["schema"]);
                let uri = path
                    .replace("{id}", if path.contains("/roles/") { &ids.role } else { &ids.interview })
                    .replace("{key_id}", &ids.key)
                    .replace("{token}", &ids.invite);
                let uri = if path.contains("/resumes/") { path.replace("{id}", &ids.resume) } else { uri };
                let bearer = if path.contains("/internal/") { state.config().service_token.clone() } else { token.clone() };
                let method = method.to_uppercase();
                let mut cases: Vec<(String, Vec<u8>, StatusCode)> = vec![
                    ("malformed".into(), b"{\"title\": ".to_vec(), StatusCode::BAD_REQUEST),
                    ("oversized".into(), oversized.clone().into_bytes(), StatusCode::PAYLOAD_TOO_LARGE),
                ];
                let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                if !required.is_empty() {
                    cases.push(("missing fields".into(), b"{}".to_vec(), StatusCode::UNPROCESSABLE_ENTITY));
                }
                for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                    let body = json!({ name.as_str(): wrong_type(resolve(&doc, property)) });
                    cases.push((format!("wrong type of {name}"), body.to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY));
                }
                for (case, body, status) in cases {
                    let reply = send_to(&state, send_raw(&method, &uri, &bearer, body)).await;
                    assert!(reply.status == status || (status == StatusCode::UNPROCESSABLE_ENTITY && reply.status == StatusCode::BAD_REQUEST),
                        "{method} {path} {case}: {} {}", reply.status, reply.json);
                    assert_error(&reply, reply.status);
                    checked += 1;
                }
            }
        }
        assert!(checked >= 60, "cases checked: {checked}");
        assert_eq!(row_counts(&state).await, counts, "a refused request wrote rows");
        assert_eq!(snapshot(&state, &token, &ids).await, before, "a refused request changed an object");
    }

    async fn injection_shaped_ids_are_not_found_and_write_nothing(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let ids = seed(&state, &token).await;
        let doc = send_to(&state, Request::get("/openapi.json").body(Body::empty()).expect("request")).await.json;
        let counts = row_counts(&state).await;
        let before = snapshot(&state, &token, &ids).await;
        let mut checked = 0;
        for evil in ["x'%20OR%20'1'='1", "1;%20DELETE%20FROM%20interviews;%20--", "%25"] {
            for (path, item) in doc["paths"].as_object().expect("paths") {
                if !path.contains('{') {
                    continue;
                }
                for method in ["get", "post", "put", "delete"] {
                    let Some(op) = item.get(method) else { continue };
                    let uri = path.replace("{id}", evil).replace("{key_id}", evil);
                    let bearer = if path.contains("/internal/") { state.config().service_token.clone() } else { token.clone() };
                    // A valid body where one is needed, so the id is what gets refused.
                    let body = match op["requestBody"]["content"].get("application/json") {
                        Some(_) if path.ends_with("/transcript") => json!({"role": "candidate", "text": "hi"}),
                        Some(_) if path.ends_with("/events") => json!({"type": "nudge"}),
                        Some(_) if path.ends_with("/report") => json!({"report": {}}),
                        Some(_) if path.ends_with("/timeline") => json!({"session": "s", "points": []}),
                        Some(_) if path.ends_with("/end") => json!({"outcome": "completed"}),
                        Some(_) if path.ends_with("/delivery") => json!({"session": "s",
                            "audio_features": {"speech_rate": null, "pause_ratio": 0.0, "filler_word_ratio": null, "pitch_variance": null},
                            "speech_rate_source": "audio", "audio_speech_rate": null, "words": 0, "fillers": 0, "pitch_mean_hz": null,
                            "speech_dbfs": null, "noise_floor_dbfs": null, "snr_db": null, "clipping_ratio": 0.0, "speech_seconds": 0.0,
                            "total_seconds": 0.0, "agent_seconds": 0.0, "talk_ratio": null, "interruptions": 0, "nudges": 0}),
                        Some(_) if path.ends_with("/consent") => json!({"version": "2026-01-01"}),
                        Some(_) if path.ends_with("/submit-code") => json!({"code": "x", "language": "python"}),
                        Some(_) if path.ends_with("/overrides") => json!({"dimension": "Communication", "score": 3, "reason": "r"}),
                        Some(_) if path.contains("/roles/") => json!({"name": "R", "category": "C", "experience_level": "E"}),
                        Some(_) => json!({}),
                        None => Value::Null,
                    };
                    let bytes = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
                    let reply = send_to(&state, send_raw(&method.to_uppercase(), &uri, &bearer, bytes)).await;
                    assert_error(&reply, StatusCode::NOT_FOUND);
                    checked += 1;
                }
            }
        }
        assert!(checked >= 40, "cases checked: {checked}");
        assert_eq!(row_counts(&state).await, counts);
        assert_eq!(snapshot(&state, &token, &ids).await, before);
    }

    async fn webhook_bodies_that_are_not_text_get_the_error_shape(state: AppState) {
        let counts = row_counts(&state).await;
        for auth in [None, Some("not-a-signature")] {
            let mut builder = Request::post("/api/v1/livekit/webhook").header("content-type", "application/webhook+json");
            if let Some(auth) = auth {
                builder = builder.header("authorization", auth);
            }
            let reply = send_to(&state, builder.body(Body::from(vec![0xff, 0xfe, 0x00])).expect("request")).await;
            assert_error(&reply, if auth.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::UNAUTHORIZED });
        }
        assert_eq!(row_counts(&state).await, counts);
    }
}
