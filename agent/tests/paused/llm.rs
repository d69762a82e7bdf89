//! A scripted LLM in tokio time: each request takes the next scripted call, which streams a
//! reply word by word, fails like an HTTP 500 (after the provider's own retries), or never
//! answers.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::BoxFuture;
use providers::ProviderError;
use providers::llm::{ChatMessage, Delta, DeltaStream, Llm};

/// What one request gets.
#[derive(Debug, Clone)]
pub enum Call {
    /// This reply, streamed.
    Reply(String),
    /// An HTTP error status before any token.
    Fail(u16),
}

/// The model; requests past the script fail with 500.
pub struct ScriptedLlm {
    calls: Mutex<VecDeque<Call>>,
    requests: Mutex<Vec<(tokio::time::Instant, Vec<ChatMessage>)>>,
    /// Time to the first token.
    pub first_token: Duration,
    /// Time between tokens.
    pub per_token: Duration,
}

impl ScriptedLlm {
    pub fn new(calls: impl IntoIterator<Item = Call>) -> Self {
        Self {
            calls: Mutex::new(calls.into_iter().collect()),
            requests: Mutex::new(Vec::new()),
            first_token: Duration::from_millis(180),
            per_token: Duration::from_millis(15),
        }
    }

    /// Every request's messages, in order.
    pub fn requests(&self) -> Vec<Vec<ChatMessage>> {
        self.lock().iter().map(|(_, m)| m.clone()).collect()
    }

    /// When each request was made.
    pub fn request_times(&self) -> Vec<tokio::time::Instant> {
        self.lock().iter().map(|(at, _)| *at).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(tokio::time::Instant, Vec<ChatMessage>)>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Llm for ScriptedLlm {
    fn reply(&self, messages: &[ChatMessage]) -> BoxFuture<'_, Result<DeltaStream, ProviderError>> {
        self.lock()
            .push((tokio::time::Instant::now(), messages.to_vec()));
        let call = self
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
            .unwrap_or(Call::Fail(500));
        let (first, per_token) = (self.first_token, self.per_token);
        Box::pin(async move {
            let text = match call {
                Call::Fail(status) => {
                    // An error answer takes as long as a first token.
                    tokio::time::sleep(first).await;
                    return Err(ProviderError::Status { status });
                }
                Call::Reply(text) => text,
            };
            let tokens: Vec<String> = text.split_inclusive(' ').map(str::to_owned).collect();
            let started = tokio::time::Instant::now();
            let stream = futures_util::stream::unfold(
                (tokens.into_iter(), true),
                move |(mut tokens, first_token)| async move {
                    let token = tokens.next()?;
                    tokio::time::sleep(if first_token { first } else { per_token }).await;
                    let delta = Delta {
                        text: token,
                        since_request: started.elapsed(),
                    };
                    Some((Ok(delta), (tokens, false)))
                },
            );
            Ok(Box::pin(stream) as DeltaStream)
        })
    }
}
