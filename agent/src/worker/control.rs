//! The agent's side of control-api's internal endpoints (`/api/v1/internal/interviews/...`,
//! `Authorization: Bearer SERVICE_TOKEN`): appending transcript turns and reading the state
//! a re-dispatched agent resumes from.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};

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

    /// Appends one turn (`role` is `interviewer` or `candidate`).
    pub async fn append_turn(&self, interview: &str, role: &str, text: &str) -> Result<()> {
        let response = self
            .http
            .post(self.url(interview, "transcript"))
            .bearer_auth(&self.token)
            .json(&json!({"role": role, "text": text}))
            .send()
            .await
            .context("posting a transcript turn")?;
        ensure!(
            response.status().is_success(),
            "control-api answered {}",
            response.status()
        );
        Ok(())
    }

    /// The interview's state so far (status, phase, transcript, events).
    pub async fn state(&self, interview: &str) -> Result<Value> {
        let response = self
            .http
            .get(self.url(interview, "state"))
            .bearer_auth(&self.token)
            .send()
            .await
            .context("reading the interview state")?;
        ensure!(
            response.status().is_success(),
            "control-api answered {}",
            response.status()
        );
        Ok(response.json().await?)
    }
}
