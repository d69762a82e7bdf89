//! A property test across the whole API: arbitrary strings (proptest, with a bias towards NUL,
//! other control characters, separators and very long text) go into every string field of
//! every JSON body, every path id and every string query filter that `/openapi.json`
//! documents, and the same requests go to a SQLite and a PostgreSQL app side by side. No
//! answer may be a server error, and both backends must answer every request with the same
//! status. The case count per backend is printed.

mod common;
mod resumes_pdfs;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::backend::{Backend, TestDb};
use common::send_to;
use common::uploads::multipart;
use common::users::{request, user_token};
use control_api::AppState;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{Value, json};

/// Strings per run; every string goes into every target.
const STRINGS: usize = 40;

/// One backend's app and the ids of its seeded objects.
struct Side {
    state: AppState,
    token: String,
    ids: BTreeMap<&'static str, String>,
}

async fn side(db: &TestDb) -> Side {
    let mut config = db.state().await.config().clone();
    config.rate_limit_user_per_minute = 0;
    config.rate_limit_key_per_minute = 0;
    config.rate_limit_anonymous_per_minute = 0;
    config.registrations_per_minute = 0;
    config.login_attempts_per_minute = 1_000_000;
    let state = AppState::connect(config).await.expect("connect");
    let token = user_token(&state, "owner@example.com").await;
    let post = |uri: &'static str, body: Value| {
        let (state, token) = (state.clone(), token.clone());
        async move {
            let reply = send_to(&state, request("POST", uri, Some(&token), Some(&body))).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.json);
            reply.json["id"].as_str().expect("id").to_owned()
        }
    };
    let role = post(
        "/api/v1/roles",
        json!({"name": "R", "category": "C", "experience_level": "E"}),
    )
    .await;
    let interview = post("/api/v1/interviews", json!({"title": "T", "role_id": role})).await;
    let key = post("/api/v1/api-keys", json!({"name": "k"})).await;
    let pdf = resumes_pdfs::resume_pdf();
    let resume = send_to(
        &state,
        multipart(
            "/api/v1/resumes/upload",
            Some(&token),
            "file",
            "cv.pdf",
            &pdf,
        ),
    )
    .await;
    assert_eq!(resume.status, StatusCode::CREATED, "{}", resume.json);
    let resume = resume.json["id"].as_str().expect("id").to_owned();
    let ids = BTreeMap::from([
        ("role", role),
        ("interview", interview),
        ("key", key),
        ("resume", resume),
    ]);
    Side { state, token, ids }
}

/// Where a generated string goes.
#[derive(Debug, Clone)]
enum Slot {
    /// A top-level property of the JSON body.
    Field(String),
    /// A key and a value inside a free-form object property.
    Inside(String),
    /// Every path parameter.
    Path,
    /// A query parameter.
    Query(String),
}

#[derive(Debug, Clone)]
struct Target {
    method: Method,
    path: String,
    slot: Slot,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

fn has_type(schema: &Value, wanted: &str) -> bool {
    match &schema["type"] {
        Value::String(t) => t == wanted,
        Value::Array(ts) => ts.iter().any(|t| t == wanted),
        _ => false,
    }
}

/// Every place a string can go, from the OpenAPI document.
fn targets(doc: &Value) -> Vec<Target> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        // Logout would revoke the token every other request uses (tested in tests/sessions.rs);
        // webhooks carry LiveKit's signed body, not JSON of ours.
        if path.ends_with("/auth/logout") || path.ends_with("/livekit/webhook") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let target = |slot| Target {
                method: method.clone(),
                path: path.clone(),
                slot,
            };
            if path.contains('{') {
                out.push(target(Slot::Path));
            }
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["in"] == "query" && has_type(resolve(doc, &param["schema"]), "string") {
                    out.push(target(Slot::Query(
                        param["name"].as_str().expect("name").to_owned(),
                    )));
                }
            }
            if let Some(media) = op["requestBody"]["content"].get("application/json") {
                let schema = resolve(doc, &media["schema"]);
                for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                    let property = resolve(doc, property);
                    if has_type(property, "string") {
                        out.push(target(Slot::Field(name.clone())));
                    } else if has_type(property, "object") && property.get("properties").is_none() {
                        out.push(target(Slot::Inside(name.clone())));
                    }
                }
            }
        }
    }
    out
}

