//! The agent's side of control-api's internal endpoints (`/api/v1/internal/interviews/...`,
//! `Authorization: Bearer SERVICE_TOKEN`): the interview's context, appending transcript
//! turns, reading the state a re-dispatched agent resumes from, events (nudges), and the
//! delivery timeline and summary.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use contract::agent::{AgentEnd, AgentEvent, EventKind, NewTurn, Outcome, Phase, Speaker};
use contract::delivery::{DeliverySummary, TimelineBatch};
use serde::Serialize;
use serde_json::Value;

/// A control-api client for one worker (cheap to clone).
#[derive(Clone)]
pub struct ControlApi {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for ControlApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The service token is a secret: never printed.
        f.debug_struct("ControlApi")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl ControlApi {
    /// A client for control-api at `base` (e.g. `http://127.0.0.1:8000`).
    pub fn new(base: &str, token: &str) -> Result<Self> {
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
        })
    }

    fn url(&self, interview: &str, what: &str) -> String {
        format!(
            "{}/api/v1/internal/interviews/{interview}/{what}",
            self.base
        )
    }

    /// Appends one turn.
    pub async fn append_turn(&self, interview: &str, role: Speaker, text: &str) -> Result<()> {
        let body = NewTurn {
            role,
            text: text.to_owned(),
            code: None,
        };
        self.send(reqwest::Method::POST, interview, "transcript", &body)
            .await
    }

    /// Records an event the contract builds ([`AgentEvent::consent`], ...).
    pub async fn record(&self, interview: &str, event: &AgentEvent) -> Result<()> {
        self.send(reqwest::Method::POST, interview, "events", event)
            .await
    }

    /// Records an agent event of `kind` whose `data` is a contract type that encodes as a
    /// JSON object (a nudge).
    pub async fn event(
        &self,
        interview: &str,
        kind: EventKind,
        data: &impl Serialize,
    ) -> Result<()> {
        let data = match serde_json::to_value(data)? {
            Value::Object(map) => map,
            other => anyhow::bail!("event data must be an object, not {other}"),
        };
        let body = AgentEvent::new(kind, data);
        self.send(reqwest::Method::POST, interview, "events", &body)
            .await
    }

    /// Sets the interview's phase.
    pub async fn phase(&self, interview: &str, phase: Phase) -> Result<()> {
        let body = AgentEvent::phase(phase);
        self.send(reqwest::Method::POST, interview, "events", &body)
            .await
    }

    /// Records how the interview ended: completed (the closing words were said), left early
    /// (the candidate left) or failed (with a reason).
    pub async fn end(&self, interview: &str, outcome: Outcome, reason: Option<&str>) -> Result<()> {
        let body = AgentEnd {
            outcome,
            reason: reason.map(str::to_owned),
        };
        self.send(reqwest::Method::POST, interview, "end", &body)
            .await
    }

    /// Appends timeline points (idempotent per session and second).
    pub async fn timeline(&self, interview: &str, batch: &TimelineBatch) -> Result<()> {
        self.send(reqwest::Method::POST, interview, "timeline", batch)
            .await
    }

    /// Stores (or replaces) one session's delivery summary.
    pub async fn delivery(&self, interview: &str, summary: &DeliverySummary) -> Result<()> {
        self.send(reqwest::Method::PUT, interview, "delivery", summary)
            .await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        interview: &str,
        what: &str,
        body: &impl Serialize,
    ) -> Result<()> {
        let response = self
            .http
            .request(method, self.url(interview, what))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .with_context(|| format!("sending {what}"))?;
        ensure!(
            response.status().is_success(),
            "control-api answered {} to {what}",
            response.status()
        );
        Ok(())
    }

    /// What the interview is for: its settings, role, resume and job description.
    pub async fn context(&self, interview: &str) -> Result<contract::context::InterviewContext> {
        let context = self.get(interview, "context").await?;
        serde_json::from_value(context).context("reading the interview context")
    }

    /// The interview's state so far (status, phase, transcript, events).
    pub async fn state(&self, interview: &str) -> Result<contract::agent::InterviewState> {
        let state = self.get(interview, "state").await?;
        serde_json::from_value(state).context("reading the interview state")
    }

    async fn get(&self, interview: &str, what: &str) -> Result<Value> {
        let response = self
            .http
            .get(self.url(interview, what))
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("reading the interview {what}"))?;
        ensure!(
            response.status().is_success(),
            "control-api answered {}",
            response.status()
        );
        Ok(response.json().await?)
    }
}
