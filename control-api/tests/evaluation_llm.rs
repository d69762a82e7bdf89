//! The LLM scorer against the OpenAI wire-format fake over a real socket: the request carries
//! temperature 0, a JSON schema, the rubric with its anchors and the numbered transcript and
//! no delivery measure; an invented quote is dropped and its dimension marked low-confidence;
//! malformed JSON is repaired once, or the evaluation fails with the reason after its retries;
//! a request that times out is retried; completing the interview never waits for any of it.

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::send_to;
use common::users::{request, user_token};
use control_api::AppState;
use serde_json::{Value, json};
use tests::fakes::openai_chat::{ChatScript, start};

const CANDIDATE: &str =
    "I built our billing service in Rust because corrections must never rewrite history.";

fn reply(invented: bool) -> String {
    let quote = if invented {
        "I single-handedly wrote the Rust compiler."
    } else {
        CANDIDATE
    };
    json!({
        "dimensions": [
            {"name": "Technical depth", "score": 4, "rationale": "Specific Rust work.", "evidence": [{"turn": 2, "quote": quote}]},
            {"name": "Communication", "score": 3, "rationale": "Clear enough.", "evidence": [{"turn": 2, "quote": "corrections must never rewrite history"}]}
        ],
        "skills": [{"skill": "Rust", "score": 4, "evidence": [{"turn": 2, "quote": "billing service in Rust"}]}],
        "strengths": ["Concrete design reasoning"], "concerns": [], "follow_up_questions": ["How was it tested?"],
        "recommendation": "hire", "confidence": 0.7
    })
    .to_string()
}

/// An app whose scorer is the fake at `base_url`, a role, and an interview with two turns.
async fn setup(base_url: &str, timeout_secs: u64) -> (AppState, String, String) {
    let state = common::memory_state().await;
    let mut config = state.config().clone();
    config.evaluation_llm_base_url = base_url.to_owned();
    config.evaluation_llm_api_key = "sk-fake".to_owned();
    config.evaluation_llm_model = "fake-model".to_owned();
    config.evaluation_llm_timeout_secs = timeout_secs;
    config.max_body_bytes = 64 * 1024;
    let state = AppState::new(config, state.db().clone());
    let token = user_token(&state, "llm@example.com").await;
    let role = send_to(&state, request("POST", "/api/v1/roles", Some(&token), Some(&json!({
        "name": "Backend", "category": "Engineering", "experience_level": "Senior",
        "required_skills": [{"name": "Rust", "level": "Expert"}],
        "rubric": [{"name": "Technical depth", "weight": 60}, {"name": "Communication", "weight": 40}]
    })))).await;
    let interview = send_to(
        &state,
        request(
            "POST",
            "/api/v1/interviews",
            Some(&token),
            Some(&json!({"title": "T", "role_id": role.json["id"]})),
        ),
    )
    .await;
    let id = interview.json["id"].as_str().expect("id").to_owned();
    for (who, text) in [
        ("interviewer", "What did you build with Rust?"),
        ("candidate", CANDIDATE),
    ] {
        let uri = format!("/api/v1/internal/interviews/{id}/transcript");
        let said = send_to(
            &state,
            request(
                "POST",
                &uri,
                Some(&state.config().service_token),
                Some(&json!({"role": who, "text": text})),
            ),
        )
        .await;
        assert_eq!(said.status, StatusCode::OK, "{}", said.json);
    }
    (state, token, id)
}

/// Completes the interview and waits for the evaluation; returns it and what `complete` said
/// of it.
async fn complete_and_wait(state: &AppState, token: &str, id: &str) -> (Value, Value) {
    let mut finished = state.evaluations_finished().subscribe();
    let started = Instant::now();
    let done = send_to(
        state,
        request(
            "POST",
            &format!("/api/v1/interviews/{id}/complete"),
            Some(token),
            None,
        ),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.json);
    assert_eq!(done.json["status"], "completed");
    println!("complete answered in {:?}", started.elapsed());
    tokio::time::timeout(Duration::from_secs(30), finished.changed())
        .await
        .expect("the evaluation finishes within 30 s")
        .expect("state alive");
    let evaluation = send_to(
        state,
        request(
            "GET",
            &format!("/api/v1/interviews/{id}/report"),
            Some(token),
            None,
        ),
    )
    .await
    .json["evaluation"]
        .clone();
    (evaluation, done.json["evaluation_status"].clone())
}

