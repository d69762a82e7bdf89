//! The LLM side of a reply: one task per request streams tokens back to the shell;
//! cancelling a request aborts its task (dropping the stream closes the HTTP request).

use std::sync::Arc;

use conversation::{Message, RequestId, Role};
use futures_util::StreamExt;
use providers::llm::{ChatMessage, Llm};
use tokio::sync::mpsc;
use tracing::Instrument;

/// What an LLM request produced.
#[derive(Debug)]
pub(crate) enum Thought {
    Token { request: RequestId, token: String },
    Done { request: RequestId },
    Failed { request: RequestId },
}

/// Runs LLM requests for one session, at most one at a time.
pub(crate) struct Thinker {
    llm: Arc<dyn Llm>,
    system_prompt: String,
    tx: mpsc::UnboundedSender<Thought>,
    pub events: mpsc::UnboundedReceiver<Thought>,
    current: Option<(RequestId, tokio::task::JoinHandle<()>)>,
}

impl Thinker {
    pub fn new(llm: Arc<dyn Llm>, system_prompt: String) -> Self {
        let (tx, events) = mpsc::unbounded_channel();
        Self {
            llm,
            system_prompt,
            tx,
            events,
            current: None,
        }
    }

    /// Starts `request` with the conversation so far and, when the conductor decided what
    /// this reply must do, its instruction last (replacing any running request).
    pub fn start(&mut self, request: RequestId, history: &[Message], instruction: Option<&str>) {
        self.cancel_all();
        let mut messages = chat_messages(&self.system_prompt, history);
        if let Some(instruction) = instruction {
            messages.push(ChatMessage {
                role: "system".into(),
                content: format!("Your next reply: {instruction}"),
            });
        }
        let llm = self.llm.clone();
        let tx = self.tx.clone();
        // A child of the job's span: its latency to the first token and to the end.
        let span = tracing::info_span!(
            "llm",
            request,
            first_token_ms = tracing::field::Empty,
            total_ms = tracing::field::Empty
        );
        let started = tokio::time::Instant::now();
        let task = tokio::spawn(
            async move {
                let mut first = true;
                let mut stream = match llm.reply(&messages).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, request, "LLM request failed");
                        let _ = tx.send(Thought::Failed { request });
                        return;
                    }
                };
                while let Some(delta) = stream.next().await {
                    if first {
                        first = false;
                        tracing::Span::current()
                            .record("first_token_ms", started.elapsed().as_millis() as u64);
                    }
                    let event = match delta {
                        Ok(d) => Thought::Token {
                            request,
                            token: d.text,
                        },
                        Err(e) => {
                            tracing::warn!(error = %e, request, "LLM stream broke");
                            let _ = tx.send(Thought::Failed { request });
                            return;
                        }
                    };
                    if tx.send(event).is_err() {
                        return;
                    }
                }
                let total = started.elapsed().as_millis() as u64;
                tracing::Span::current().record("total_ms", total);
                tracing::debug!(total_ms = total, "LLM reply done");
                let _ = tx.send(Thought::Done { request });
            }
            .instrument(span),
        );
        self.current = Some((request, task));
    }

    /// Cancels `request` if it is the running one.
    pub fn cancel(&mut self, request: RequestId) {
        if self.current.as_ref().is_some_and(|(r, _)| *r == request) {
            self.cancel_all();
        }
    }

    fn cancel_all(&mut self) {
        if let Some((_, task)) = self.current.take() {
            task.abort();
        }
    }
}

impl Drop for Thinker {
    fn drop(&mut self) {
        self.cancel_all();
    }
}

/// The OpenAI-shaped conversation: the system prompt, then the history. An interrupted
/// agent message is marked so the model knows the candidate did not hear the rest.
pub(crate) fn chat_messages(system_prompt: &str, history: &[Message]) -> Vec<ChatMessage> {
    let mut out = Vec::with_capacity(history.len() + 1);
    out.push(ChatMessage {
        role: "system".into(),
        content: system_prompt.into(),
    });
    for m in history {
        let (role, content) = match m.role {
            Role::Agent if m.interrupted => ("assistant", format!("{} [interrupted]", m.text)),
            Role::Agent => ("assistant", m.text.clone()),
            Role::Candidate => ("user", m.text.clone()),
        };
        out.push(ChatMessage {
            role: role.into(),
            content,
        });
    }
    out
}
