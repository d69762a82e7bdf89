//! Invite links, on both backends and a real livekit-server: a recruiter makes a link (its
//! token shown once); the candidate's page reads the interview through it, consents to the
//! versioned disclosure, joins (one room, one dispatch, the same identity on every join)
//! and submits code; expired links, ended interviews and malformed tokens get clear errors;
//! the pages are served with their security headers.

mod common;

use axum::http::StatusCode;
use common::users::{raw, request, user_token};
use common::{assert_error, send_to};
use control_api::AppState;
use livekit_api::access_token::TokenVerifier;
use serde_json::{Value, json};
use tests::livekit::LiveKitServer;

fn on(server: &LiveKitServer, state: &AppState) -> AppState {
    let mut config = state.config().clone();
    config.livekit_url = server.ws_url();
    config.livekit_api_key = server.api_key().to_owned();
    config.livekit_api_secret = server.api_secret().to_owned();
    config.agent_name = "interviewer-invites".to_owned();
    config.public_url = "https://interviews.example.com/".to_owned();
    AppState::new(config, state.db().clone())
}

async fn get(state: &AppState, uri: &str) -> common::Reply {
    send_to(state, request("GET", uri, None, None)).await
}

async fn post(state: &AppState, uri: &str, body: &Value) -> common::Reply {
    send_to(state, request("POST", uri, None, Some(body))).await
}

backend_tests! {
    async fn a_candidate_reads_consents_joins_and_submits_through_the_link(state: AppState) {
        let server = LiveKitServer::start().await.expect("livekit-server");
        let state = on(&server, &state);
        let token = user_token(&state, "recruiter@example.com").await;
        let role = json!({"name": "Backend Engineer", "category": "engineering",
            "experience_level": "senior", "required_skills": [{"name": "Rust", "level": "Expert"}],
            "interview_structure": {"technical": 2, "behavioral": 1, "coding": 0},
            "rubric": [{"name": "Problem solving", "weight": 1.0}]});
        let role = send_to(&state, request("POST", "/api/v1/roles", Some(&token), Some(&role))).await;
        assert_eq!(role.status, StatusCode::OK, "{}", role.json);
        let interview = json!({"title": "Invited", "role_id": role.json["id"], "candidate_name": "Ada",
            "duration_minutes": 20, "language": "es"});
        let interview = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&interview))).await;
        let id = interview.json["id"].as_str().expect("id").to_owned();
        let invites = format!("/api/v1/interviews/{id}/invites");

        // Only the owner makes links, for a validity of 1 s to 30 days given one way.
        let stranger = user_token(&state, "stranger@example.com").await;
        assert_error(&send_to(&state, request("POST", &invites, Some(&stranger), Some(&json!({})))).await, StatusCode::NOT_FOUND);
        assert_error(&send_to(&state, request("POST", &invites, None, Some(&json!({})))).await, StatusCode::UNAUTHORIZED);
        for bad in [json!({"expires_in_minutes": 0}), json!({"expires_in_seconds": 2_592_001}),
                    json!({"expires_in_minutes": 5, "expires_in_seconds": 5}), json!({"expires": 5})] {
            let reply = send_to(&state, request("POST", &invites, Some(&token), Some(&bad))).await;
            assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let made = send_to(&state, request("POST", &invites, Some(&token), Some(&json!({"expires_in_minutes": 60})))).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.json);
        let link = made.json["token"].as_str().expect("token").to_owned();
        assert!(link.len() == 64 && link.bytes().all(|b| b.is_ascii_hexdigit()), "{link}");
        assert_eq!(made.json["path"], format!("/i/{link}"));
        assert_eq!(made.json["url"], format!("https://interviews.example.com/i/{link}"));
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM interview_invites WHERE id = $1")
            .bind(made.json["id"].as_str().expect("id"))
            .fetch_one(state.db().pool())
            .await
            .expect("stored invite");
        assert_ne!(stored, link, "only the hash is stored");

        // The page's view: the role, the duration, the disclosure in the interview's language.
        let page = get(&state, &format!("/api/v1/invites/{link}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.json);
        assert_eq!(page.json["role_title"], "Backend Engineer");
        assert_eq!((page.json["duration_minutes"].as_i64(), page.json["status"].as_str()), (Some(20), Some("scheduled")));
        assert!(page.json["disclosure"]["text"].as_str().expect("text").contains("entrevistador de IA"));
        assert_eq!(page.json["disclosure"]["interviewer"], "AI interviewer");
        assert!(page.json["consent"].is_null() && page.json["remaining_s"].is_null());
        let version = page.json["disclosure"]["version"].as_str().expect("version").to_owned();

        // Joining needs consent to the current text.
        assert_error(&post(&state, &format!("/api/v1/invites/{link}/join"), &json!({})).await, StatusCode::CONFLICT);
        assert_error(&post(&state, &format!("/api/v1/invites/{link}/consent"), &json!({"version": "1999-01-01"})).await, StatusCode::CONFLICT);
        assert_error(&post(&state, &format!("/api/v1/invites/{link}/consent"), &json!({})).await, StatusCode::UNPROCESSABLE_ENTITY);
        let consent = post(&state, &format!("/api/v1/invites/{link}/consent"), &json!({"version": version})).await;
        assert_eq!(consent.status, StatusCode::OK, "{}", consent.json);
        let page = get(&state, &format!("/api/v1/invites/{link}")).await;
        assert_eq!(page.json["consent"]["version"], version.as_str());
        assert_eq!(page.json["consent"]["given_at"], consent.json["given_at"]);

        // Two joins (two tabs): one dispatch, the same candidate identity in the same room.
        let join_uri = format!("/api/v1/invites/{link}/join");
        let empty = json!({});
        let (a, b) = tokio::join!(post(&state, &join_uri, &empty), post(&state, &join_uri, &empty));
        let verifier = TokenVerifier::with_api_key(server.api_key(), server.api_secret());
        for reply in [&a, &b] {
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            assert_eq!(reply.json["identity"], format!("candidate-{id}"));
            assert_eq!(reply.json["url"], server.ws_url());
            let claims = verifier.verify(reply.json["token"].as_str().expect("token")).expect("valid token");
            assert_eq!((claims.sub.as_str(), claims.video.room.as_str()),
                (format!("candidate-{id}").as_str(), interview.json["room_name"].as_str().expect("room")));
        }
        let read = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}"), Some(&token), None)).await;
        assert_eq!((read.json["status"].as_str(), read.json["dispatch_count"].as_i64()), (Some("in_progress"), Some(1)));
        let page = get(&state, &format!("/api/v1/invites/{link}")).await;
        let left = page.json["remaining_s"].as_i64().expect("started");
        assert!((1195..=1200).contains(&left), "{left}");
        let events = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/state"), Some(&token), None)).await;
        assert_eq!(events.status, StatusCode::OK);

        // Code goes on the transcript.
        let code = post(&state, &format!("/api/v1/invites/{link}/code"), &json!({"language": "python", "code": "print(1)"})).await;
        assert_eq!(code.status, StatusCode::OK, "{}", code.json);
        assert!(code.json["execution_result"].is_null());
        let st = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/state"), Some(&token), None)).await;
        assert_eq!(st.json["code_submissions"][0]["code"], "print(1)", "{}", st.json);
        assert_error(&post(&state, &format!("/api/v1/invites/{link}/code"), &json!({"language": "py thon", "code": "x"})).await, StatusCode::UNPROCESSABLE_ENTITY);

        // Not a link: 404 for junk and for unknown tokens alike.
        for junk in ["abc", &"f".repeat(64), &"A".repeat(64)] {
            assert_error(&get(&state, &format!("/api/v1/invites/{junk}")).await, StatusCode::NOT_FOUND);
        }

        // An expired link says so.
        let short = send_to(&state, request("POST", &invites, Some(&token), Some(&json!({"expires_in_seconds": 1})))).await;
        let short_link = short.json["token"].as_str().expect("token").to_owned();
        sqlx::query("UPDATE interview_invites SET expires_at = 0 WHERE id = $1")
            .bind(short.json["id"].as_str().expect("id"))
            .execute(state.db().pool())
            .await
            .expect("expire it");
        let expired = get(&state, &format!("/api/v1/invites/{short_link}")).await;
        assert_error(&expired, StatusCode::GONE);
        assert_eq!(expired.json["reason"], "expired");
        // A malformed consent is refused as such, whatever the link's state; a good one
        // learns that the link expired.
        let consent = format!("/api/v1/invites/{short_link}/consent");
        assert_error(&post(&state, &consent, &json!({})).await, StatusCode::UNPROCESSABLE_ENTITY);
        assert_error(&post(&state, &consent, &json!({"version": version})).await, StatusCode::GONE);

        // An interview that is over: every link says so, and no new link is made.
        let done = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/complete"), Some(&token), None)).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.json);
        for uri in [format!("/api/v1/invites/{link}")] {
            let ended = get(&state, &uri).await;
            assert_error(&ended, StatusCode::GONE);
            assert_eq!(ended.json["reason"], "ended");
        }
        let ended = post(&state, &format!("/api/v1/invites/{link}/join"), &json!({})).await;
        assert_eq!((ended.status, ended.json["reason"].as_str()), (StatusCode::GONE, Some("ended")));
        assert_error(&send_to(&state, request("POST", &invites, Some(&token), Some(&json!({})))).await, StatusCode::BAD_REQUEST);
        drop(server);
    }
}

