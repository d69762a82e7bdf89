//! Hostile and careless clients, on both backends: unambiguous identities (no e-mail squatting),
//! weak passwords and malformed e-mails refused, control characters refused alike by SQLite and
//! PostgreSQL, refresh-token families revoked on reuse, bounded password hashing, append-only
//! transcripts with byte caps and flat append latency, resume quotas, `nosniff`, rate-limit
//! headers on routes without credentials, and `/metrics` behind its token.

mod common;
mod resumes_pdfs;

use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::uploads::multipart;
use common::users::{request, user_token};
use common::{assert_error, send_to};
use control_api::AppState;
use serde_json::{Value, json};

async fn register(state: &AppState, body: Value) -> common::Reply {
    send_to(
        state,
        request("POST", "/api/v1/auth/register", None, Some(&body)),
    )
    .await
}

async fn login(state: &AppState, login: &str, password: &str) -> common::Reply {
    let body = json!({"username": login, "password": password});
    send_to(
        state,
        request("POST", "/api/v1/auth/login", None, Some(&body)),
    )
    .await
}

/// `state` with one configuration change.
fn with_config(state: &AppState, change: impl FnOnce(&mut control_api::Config)) -> AppState {
    let mut config = state.config().clone();
    change(&mut config);
    AppState::new(config, state.db().clone())
}

