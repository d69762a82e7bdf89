//! Delivery through the API, on both backends: the agent's timeline batches are stored once
//! per session and second and served to the interview's owner on one clock; bad batches get
//! clear errors and lose nothing; the report's coaching section combines the sessions'
//! summaries, and no score moves with it.

mod common;

use axum::http::StatusCode;
use common::interviews::{complete_and_wait, say};
use common::users::{request, user_token};
use common::{assert_error, send_to};
use serde_json::{Value, json};

fn point(second: u32, level: f64) -> Value {
    json!({"second": second, "level_dbfs": level, "speech_dbfs": level + 3.0, "peak_dbfs": -6.0,
        "clipping_ratio": 0.0, "speech_ratio": 0.8, "f0_hz": 140.0, "syllables_per_second": 4.2,
        "noise_floor_dbfs": -62.0})
}

fn batch(session: &str, seconds: std::ops::Range<u32>) -> Value {
    json!({"v": 1, "session": session, "points": seconds.map(|s| point(s, -30.0)).collect::<Vec<_>>()})
}

/// A summary as the agent sends it; `fast` is a hurried, filler-heavy, quiet delivery.
fn summary(session: &str, fast: bool) -> Value {
    let (rate, fillers, level) = if fast {
        (240.0, 12, -44.0)
    } else {
        (150.0, 1, -24.0)
    };
    json!({"v": 1, "session": session,
        "audio_features": {"speech_rate": rate, "pause_ratio": 0.2, "filler_word_ratio": f64::from(fillers) / 100.0, "pitch_variance": 300.0},
        "speech_rate_source": "transcript", "audio_speech_rate": rate * 0.95, "words": 100, "fillers": fillers,
        "pitch_mean_hz": 140.0, "speech_dbfs": level, "noise_floor_dbfs": -60.0, "snr_db": level + 60.0,
        "clipping_ratio": 0.0, "speech_seconds": 40.0, "total_seconds": 60.0, "agent_seconds": 20.0,
        "talk_ratio": 0.667, "interruptions": 1, "nudges": if fast { 2 } else { 0 }})
}

async fn post(
    state: &control_api::AppState,
    method: &str,
    path: &str,
    body: &Value,
) -> common::Reply {
    send_to(
        state,
        request(
            method,
            path,
            Some(&state.config().service_token),
            Some(body),
        ),
    )
    .await
}

