//! End to end against a real livekit-server and the official Python client, on both backends:
//! register, create a role, upload a resume (a PDF written at test time), create the interview
//! with both, start it; the returned token lets the client join the room and publish its
//! microphone, the agent's dispatch is listed by LiveKit, and the agent's context carries the
//! parsed resume.

mod common;
mod resumes_pdfs;

use axum::http::StatusCode;
use common::send_to;
use common::uploads::multipart;
use common::users::{request, user_token};
use control_api::AppState;
use livekit_api::services::agent_dispatch::AgentDispatchClient;
use serde_json::json;
use tests::livekit::LiveKitServer;
use tests::pyclient::{ClientOptions, PyClient};

backend_tests! {
    async fn start_gives_a_joinable_room_and_dispatches_the_agent(state: AppState) {
        let server = LiveKitServer::start().await.expect("livekit-server");
        let mut config = state.config().clone();
        config.livekit_url = server.ws_url();
        config.livekit_api_key = server.api_key().to_owned();
        config.livekit_api_secret = server.api_secret().to_owned();
        config.agent_name = "interviewer-e2e".to_owned();
        let state = AppState::new(config, state.db().clone());

        let token = user_token(&state, "recruiter@example.com").await;
        let role = send_to(&state, request("POST", "/api/v1/roles", Some(&token), Some(&json!({
            "name": "Backend Engineer", "category": "Engineering", "specialization": "Backend",
            "experience_level": "Senior", "required_skills": [{"name": "Rust", "level": "Expert"}],
            "interview_structure": {"technical": 3, "behavioral": 2, "coding": 1}
        })))).await;
        assert_eq!(role.status, StatusCode::OK, "{}", role.json);
        let pdf = resumes_pdfs::resume_pdf();
        let resume = send_to(&state, multipart("/api/v1/resumes/upload", Some(&token), "file", "jane-doe.pdf", &pdf)).await;
        assert_eq!(resume.status, StatusCode::CREATED, "{}", resume.json);
        assert_eq!(resume.json["parsed"]["contact"]["name"], "Jane Doe", "{}", resume.json);
        let interview = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({
            "title": "Backend interview", "role_id": role.json["id"], "resume_id": resume.json["id"],
            "candidate_name": "Jane Doe", "candidate_email": "jane@example.com", "duration_minutes": 30
        })))).await;
        assert_eq!(interview.status, StatusCode::OK, "{}", interview.json);
        assert_eq!(interview.json["resume_id"], resume.json["id"]);
        assert_eq!(interview.json["role_id"], role.json["id"]);
        let id = interview.json["id"].as_str().expect("id").to_owned();

        let started = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/start"), Some(&token), None)).await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.json);
        assert_eq!(started.json["interview_id"], id.as_str());
        assert_eq!(started.json["url"], server.ws_url().as_str());
        let room = started.json["room_name"].as_str().expect("room").to_owned();
        assert_eq!(room, interview.json["room_name"].as_str().expect("room"));

        let mut client = PyClient::join(
            started.json["url"].as_str().expect("url"),
            started.json["token"].as_str().expect("token"),
            ClientOptions::default(),
        )
        .await
        .expect("the official client joins with the returned token");
        let connected = client
            .events()
            .iter()
            .find(|e| e["event"] == "connected")
            .cloned()
            .expect("connected event");
        assert_eq!(connected["room"], room.as_str());
        assert_eq!(connected["identity"], format!("candidate-{id}").as_str());
        let published = client.publish().await.expect("the token allows publishing the microphone");
        assert!(published["track_sid"].as_str().is_some_and(|s| !s.is_empty()), "{published}");

        let dispatches = AgentDispatchClient::with_api_key(&server.http_url(), server.api_key(), server.api_secret())
            .list_dispatch(room.clone())
            .await
            .expect("list dispatches");
        // livekit-server also lists its automatic dispatch for unnamed agents (agent_name "").
        let ours: Vec<_> = dispatches.iter().filter(|d| d.agent_name == "interviewer-e2e").collect();
        assert_eq!(ours.len(), 1, "{dispatches:?}");
        assert!(ours[0].metadata.contains(&id), "{}", ours[0].metadata);
        assert!(dispatches.iter().all(|d| d.agent_name.is_empty() || d.agent_name == "interviewer-e2e"));

        let after = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}"), Some(&token), None)).await;
        assert_eq!(after.json["status"], "in_progress");
        assert_eq!(after.json["dispatch_count"], 1);
        assert!(after.json["started_at"].is_string());

        // What the dispatched agent fetches: the role and the parsed resume.
        let context = send_to(&state, request("GET", &format!("/api/v1/internal/interviews/{id}/context"),
            Some(&state.config().service_token), None)).await;
        assert_eq!(context.status, StatusCode::OK, "{}", context.json);
        assert_eq!(context.json["resume"]["contact"]["name"], "Jane Doe", "{}", context.json);
        assert_eq!(context.json["resume"]["contact"]["email"], "jane.doe@example.com");
        assert!(context.json["resume"]["skills"].as_array().is_some_and(|s| s.iter().any(|x| x == "Rust")), "{}", context.json);
        assert_eq!(context.json["role"]["name"], "Backend Engineer");
        // The agent reads it through the shared contract.
        let typed: contract::context::InterviewContext = serde_json::from_value(context.json.clone()).expect("the contract reads the context");
        assert_eq!(typed.interview.id, id);
        assert_eq!((typed.interview.duration_minutes, typed.interview.language_code().as_str()), (30, "en"));
        assert_eq!(typed.interview.candidate_name.as_deref(), Some("Jane Doe"));
        let role = typed.role.expect("role");
        assert_eq!(role.required_skills[0].name, "Rust");
        assert_eq!((role.interview_structure.technical, role.interview_structure.coding), (3, 1));
        let resume = typed.resume.expect("resume");
        assert!(resume.experiences.iter().any(|e| e.highlights.iter().any(|h| h == "Improved API latency by 40%")), "{resume:?}");
        client.leave().await.expect("leave");
    }
}