#[tokio::test]
async fn the_request_carries_rubric_and_transcript_only_and_invented_quotes_are_dropped() {
    let fake = start(ChatScript {
        replies: vec![reply(true)],
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let (state, token, id) = setup(&fake.base_url(), 10).await;
    let (evaluation, _) = complete_and_wait(&state, &token, &id).await;
    assert_eq!(evaluation["status"], "ready", "{evaluation}");
    assert_eq!(evaluation["scorer"], "llm");
    assert_eq!(evaluation["model"], "fake-model");
    assert_eq!(evaluation["prompt_version"], "llm-1");
    let dims = &evaluation["report"]["dimensions"];
    assert_eq!(dims[0]["score"], 4);
    assert_eq!(
        dims[0]["evidence"],
        json!([]),
        "the invented quote is dropped"
    );
    assert_eq!(dims[0]["low_confidence"], true);
    assert_eq!(
        dims[1]["evidence"][0]["quote"],
        "corrections must never rewrite history"
    );
    assert_eq!(dims[1]["low_confidence"], false);
    assert_eq!(evaluation["report"]["recommendation"], "hire");

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].json();
    assert_eq!(requests[0].header("authorization"), Some("Bearer sk-fake"));
    assert_eq!(body["temperature"], 0);
    assert_eq!(body["model"], "fake-model");
    assert_eq!(body["response_format"]["type"], "json_schema");
    let prompt = body["messages"].to_string();
    for expected in [
        "Technical depth",
        "Communication",
        "Rust",
        "[2] candidate",
        "billing service",
    ] {
        assert!(
            prompt.contains(expected),
            "{expected} missing from the prompt"
        );
    }
    for delivery in [
        "speech rate",
        "words per minute",
        "pause",
        "filler",
        "pitch",
        "volume",
        "dBFS",
    ] {
        assert!(
            !prompt.to_lowercase().contains(&delivery.to_lowercase()),
            "the scorer saw {delivery}"
        );
    }
}

#[tokio::test]
async fn malformed_json_is_repaired_once() {
    let fake = start(ChatScript {
        replies: vec!["{\"dimensions\": [oops".into(), reply(false)],
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let (state, token, id) = setup(&fake.base_url(), 10).await;
    let (evaluation, _) = complete_and_wait(&state, &token, &id).await;
    assert_eq!(evaluation["status"], "ready", "{evaluation}");
    assert_eq!(evaluation["attempts"], 1);
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "one request and one repair");
    let repair = requests[1].json()["messages"].to_string();
    assert!(
        repair.contains("not valid") && repair.contains("[oops"),
        "{repair}"
    );
}

#[tokio::test]
async fn a_reply_that_stays_malformed_fails_with_the_reason() {
    let fake = start(ChatScript {
        replies: vec!["not json at all".into()],
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let (state, token, id) = setup(&fake.base_url(), 10).await;
    let (evaluation, _) = complete_and_wait(&state, &token, &id).await;
    assert_eq!(evaluation["status"], "failed", "{evaluation}");
    assert!(
        evaluation["reason"]
            .as_str()
            .is_some_and(|r| r.contains("malformed reply after one repair attempt")),
        "{evaluation}"
    );
    assert_eq!(evaluation["attempts"], 3);
    assert_eq!(
        fake.requests().len(),
        6,
        "three attempts of a request and a repair"
    );
    assert!(evaluation["report"].is_null());
}

#[tokio::test]
async fn a_request_that_times_out_is_retried() {
    let fake = start(ChatScript {
        replies: vec![reply(false)],
        hang_first: 1,
        ..ChatScript::default()
    })
    .await
    .expect("fake");
    let (state, token, id) = setup(&fake.base_url(), 1).await;
    let (evaluation, at_completion) = complete_and_wait(&state, &token, &id).await;
    // The first attempt hangs for its whole 1 s timeout: `complete` answered long before.
    assert_eq!(
        at_completion, "pending",
        "completion does not wait for the scorer"
    );
    assert_eq!(evaluation["status"], "ready", "{evaluation}");
    assert_eq!(
        evaluation["attempts"], 2,
        "the first attempt timed out: {evaluation}"
    );
    assert_eq!(fake.requests().len(), 2);
}
