//! Every log line of a request names its request id and, once authenticated, its principal
//! (`user:<id>` for an access token, `key:<id>` for an API key).

mod common;

use axum::http::StatusCode;
use common::users::{request, user_token};
use common::{memory_state, send_to};
use serde_json::json;

#[tokio::test(flavor = "current_thread")]
async fn request_log_lines_carry_the_request_id_and_the_principal() {
    let logs = tests::logs::Logs::capture();

    let state = memory_state().await;
    let token = user_token(&state, "spans@example.com").await;
    let me = send_to(
        &state,
        request("GET", "/api/v1/auth/me", Some(&token), None),
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);
    let user_id = me.json["id"].as_str().expect("id").to_owned();
    let request_id = me.headers["x-request-id"].to_str().expect("id").to_owned();
    let key = send_to(
        &state,
        request(
            "POST",
            "/api/v1/api-keys",
            Some(&token),
            Some(&json!({"name": "k"})),
        ),
    )
    .await;
    let secret = key.json["secret"].as_str().expect("secret").to_owned();
    let listed = send_to(
        &state,
        request("GET", "/api/v1/interviews", Some(&secret), None),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.json);

    let log = logs.text();
    // The request's last line (its response) is written after authentication.
    let me_line = log
        .lines()
        .rfind(|l| l.contains(&format!("request_id={request_id}")))
        .unwrap_or_else(|| panic!("no line of the request {request_id}:\n{log}"));
    assert!(
        me_line.contains(&format!("principal=user:{user_id}")),
        "{me_line}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("path=/api/v1/interviews") && l.contains("principal=key:")),
        "{log}"
    );
}
