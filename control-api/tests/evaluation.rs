//! Evaluation through the API, on both backends: completing an interview returns at once with
//! a pending evaluation that becomes ready in the background; every quote of the report occurs
//! verbatim in the stored turn it names; seed 000's feedback and seed 002's scores come from
//! it; a reviewer's override keeps the original and an audit trail; a role edited after the
//! interview leaves that interview's report unchanged, while the next interview uses the edit.

mod common;

use axum::http::StatusCode;
use common::interviews::{complete_and_wait, say};
use common::users::{request, user_token};
use common::{assert_error, send_to};
use serde_json::json;

backend_tests! {
    async fn a_completed_interview_gets_an_evidence_backed_report(state: AppState) {
        let token = user_token(&state, "recruiter@example.com").await;
        let role = send_to(&state, request("POST", "/api/v1/roles", Some(&token), Some(&json!({
            "name": "Backend Engineer", "category": "Engineering", "experience_level": "Senior",
            "required_skills": [{"name": "Rust", "level": "Expert"}, {"name": "PostgreSQL", "level": "Senior"}],
            "rubric": [{"name": "Technical depth", "weight": 60}, {"name": "Communication", "weight": 40}]
        })))).await;
        let role_id = role.json["id"].as_str().expect("role id").to_owned();
        let create = || request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": "Backend", "role_id": role_id})));
        let interview = send_to(&state, create()).await;
        let id = interview.json["id"].as_str().expect("id").to_owned();

        let before = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/report"), Some(&token), None)).await;
        assert!(before.json["evaluation"].is_null() && before.json["feedback"].is_null());
        let early = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/report/overrides"), Some(&token),
            Some(&json!({"dimension": "Communication", "score": 5, "reason": "x"})))).await;
        assert_error(&early, StatusCode::CONFLICT);

        say(&state, &id, "interviewer", "Tell me about something you built with Rust and PostgreSQL.").await;
        say(&state, &id, "candidate", "I built our billing service in Rust on PostgreSQL. First I designed an append-only ledger because corrections must never rewrite history. As a result p99 latency stayed at 40 ms for 3000 requests per second.").await;
        say(&state, &id, "interviewer", "How do you explain a design to your team?").await;
        say(&state, &id, "candidate", "Um, for example, I write a one-page note first, then we review it together so that everyone can challenge the trade-offs.").await;

        let report = complete_and_wait(&state, &token, &id).await;
        let evaluation = &report["evaluation"];
        assert_eq!(evaluation["status"], "ready", "{report}");
        assert_eq!(evaluation["scorer"], "heuristic");
        assert_eq!(evaluation["prompt_version"], control_api::evaluation::heuristic::VERSION);
        assert!(evaluation["rubric_version"].as_str().is_some_and(|v| v.len() == 12));
        let dims = evaluation["report"]["dimensions"].as_array().expect("dimensions");
        assert_eq!(dims.iter().map(|d| d["name"].as_str().unwrap_or_default()).collect::<Vec<_>>(), ["Technical depth", "Communication"]);
        let state_json = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/state"), Some(&token), None)).await.json;
        let turns = state_json["conversation_history"].as_array().expect("turns").clone();
        let mut quotes = 0;
        for d in dims {
            let score = d["score"].as_u64().expect("score");
            assert!((1..=5).contains(&score), "{d}");
            assert!(d["anchor"].as_str().is_some_and(|a| !a.is_empty()));
            for e in d["evidence"].as_array().expect("evidence") {
                let turn = turns.iter().find(|t| t["turn"] == e["turn"]).expect("the quote names a stored turn");
                assert_eq!(turn["role"], "candidate");
                assert!(turn["text"].as_str().expect("text").contains(e["quote"].as_str().expect("quote")), "{e} not verbatim in {turn}");
                quotes += 1;
            }
        }
        assert!(quotes >= 2, "{report}");
        let skills = evaluation["report"]["skills"].as_array().expect("skills");
        assert!(skills.iter().all(|s| s["probed"] == true), "{skills:?}");
        assert!(["strong_hire", "hire", "lean_no_hire", "no_hire"].contains(&evaluation["report"]["recommendation"].as_str().expect("recommendation")));
        // Seed 000's feedback and seed 002's scores come from it.
        let feedback = &report["feedback"];
        assert!(feedback["overall_score"].as_f64().is_some_and(|s| (0.0..=1.0).contains(&s)), "{feedback}");
        assert!(feedback["skill_breakdown"]["Rust"].is_number(), "{feedback}");
        assert!(report["technical_score"].as_i64().is_some_and(|s| (0..=100).contains(&s)), "{report}");
        assert!(report["behavioral_score"].as_i64().is_some_and(|s| (0..=100).contains(&s)), "{report}");
        let again = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/complete"), Some(&token), None)).await;
        assert_eq!(again.json["feedback"], *feedback, "seed 000's complete returns the feedback once ready");

        // A reviewer overrides a score: the original and the audit trail stay.
        let original = dims[1]["score"].as_u64().expect("score");
        let target = if original == 5 { 1 } else { 5 };
        let bad = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/report/overrides"), Some(&token),
            Some(&json!({"dimension": "Charisma", "score": 3, "reason": "x"})))).await;
        assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY);
        let overridden = send_to(&state, request("POST", &format!("/api/v1/interviews/{id}/report/overrides"), Some(&token),
            Some(&json!({"dimension": "Communication", "score": target, "reason": "Clear in the follow-up call"})))).await;
        assert_eq!(overridden.status, StatusCode::OK, "{}", overridden.json);
        let me = send_to(&state, request("GET", "/api/v1/auth/me", Some(&token), None)).await.json;
        let trail = overridden.json["overrides"].as_array().expect("overrides");
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0]["from_score"], original);
        assert_eq!(trail[0]["to_score"], target);
        assert_eq!(trail[0]["reviewer_id"], me["id"]);
        assert!(trail[0]["at"].is_string());
        let now = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/report"), Some(&token), None)).await.json;
        let comm = &now["evaluation"]["report"]["dimensions"][1];
        assert_eq!(comm["score"], target);
        assert_eq!(comm["original_score"], original);

        // Editing the role changes no past report; the next interview uses the edit.
        let edited = send_to(&state, request("PUT", &format!("/api/v1/roles/{role_id}"), Some(&token), Some(&json!({
            "name": "Backend Engineer", "category": "Engineering", "experience_level": "Senior",
            "rubric": [{"name": "Code quality", "weight": 100}]
        })))).await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.json);
        let after = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/report"), Some(&token), None)).await.json;
        assert_eq!(after["evaluation"]["rubric_version"], evaluation["rubric_version"]);
        assert_eq!(after["evaluation"]["report"]["dimensions"], now["evaluation"]["report"]["dimensions"]);
        let next = send_to(&state, create()).await;
        let next_id = next.json["id"].as_str().expect("id").to_owned();
        let next_report = complete_and_wait(&state, &token, &next_id).await;
        let next_dims = next_report["evaluation"]["report"]["dimensions"].as_array().expect("dims");
        assert_eq!(next_dims.len(), 1);
        assert_eq!(next_dims[0]["name"], "Code quality");
        assert_eq!(next_dims[0]["low_confidence"], true, "no code, no evidence: {next_report}");
        assert_ne!(next_report["evaluation"]["rubric_version"], evaluation["rubric_version"]);
    }
}