backend_tests! {
    async fn an_email_shaped_username_cannot_squat_an_account(state: AppState) {
        // The squatting sequence: the attacker tries to take the victim's address as a username.
        let squat = register(&state, json!({"email": "attacker@evil.test", "username": "victim@corp.example",
            "password": "attacker-password"})).await;
        assert_error(&squat, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(squat.json["detail"].as_str().is_some_and(|d| d.contains("no '@'")), "{}", squat.json);
        let attacker = register(&state, json!({"email": "attacker@evil.test", "username": "Victim",
            "password": "hunter-orange-42"})).await;
        assert_eq!(attacker.status, StatusCode::OK, "{}", attacker.json);
        assert_eq!(attacker.json["username"], "victim", "usernames are stored lowercased");
        let victim = register(&state, json!({"email": "Victim@Corp.example", "password": "blue-sky-morning-7"})).await;
        assert_eq!(victim.status, StatusCode::OK, "{}", victim.json);
        assert_eq!(victim.json["email"], "victim@corp.example");

        let mine = login(&state, "VICTIM@corp.example", "blue-sky-morning-7").await;
        assert_eq!(mine.status, StatusCode::OK, "the victim logs in by e-mail: {}", mine.json);
        let me = send_to(&state, request("GET", "/api/v1/auth/me", mine.json["access_token"].as_str(), None)).await;
        assert_eq!(me.json["id"], victim.json["id"]);
        // The attacker's password with the victim's address never reaches the attacker's row.
        assert_error(&login(&state, "victim@corp.example", "hunter-orange-42").await, StatusCode::UNAUTHORIZED);
        let theirs = login(&state, "VICTIM", "hunter-orange-42").await;
        assert_eq!(theirs.status, StatusCode::OK, "usernames match case-insensitively: {}", theirs.json);
        let them = send_to(&state, request("GET", "/api/v1/auth/me", theirs.json["access_token"].as_str(), None)).await;
        assert_eq!(them.json["id"], attacker.json["id"]);
        // One namespace per kind: a taken username or address is refused however it is cased.
        let again = register(&state, json!({"email": "other@evil.test", "username": "VICTIM", "password": "green-tea-kettle"})).await;
        assert_error(&again, StatusCode::BAD_REQUEST);
    }

    async fn weak_passwords_and_malformed_emails_are_refused(state: AppState) {
        for (email, password, why) in [
            ("a@example.com", "password123", "most common"),
            ("a@example.com", "12345678", "straight run"),
            ("a@example.com", "aaaaaaaa", "different characters"),
            ("carol@example.com", "carol-rocks-99", "e-mail name"),
            ("not-an-email", "securepassword", "e-mail"),
            ("a@b", "securepassword", "e-mail"),
            ("a b@example.com", "securepassword", "e-mail"),
            ("a@example..com", "securepassword", "e-mail"),
            ("a@-example.com", "securepassword", "e-mail"),
            ("@example.com", "securepassword", "e-mail"),
            ("a@example.c0m", "securepassword", "e-mail"),
        ] {
            let reply = register(&state, json!({"email": email, "password": password})).await;
            assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(reply.json["detail"].as_str().is_some_and(|d| d.contains(why)), "{email} {password}: {}", reply.json);
        }
        let ok = register(&state, json!({"email": "first.last+tag@sub.example.co.uk", "password": "securepassword"})).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.json);
    }

    async fn control_characters_get_the_same_422_on_both_backends(state: AppState) {
        let token = user_token(&state, "alice@example.com").await;
        let interview = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": "T"})))).await;
        let id = interview.json["id"].as_str().expect("id").to_owned();
        for (method, uri, bearer, body) in [
            ("POST", "/api/v1/auth/register".to_owned(), None, Some(json!({"email": "nul\u{0}@example.com", "password": "securepassword"}))),
            ("POST", "/api/v1/auth/register".to_owned(), None, Some(json!({"email": "b@example.com", "password": "secure\u{0}password"}))),
            ("POST", "/api/v1/auth/login".to_owned(), None, Some(json!({"username": "alice@example.com\u{0}", "password": "securepassword"}))),
            ("POST", "/api/v1/api-keys".to_owned(), Some(token.as_str()), Some(json!({"name": "key\u{0}"}))),
            ("POST", "/api/v1/interviews".to_owned(), Some(&token), Some(json!({"title": "bell\u{7}"}))),
            ("PUT", format!("/api/v1/interviews/{id}"), Some(&token), Some(json!({"job_description": "esc\u{1b}[31m"}))),
            ("POST", "/api/v1/roles".to_owned(), Some(&token), Some(json!({"name": "R", "category": "C\u{0}", "experience_level": "E"}))),
            ("GET", "/api/v1/interviews/abc%00def".to_owned(), Some(&token), None),
            ("GET", "/api/v1/interviews?status=%00".to_owned(), Some(&token), None),
            ("GET", "/api/v1/roles?category=a%01b".to_owned(), Some(&token), None),
            ("DELETE", "/api/v1/resumes/%7F".to_owned(), Some(&token), None),
        ] {
            let reply = send_to(&state, request(method, &uri, bearer, body.as_ref())).await;
            assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(reply.json["detail"].as_str().is_some_and(|d| d.contains("control characters")), "{uri}: {}", reply.json);
        }
        // A login form is checked the same way.
        let form = Request::post("/api/v1/auth/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("username=a%00b&password=securepassword"))
            .expect("request");
        assert_error(&send_to(&state, form).await, StatusCode::UNPROCESSABLE_ENTITY);
        // Line breaks and tabs stay allowed in multi-line text.
        let ok = send_to(&state, request("PUT", &format!("/api/v1/interviews/{id}"), Some(&token),
            Some(&json!({"job_description": "Line one\r\n\tLine two"})))).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.json);
    }

    async fn a_replayed_refresh_token_revokes_its_family(state: AppState) {
        user_token(&state, "r@example.com").await;
        let first = login(&state, "r@example.com", "securepassword").await;
        let other = login(&state, "r@example.com", "securepassword").await;
        let refresh = |token: &Value| json!({"refresh_token": token});
        let r1 = first.json["refresh_token"].clone();
        let rotated = send_to(&state, request("POST", "/api/v1/auth/refresh-token", None, Some(&refresh(&r1)))).await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.json);
        let r2 = rotated.json["refresh_token"].clone();
        // The old token again: refused, and the newest token of its family dies with it.
        let replay = send_to(&state, request("POST", "/api/v1/auth/refresh-token", None, Some(&refresh(&r1)))).await;
        assert_error(&replay, StatusCode::UNAUTHORIZED);
        let after = send_to(&state, request("POST", "/api/v1/auth/refresh-token", None, Some(&refresh(&r2)))).await;
        assert_error(&after, StatusCode::UNAUTHORIZED);
        // Another login's family is untouched.
        let unrelated = send_to(&state, request("POST", "/api/v1/auth/refresh-token", None,
            Some(&refresh(&other.json["refresh_token"])))).await;
        assert_eq!(unrelated.status, StatusCode::OK, "{}", unrelated.json);
    }

    async fn transcripts_are_rows_with_byte_caps_and_flat_appends(state: AppState) {
        let token = user_token(&state, "t@example.com").await;
        let interview = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": "T"})))).await;
        let id = interview.json["id"].as_str().expect("id").to_owned();
        let service = state.config().service_token.clone();
        let uri = format!("/api/v1/internal/interviews/{id}/transcript");
        let mut took = Vec::new();
        for i in 0..200 {
            let role = if i % 2 == 0 { "interviewer" } else { "candidate" };
            let body = json!({"role": role, "text": format!("turn {i}: {}", "words ".repeat(200))});
            let started = Instant::now();
            let reply = send_to(&state, request("POST", &uri, Some(&service), Some(&body))).await;
            took.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            assert_eq!(reply.json["turn"], i + 1);
        }
        let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
        println!("200-turn transcript ({:?}): first ten appends {:.2} ms mean, last ten {:.2} ms mean",
            state.db().dialect(), mean(&took[..10]), mean(&took[190..]));
        let turns = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/state"), Some(&token), None)).await;
        let history = turns.json["conversation_history"].as_array().expect("history");
        assert_eq!(history.len(), 200);
        assert!(history.iter().enumerate().all(|(i, t)| t["turn"] == i + 1 && t["text"].as_str().is_some_and(|s| s.starts_with(&format!("turn {i}:")))));

        // Code submissions of 50 000 bytes each into a fresh interview: the 1 MiB cap ends them
        // at the 21st.
        let fresh = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": "Code"})))).await;
        let id = fresh.json["id"].as_str().expect("id").to_owned();
        let code = "x".repeat(50_000);
        let mut accepted = 0;
        let refused = loop {
            let reply = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/submit-code"), Some(&token),
                Some(&json!({"code": code, "language": "python"})))).await;
            if reply.status != StatusCode::OK {
                break reply;
            }
            accepted += 1;
            assert!(accepted < 40, "the byte cap never refused a submission");
        };
        assert_error(&refused, StatusCode::BAD_REQUEST);
        assert!(refused.json["detail"].as_str().is_some_and(|d| d.contains("full")), "{}", refused.json);
        assert_eq!(accepted, 20, "submissions of 50 000 bytes accepted under the 1 MiB cap");
        let too_long = send_to(&state, request("POST", &uri, Some(&service),
            Some(&json!({"role": "candidate", "text": "y".repeat(10_001)})))).await;
        assert_error(&too_long, StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn resumes_stop_at_the_account_quota_and_downloads_are_not_sniffed(state: AppState) {
        let pdf = resumes_pdfs::resume_pdf();
        let state = with_config(&state, |c| c.resume_quota_bytes = (pdf.len() * 2) as u64);
        let token = user_token(&state, "q@example.com").await;
        let mut ids = Vec::new();
        for _ in 0..2 {
            let reply = send_to(&state, multipart("/api/v1/resumes/upload", Some(&token), "file", "cv.pdf", &pdf)).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
            ids.push(reply.json["id"].as_str().expect("id").to_owned());
        }
        let third = send_to(&state, multipart("/api/v1/resumes/upload", Some(&token), "file", "cv.pdf", &pdf)).await;
        assert_error(&third, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(third.json["detail"].as_str().is_some_and(|d| d.contains("quota")), "{}", third.json);
        let download = send_to(&state, request("GET", &format!("/api/v1/resumes/{}/file", ids[0]), Some(&token), None)).await;
        assert_eq!(download.status, StatusCode::OK);
        assert_eq!(download.headers["x-content-type-options"], "nosniff");
        // Deleting one frees its bytes.
        let deleted = send_to(&state, request("DELETE", &format!("/api/v1/resumes/{}", ids[0]), Some(&token), None)).await;
        assert!(deleted.status.is_success(), "{}", deleted.json);
        let again = send_to(&state, multipart("/api/v1/resumes/upload", Some(&token), "file", "cv.pdf", &pdf)).await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.json);
    }
}

