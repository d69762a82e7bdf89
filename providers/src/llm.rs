//! LLM providers: OpenAI-compatible streaming chat completions and a scripted responder.

use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt, future::BoxFuture};
use serde::{Deserialize, Serialize};

use crate::ProviderError;
use crate::retry::RetryPolicy;

/// One chat message, in the OpenAI shape.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// A piece of the reply and when it arrived, measured from the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    pub text: String,
    pub since_request: Duration,
}

/// A stream of reply deltas; dropping it cancels the request.
pub type DeltaStream = Pin<Box<dyn Stream<Item = Result<Delta, ProviderError>> + Send>>;

/// Anything that streams a reply to a conversation.
pub trait Llm: Send + Sync {
    /// Starts a reply. Connection errors are returned here, after retries.
    fn reply(&self, messages: &[ChatMessage]) -> BoxFuture<'_, Result<DeltaStream, ProviderError>>;

    /// Checks, without generating anything, that the model can be reached and takes the
    /// key. Providers with nothing to reach are always ready.
    fn check(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Settings of an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp).
#[derive(Debug, Clone)]
pub struct OpenAiChatConfig {
    /// For example `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    pub first_token_timeout: Duration,
    pub idle_timeout: Duration,
    pub retry: RetryPolicy,
}

/// Streaming chat completions over HTTP with SSE.
pub struct OpenAiChat {
    config: OpenAiChatConfig,
    http: reqwest::Client,
}

impl OpenAiChat {
    pub fn new(config: OpenAiChatConfig) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(ProviderError::from_reqwest)?;
        Ok(Self { config, http })
    }

    /// The settings this client was built with.
    pub fn config(&self) -> &OpenAiChatConfig {
        &self.config
    }

    async fn open(&self, body: &serde_json::Value) -> Result<reqwest::Response, ProviderError> {
        self.send(self.http.post(self.url("chat/completions")).json(body))
            .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// Sends `request` with the key; a response that does not start within the first-token
    /// timeout, or whose status is not a success, is an error.
    async fn send(
        &self,
        mut request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ProviderError> {
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let response = tokio::time::timeout(self.config.first_token_timeout, request.send())
            .await
            .map_err(|_| ProviderError::FirstByteTimeout(self.config.first_token_timeout))?
            .map_err(ProviderError::from_reqwest)?;
        if !response.status().is_success() {
            return Err(ProviderError::from_response(&response));
        }
        Ok(response)
    }
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<ChoiceDelta>,
}

#[derive(Deserialize)]
struct ChoiceDelta {
    #[serde(default)]
    content: Option<String>,
}

impl Llm for OpenAiChat {
    /// `GET /models` with the key: reachable, and the key accepted.
    fn check(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            self.send(self.http.get(self.url("models"))).await?;
            Ok(())
        })
    }

    fn reply(&self, messages: &[ChatMessage]) -> BoxFuture<'_, Result<DeltaStream, ProviderError>> {
        let body = serde_json::json!({
            "model": self.config.model,
            "messages": messages,
            "stream": true,
        });
        Box::pin(async move {
            let started = Instant::now();
            let response = self.config.retry.run(|| self.open(&body)).await?;
            let idle = self.config.idle_timeout;
            let events = response.bytes_stream().eventsource();
            let stream = futures_util::stream::unfold(
                (Box::pin(events), false),
                move |(mut events, done)| async move {
                    if done {
                        return None;
                    }
                    loop {
                        let next = match tokio::time::timeout(idle, events.next()).await {
                            Err(_) => {
                                return Some((
                                    Err(ProviderError::IdleTimeout(idle)),
                                    (events, true),
                                ));
                            }
                            Ok(None) => return None,
                            Ok(Some(Err(e))) => {
                                let e = ProviderError::Protocol(e.to_string());
                                return Some((Err(e), (events, true)));
                            }
                            Ok(Some(Ok(event))) => event,
                        };
                        if next.data.trim() == "[DONE]" {
                            return None;
                        }
                        let chunk: Chunk = match serde_json::from_str(&next.data) {
                            Ok(c) => c,
                            Err(e) => {
                                let e = ProviderError::Protocol(e.to_string());
                                return Some((Err(e), (events, true)));
                            }
                        };
                        let text: String = chunk
                            .choices
                            .into_iter()
                            .filter_map(|c| c.delta.and_then(|d| d.content))
                            .collect();
                        if !text.is_empty() {
                            let delta = Delta {
                                text,
                                since_request: started.elapsed(),
                            };
                            return Some((Ok(delta), (events, false)));
                        }
                    }
                },
            );
            Ok(Box::pin(stream) as DeltaStream)
        })
    }
}

/// Uses `primary`, and `fallback` when the primary cannot start a reply (after its own
/// retries): a second vendor, or a local model behind an OpenAI-compatible server.
pub struct Fallback<P, F> {
    pub primary: P,
    pub fallback: F,
}

impl<P: Llm, F: Llm> Llm for Fallback<P, F> {
    /// Ready when either is: the fallback exists to cover a primary that is down.
    fn check(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            match self.primary.check().await {
                Ok(()) => Ok(()),
                Err(e) => {
                    tracing::warn!(error = %e, "primary LLM not ready; checking the fallback");
                    self.fallback.check().await
                }
            }
        })
    }

    fn reply(&self, messages: &[ChatMessage]) -> BoxFuture<'_, Result<DeltaStream, ProviderError>> {
        let messages = messages.to_vec();
        Box::pin(async move {
            match self.primary.reply(&messages).await {
                Ok(stream) => Ok(stream),
                Err(e) => {
                    tracing::warn!(error = %e, "primary LLM failed; using the fallback");
                    self.fallback.reply(&messages).await
                }
            }
        })
    }
}

/// Asks a configured list of questions in order, word by word; for runs with no LLM.
pub struct Scripted {
    questions: Vec<String>,
    next: Mutex<usize>,
}

impl Scripted {
    pub fn new(questions: Vec<String>) -> Self {
        Self {
            questions,
            next: Mutex::new(0),
        }
    }
}

impl Llm for Scripted {
    fn reply(
        &self,
        _messages: &[ChatMessage],
    ) -> BoxFuture<'_, Result<DeltaStream, ProviderError>> {
        let started = Instant::now();
        let index = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let i = *next;
            *next += 1;
            i
        };
        let text = self
            .questions
            .get(index)
            .cloned()
            .unwrap_or_else(|| "Thank you, that is all my questions.".to_owned());
        let words: Vec<Result<Delta, ProviderError>> = text
            .split_inclusive(' ')
            .map(|w| {
                Ok(Delta {
                    text: w.to_owned(),
                    since_request: started.elapsed(),
                })
            })
            .collect();
        Box::pin(async move { Ok(Box::pin(futures_util::stream::iter(words)) as DeltaStream) })
    }
}

impl<T: Llm + ?Sized> Llm for Box<T> {
    fn reply(&self, messages: &[ChatMessage]) -> BoxFuture<'_, Result<DeltaStream, ProviderError>> {
        (**self).reply(messages)
    }

    fn check(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        (**self).check()
    }
}