#[tokio::test]
async fn the_pages_are_served_with_their_security_headers() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("assets")).expect("assets");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>app</title>",
    )
    .expect("index");
    std::fs::write(dir.path().join("assets/app-1234.js"), "console.log(1)").expect("asset");
    let mut config = control_api::Config::for_database("sqlite::memory:");
    config.web_dir = dir.path().to_owned();
    let state = AppState::connect(config).await.expect("state");
    let link = "ab".repeat(32);
    for uri in ["/".to_owned(), "/console".to_owned(), format!("/i/{link}")] {
        let reply = send_to(&state, raw("GET", &uri, None, None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        let csp = reply.headers["content-security-policy"]
            .to_str()
            .expect("csp");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(reply.headers["cache-control"], "no-cache");
        assert!(
            reply.headers["content-type"]
                .to_str()
                .expect("type")
                .starts_with("text/html")
        );
    }
    let asset = send_to(&state, raw("GET", "/assets/app-1234.js", None, None)).await;
    assert_eq!(asset.status, StatusCode::OK);
    assert!(
        asset.headers["cache-control"]
            .to_str()
            .expect("cc")
            .contains("immutable")
    );
    let missing = send_to(&state, raw("GET", "/assets/nope.js", None, None)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Without a build the page says how to make one.
    let mut config = control_api::Config::for_database("sqlite::memory:");
    config.web_dir = dir.path().join("absent");
    let state = AppState::connect(config).await.expect("state");
    let reply = send_to(&state, raw("GET", "/", None, None)).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
}
