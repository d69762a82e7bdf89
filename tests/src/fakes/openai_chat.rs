//! A fake OpenAI chat completions server: `data: {chat.completion.chunk}` SSE
//! lines and `data: [DONE]`, with scripted replies and faults.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use tokio::io::AsyncWriteExt;

use super::http::{Server, respond, serve, write_head};

/// Behaviour of the fake.
#[derive(Debug, Clone)]
pub struct ChatScript {
    /// Replies, one per successful call, in order (the last repeats).
    pub replies: Vec<String>,
    pub time_to_first_token: Duration,
    pub per_token_delay: Duration,
    /// The first N calls answer HTTP 500.
    pub fail_first: usize,
    /// The next N calls answer 429 with `Retry-After: retry_after_secs`.
    pub rate_limit_first: usize,
    pub retry_after_secs: u32,
    /// Accept the request and never answer.
    pub hang: bool,
    /// The first N calls are accepted and never answered (before `fail_first` counts).
    pub hang_first: usize,
}

impl Default for ChatScript {
    fn default() -> Self {
        Self {
            replies: vec!["Tell me about a project you are proud of.".into()],
            time_to_first_token: Duration::ZERO,
            per_token_delay: Duration::ZERO,
            fail_first: 0,
            rate_limit_first: 0,
            retry_after_secs: 1,
            hang: false,
            hang_first: 0,
        }
    }
}

/// Starts the fake on a free loopback port; `server.base_url()` is the client's base URL.
pub async fn start(script: ChatScript) -> Result<Server> {
    let script = Arc::new(script);
    serve(move |request, index, mut socket| {
        let script = script.clone();
        async move {
            if request.target == "/v1/models" && request.method == "GET" {
                let body = r#"{"object":"list","data":[{"id":"fake","object":"model","owned_by":"fake"}]}"#;
                return respond(socket, "200 OK", &[], body).await;
            }
            if request.target != "/v1/chat/completions" || request.method != "POST" {
                return respond(socket, "404 Not Found", &[], "{}").await;
            }
            if script.hang || index < script.hang_first {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            let index = index - script.hang_first;
            if index < script.fail_first {
                let body = r#"{"error":{"message":"internal error","type":"server_error"}}"#;
                return respond(
                    socket,
                    "500 Internal Server Error",
                    &[("Content-Type", "application/json")],
                    body,
                )
                .await;
            }
            if index < script.fail_first + script.rate_limit_first {
                let after = script.retry_after_secs.to_string();
                let body = r#"{"error":{"message":"rate limited","type":"rate_limit"}}"#;
                return respond(
                    socket,
                    "429 Too Many Requests",
                    &[("Retry-After", &after)],
                    body,
                )
                .await;
            }
            let n = index - script.fail_first - script.rate_limit_first;
            let reply = script
                .replies
                .get(n)
                .or(script.replies.last())
                .cloned()
                .unwrap_or_default();
            write_head(
                &mut socket,
                "200 OK",
                &[("Content-Type", "text/event-stream")],
            )
            .await?;
            super::precise_sleep(script.time_to_first_token).await;
            let id = format!("chatcmpl-fake{index}");
            for (i, word) in reply.split_inclusive(' ').enumerate() {
                // A zero-length tokio sleep still waits for the timer's next 1 ms tick.
                if i > 0 && !script.per_token_delay.is_zero() {
                    tokio::time::sleep(script.per_token_delay).await;
                }
                let chunk = serde_json::json!({
                    "id": id, "object": "chat.completion.chunk", "created": 0, "model": "fake",
                    "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": null}],
                });
                socket
                    .write_all(format!("data: {chunk}\n\n").as_bytes())
                    .await?;
            }
            let stop = serde_json::json!({
                "id": id, "object": "chat.completion.chunk", "created": 0, "model": "fake",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            });
            socket
                .write_all(format!("data: {stop}\n\ndata: [DONE]\n\n").as_bytes())
                .await?;
            socket.shutdown().await?;
            Ok(())
        }
    })
    .await
}