/// A body the operation accepts, so the generated string is what gets judged.
fn base_body(path: &str, case: usize, field: &str) -> Value {
    if path.ends_with("/auth/register") {
        json!({"email": format!("p{case}-{field}@example.com"), "password": "securepassword"})
    } else if path.ends_with("/auth/login") || path.ends_with("/auth/token") {
        json!({"username": "owner@example.com", "password": "securepassword"})
    } else if path.ends_with("/transcript") {
        json!({"role": "candidate", "text": "hi"})
    } else if path.ends_with("/events") {
        json!({"type": "nudge"})
    } else if path.ends_with("/internal/interviews/{id}/report") {
        json!({"report": {}})
    } else if path.ends_with("/submit-code") {
        json!({"code": "x", "language": "python"})
    } else if path.contains("/roles") {
        json!({"name": "R", "category": "C", "experience_level": "E"})
    } else {
        json!({})
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn build(side: &Side, target: &Target, case: usize, s: &str) -> Request<Body> {
    let internal = target.path.contains("/internal/");
    let id_for = |path: &str| {
        let kind = if path.contains("/roles/") {
            "role"
        } else if path.contains("/resumes/") {
            "resume"
        } else if path.contains("/api-keys/") {
            "key"
        } else {
            "interview"
        };
        side.ids[kind].clone()
    };
    let mut uri = match target.slot {
        Slot::Path => target
            .path
            .replace("{id}", &encode(s))
            .replace("{key_id}", &encode(s)),
        _ => target
            .path
            .replace("{id}", &id_for(&target.path))
            .replace("{key_id}", &side.ids["key"]),
    };
    if let Slot::Query(name) = &target.slot {
        uri = format!("{uri}?{name}={}", encode(s));
    }
    let body = match (
        &target.slot,
        target.method == Method::POST || target.method == Method::PUT,
    ) {
        (Slot::Field(name), _) => {
            let mut body = base_body(&target.path, case, name);
            body[name.as_str()] = json!(s);
            Some(body)
        }
        (Slot::Inside(name), _) => {
            let mut body = base_body(&target.path, case, name);
            body[name.as_str()] = json!({"note": s, s: 1});
            Some(body)
        }
        (_, true) => Some(base_body(&target.path, case, "none")),
        _ => None,
    };
    let bearer = if internal {
        side.state.config().service_token.clone()
    } else {
        side.token.clone()
    };
    request(target.method.as_str(), &uri, Some(&bearer), body.as_ref())
}

/// Arbitrary text with a bias towards what breaks storage and parsing.
fn strings() -> Vec<String> {
    let strategy = prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}]{1,3}[a-z@%/.' ]{0,12}",
        "[a-z]{0,8}\\x00[a-z]{0,8}",
        "\\PC{0,64}",
        "[a-zA-Z0-9@._+-]{1,40}",
        "\\PC{3000,12000}",
    ];
    let mut runner = TestRunner::new_with_rng(
        RunnerConfig::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let mut out: Vec<String> = [
        "",
        " ",
        "\u{0}",
        "%",
        "../../etc/passwd",
        "' OR '1'='1",
        "\u{feff}\u{202e}",
        "\\u0000",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    while out.len() < STRINGS {
        out.push(strategy.new_tree(&mut runner).expect("a value").current());
    }
    out
}

#[tokio::test]
async fn arbitrary_text_never_gives_a_server_error_and_both_backends_agree() {
    let sqlite_db = TestDb::create(Backend::Sqlite).await;
    let postgres_db = TestDb::create(Backend::Postgres).await;
    let sides = [side(&sqlite_db).await, side(&postgres_db).await];
    let doc = send_to(
        &sides[0].state,
        Request::get("/openapi.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await
    .json;
    let targets = targets(&doc);
    assert!(targets.len() >= 80, "targets found: {}", targets.len());
    let mut cases = 0;
    let mut refused_control = 0;
    for (case, s) in strings().iter().enumerate() {
        for target in &targets {
            let [sqlite, postgres] = [&sides[0], &sides[1]];
            let a = send_to(&sqlite.state, build(sqlite, target, case, s)).await;
            let b = send_to(&postgres.state, build(postgres, target, case, s)).await;
            let shown: String = s.chars().take(40).collect();
            assert!(
                a.status.as_u16() < 500 && b.status.as_u16() < 500,
                "{} {} {:?} with {shown:?}: sqlite {} {}, postgres {} {}",
                target.method,
                target.path,
                target.slot,
                a.status,
                a.json,
                b.status,
                b.json
            );
            assert_eq!(
                a.status, b.status,
                "{} {} {:?} with {shown:?}: sqlite {}, postgres {}",
                target.method, target.path, target.slot, a.json, b.json
            );
            if s.chars().any(control_api::text::is_forbidden) {
                assert!(
                    a.status.is_client_error(),
                    "{} {} {:?} with {shown:?} stored a control character: {}",
                    target.method,
                    target.path,
                    target.slot,
                    a.json
                );
                refused_control += 1;
            }
            cases += 1;
        }
    }
    println!(
        "text property test: {} targets x {} strings = {cases} cases per backend (SQLite and PostgreSQL), 0 server errors, {refused_control} with control characters all refused",
        targets.len(),
        STRINGS
    );
    for side in &sides {
        side.state.db().close().await;
    }
    sqlite_db.cleanup().await;
    postgres_db.cleanup().await;
}