backend_tests! {
    async fn timeline_batches_are_stored_once_and_served_to_the_owner(state: AppState) {
        let token = user_token(&state, "recruiter@example.com").await;
        let bob = user_token(&state, "bob@example.com").await;
        let created = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": "T"})))).await;
        let id = created.json["id"].as_str().expect("id").to_owned();
        let uri = format!("/api/v1/internal/interviews/{id}/timeline");
        for range in [0..10, 10..20, 20..30, 10..20] {
            let reply = post(&state, "POST", &uri, &batch("job-a", range)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        }
        let reply = post(&state, "POST", &uri, &batch("job-b", 0..5)).await;
        assert_eq!(reply.json["points"], 35, "the repeated batch stored nothing: {}", reply.json);

        let timeline = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/timeline"), Some(&token), None)).await;
        assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.json);
        let points = timeline.json["points"].as_array().expect("points");
        assert_eq!(points.len(), 35);
        let times: Vec<f64> = points.iter().map(|p| p["time"].as_f64().expect("time")).collect();
        assert!(times.windows(2).all(|w| w[1] == w[0] + 1.0), "one clock across sessions: {times:?}");
        assert_eq!((points[30]["session"].as_i64(), points[30]["second"].as_i64()), (Some(2), Some(0)));
        assert_eq!(points[0]["f0_hz"], 140.0);
        let sessions: Vec<(Value, Value)> = timeline.json["sessions"].as_array().expect("sessions")
            .iter().map(|s| (s["id"].clone(), s["points"].clone())).collect();
        assert_eq!(sessions, [(json!("job-a"), json!(30)), (json!("job-b"), json!(5))]);
        assert!(timeline.json["coaching"].is_null());

        let other = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/timeline"), Some(&bob), None)).await;
        assert_error(&other, StatusCode::NOT_FOUND);
        let anonymous = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/timeline"), None, None)).await;
        assert_error(&anonymous, StatusCode::UNAUTHORIZED);
        let forged = send_to(&state, request("POST", &uri, Some(&token), Some(&batch("job-c", 0..1)))).await;
        assert_error(&forged, StatusCode::UNAUTHORIZED);
    }

    async fn bad_delivery_gets_clear_errors_and_loses_nothing(state: AppState) {
        let token = user_token(&state, "recruiter@example.com").await;
        let created = send_to(&state, request("POST", "/api/v1/interviews", Some(&token), Some(&json!({"title": "T"})))).await;
        let id = created.json["id"].as_str().expect("id").to_owned();
        let uri = format!("/api/v1/internal/interviews/{id}/timeline");
        let reply = post(&state, "POST", &uri, &batch("job-a", 0..10)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);

        let mut future = batch("job-a", 10..11);
        future["v"] = json!(2);
        let mut clipped = batch("job-a", 10..11);
        clipped["points"][0]["clipping_ratio"] = json!(2.0);
        let mut late = batch("job-a", 10..11);
        late["points"][0]["second"] = json!(86_401);
        for (body, status) in [
            (future, StatusCode::UNPROCESSABLE_ENTITY),
            (batch("job-a", 10..311), StatusCode::UNPROCESSABLE_ENTITY),
            (clipped, StatusCode::UNPROCESSABLE_ENTITY),
            (late, StatusCode::UNPROCESSABLE_ENTITY),
            (batch("", 10..11), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"session": "job-a", "points": "x"}), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({"session": "job-a"}), StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let reply = post(&state, "POST", &uri, &body).await;
            assert_error(&reply, status);
        }
        let missing = post(&state, "POST", "/api/v1/internal/interviews/no-such-interview/timeline", &batch("j", 0..1)).await;
        assert_error(&missing, StatusCode::NOT_FOUND);
        let mut negative = summary("job-a", false);
        negative["speech_seconds"] = json!(-1.0);
        let mut too_many_fillers = summary("job-a", false);
        too_many_fillers["fillers"] = json!(101);
        for body in [negative, too_many_fillers, json!({"session": "job-a"})] {
            let reply = post(&state, "PUT", &format!("/api/v1/internal/interviews/{id}/delivery"), &body).await;
            assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        }

        let timeline = send_to(&state, request("GET", &format!("/api/v1/interviews/{id}/timeline"), Some(&token), None)).await;
        assert_eq!(timeline.json["points"].as_array().map(Vec::len), Some(10), "nothing lost, nothing added");
        assert!(timeline.json["sessions"][0]["summary"].is_null());

        // The cap: six hours of points, then a clear 400 that stores nothing.
        let cap = control_api::delivery::MAX_POINTS as u32;
        let mut second = 10;
        while second < cap {
            let end = (second + 300).min(cap);
            let reply = post(&state, "POST", &uri, &batch("job-a", second..end)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            second = end;
        }
        let full = post(&state, "POST", &uri, &batch("job-b", 0..1)).await;
        assert_error(&full, StatusCode::BAD_REQUEST);
        let again = post(&state, "POST", &uri, &batch("job-a", 0..10)).await;
        assert_error(&again, StatusCode::BAD_REQUEST);
    }

    async fn the_coaching_section_combines_sessions_and_moves_no_score(state: AppState) {
        let token = user_token(&state, "recruiter@example.com").await;
        let role = send_to(&state, request("POST", "/api/v1/roles", Some(&token), Some(&json!({
            "name": "Backend Engineer", "category": "Engineering", "experience_level": "Senior",
            "required_skills": [{"name": "Rust", "level": "Expert"}],
            "rubric": [{"name": "Technical depth", "weight": 60}, {"name": "Communication", "weight": 40}]
        })))).await;
        let role_id = role.json["id"].as_str().expect("role id").to_owned();
        let mut reports = Vec::new();
        for fast in [false, true] {
            let created = send_to(&state, request("POST", "/api/v1/interviews", Some(&token),
                Some(&json!({"title": "Backend", "role_id": role_id})))).await;
            let id = created.json["id"].as_str().expect("id").to_owned();
            say(&state, &id, "interviewer", "Tell me about something you built with Rust.").await;
            say(&state, &id, "candidate", "I built our billing service in Rust. First I designed an append-only ledger because corrections must never rewrite history. As a result p99 latency stayed at 40 ms.").await;
            let delivery = format!("/api/v1/internal/interviews/{id}/delivery");
            // Two agent sessions (a re-dispatch), the second one delivered differently.
            let reply = post(&state, "PUT", &delivery, &summary("job-1", fast)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            let reply = post(&state, "PUT", &delivery, &summary("job-2", !fast)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            // A resent summary replaces its session's, it does not add a third.
            let reply = post(&state, "PUT", &delivery, &summary("job-2", fast)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            reports.push(complete_and_wait(&state, &token, &id).await);
        }
        let (calm, hurried) = (&reports[0], &reports[1]);
        assert_eq!(calm["evaluation"]["status"], "ready", "{calm}");
        assert_eq!(calm["evaluation"]["report"], hurried["evaluation"]["report"], "delivery moved a score");
        assert_eq!(calm["feedback"], hurried["feedback"]);

        let coaching = &calm["coaching"];
        assert_eq!(coaching["sessions"], 2, "{coaching}");
        assert_eq!(coaching["audio_features"]["speech_rate"], 150.0, "both sessions calm");
        assert_eq!(coaching["words"], 200);
        assert_eq!(coaching["audio_features"]["filler_word_ratio"], 0.01);
        assert_eq!(coaching["interruptions"], 2);
        assert_eq!(coaching["talk_ratio"], 0.667);
        assert_eq!(coaching["volume"]["speech_dbfs"], -24.0);
        let coaching = &hurried["coaching"];
        assert_eq!(coaching["audio_features"]["speech_rate"], 240.0, "{coaching}");
        assert_eq!(coaching["nudges"], 4);
        assert_eq!(coaching["audio_features"]["filler_word_ratio"], 0.12);
    }
}

#[test]
fn sessions_combine_weighted_by_speech_time() {
    let one: contract::delivery::DeliverySummary =
        serde_json::from_value(summary("a", false)).expect("summary");
    let mut two: contract::delivery::DeliverySummary =
        serde_json::from_value(summary("b", true)).expect("summary");
    two.speech_seconds = 120.0;
    let combined = control_api::delivery::combine(&[one.clone(), two]).expect("combined");
    // 40 s at 150 wpm and 120 s at 240 wpm.
    assert_eq!(combined.audio_features.speech_rate, Some(217.5));
    assert_eq!(combined.speech_seconds, 160.0);
    assert_eq!((combined.words, combined.fillers), (200, 13));
    assert_eq!(combined.audio_features.filler_word_ratio, Some(0.065));
    let alone = control_api::delivery::combine(std::slice::from_ref(&one)).expect("alone");
    assert_eq!(
        alone.audio_features, one.audio_features,
        "one session comes out as it went in"
    );
    assert_eq!(alone.talk_ratio, one.talk_ratio);
}