#[tokio::test]
async fn registrations_are_limited_per_address_and_hashing_is_bounded() {
    let state = common::memory_state().await;
    let limited = with_config(&state, |c| c.registrations_per_minute = 3);
    for i in 0..3 {
        let reply = register(
            &limited,
            json!({"email": format!("u{i}@example.com"), "password": "securepassword"}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    }
    let refused = register(
        &limited,
        json!({"email": "u9@example.com", "password": "securepassword"}),
    )
    .await;
    assert_error(&refused, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.contains_key("retry-after"));

    // One hash at a time and nobody waiting: of four concurrent registrations, those that find
    // the slot taken are refused at once with 503 and Retry-After.
    let bounded = with_config(&state, |c| {
        c.password_hash_concurrency = 1;
        c.password_hash_queue = 0;
    });
    let replies = futures_join_all((0..4).map(|i| {
        let state = bounded.clone();
        async move {
            register(
                &state,
                json!({"email": format!("c{i}@example.com"), "password": "securepassword"}),
            )
            .await
        }
    }))
    .await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let busy: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        ok >= 1 && !busy.is_empty() && ok + busy.len() == 4,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(busy.iter().all(|r| r.headers.contains_key("retry-after")));
}

/// Polls all futures together on this task (no extra runtime threads needed).
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut handles: Vec<Option<_>> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, out) in handles.iter_mut().zip(outputs.iter_mut()) {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

#[tokio::test]
async fn unknown_logins_cost_a_hash_too() {
    let state = common::memory_state().await;
    user_token(&state, "known@example.com").await;
    let before = state.hasher().runs();
    assert_error(
        &login(&state, "nobody@example.com", "securepassword").await,
        StatusCode::UNAUTHORIZED,
    );
    let unknown = state.hasher().runs() - before;
    let before = state.hasher().runs();
    assert_error(
        &login(&state, "known@example.com", "wrong-password").await,
        StatusCode::UNAUTHORIZED,
    );
    let known = state.hasher().runs() - before;
    // The first unknown login also computes the dummy hash once.
    assert!(
        unknown >= 1 && known == 1,
        "unknown {unknown}, known {known}"
    );
    let before = state.hasher().runs();
    assert_error(
        &login(&state, "nobody2@example.com", "securepassword").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_eq!(
        state.hasher().runs() - before,
        1,
        "each unknown login verifies once"
    );
}

#[tokio::test]
async fn routes_without_credentials_carry_rate_limit_headers() {
    let state = common::memory_state().await;
    let state = with_config(&state, |c| c.rate_limit_anonymous_per_minute = 2);
    for expected in ["1", "0"] {
        let reply = login(&state, "x@example.com", "securepassword").await;
        assert_error(&reply, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.headers["x-ratelimit-limit"], "2");
        assert_eq!(reply.headers["x-ratelimit-remaining"], expected);
    }
    let refused = login(&state, "x@example.com", "securepassword").await;
    assert_error(&refused, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.contains_key("retry-after"));
    // A logged-in user's own routes (such as /auth/me) count against the user's bucket.
    let fresh = common::memory_state().await;
    let token = user_token(&fresh, "me@example.com").await;
    let me = send_to(
        &fresh,
        request("GET", "/api/v1/auth/me", Some(&token), None),
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(
        me.headers.contains_key("x-ratelimit-remaining"),
        "{:?}",
        me.headers
    );
}

#[tokio::test]
async fn oversized_form_login_is_413_and_metrics_need_the_token() {
    let state = common::memory_state().await;
    let form = Request::post("/api/v1/auth/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username={}&password=x",
            "a".repeat(state.config().max_body_bytes + 10)
        )))
        .expect("request");
    assert_error(&send_to(&state, form).await, StatusCode::PAYLOAD_TOO_LARGE);

    let anonymous = send_to(
        &state,
        Request::get("/metrics")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_error(&anonymous, StatusCode::UNAUTHORIZED);
    let wrong = send_to(
        &state,
        request("GET", "/metrics", Some("not-the-token"), None),
    )
    .await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED);
    let token = state.config().metrics_token().to_owned();
    let scraped = send_to(&state, request("GET", "/metrics", Some(&token), None)).await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert_eq!(scraped.headers["x-content-type-options"], "nosniff");
}
