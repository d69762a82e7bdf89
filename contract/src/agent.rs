//! What the agent sends control-api's internal endpoints while an interview runs: transcript
//! turns, events (phase changes among them) and how the interview ended. Both sides build
//! these bodies from this module; control-api documents them in its OpenAPI document.
//! Unknown fields are ignored (the crate's rule); unknown enum values are refused.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who said a transcript turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Interviewer,
    Candidate,
}

impl Speaker {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interviewer => "interviewer",
            Self::Candidate => "candidate",
        }
    }
}

/// One transcript turn (`POST /internal/interviews/{id}/transcript`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTurn {
    pub role: Speaker,
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub text: String,
    /// Code the candidate submitted with this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 50000))]
    pub code: Option<String>,
}

/// The interview's phases, in the order the conductor runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Opening,
    Background,
    Technical,
    Behavioral,
    Coding,
    CandidateQuestions,
    WrapUp,
}

impl Phase {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opening => "opening",
            Self::Background => "background",
            Self::Technical => "technical",
            Self::Behavioral => "behavioral",
            Self::Coding => "coding",
            Self::CandidateQuestions => "candidate_questions",
            Self::WrapUp => "wrap_up",
        }
    }
}

/// What an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A metrics sample.
    Metrics,
    /// A coaching nudge shown to the candidate.
    Nudge,
    /// The candidate's spoken answer to the disclosure (`data.consent`).
    Consent,
    /// A question asked (`data.question`, `data.skill`).
    Question,
    /// A manipulation attempt declined (`data.reason`).
    Declined,
    /// The conductor ended the interview (`data.reason`).
    Ended,
    /// A provider failed for good and the interview ends.
    ProviderFailure,
    /// A provider failed and a fallback took over (`data.provider`, `data.fallback`).
    ProviderDegraded,
    /// The phase changed (`phase` set).
    Phase,
}

impl EventKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Metrics => "metrics",
            Self::Nudge => "nudge",
            Self::Consent => "consent",
            Self::Question => "question",
            Self::Declined => "declined",
            Self::Ended => "ended",
            Self::ProviderFailure => "provider_failure",
            Self::ProviderDegraded => "provider_degraded",
            Self::Phase => "phase",
        }
    }
}

/// One event (`POST /internal/interviews/{id}/events`): `phase` is set exactly when
/// `type` is `phase`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentEvent {
    #[serde(rename = "type")]
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// Free-form payload, at most 10 000 bytes as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<Map<String, Value>>,
}

impl AgentEvent {
    /// An event of `kind` with `data`.
    pub fn new(kind: EventKind, data: Map<String, Value>) -> Self {
        Self {
            kind,
            phase: None,
            data: Some(data),
        }
    }

    /// A phase change.
    pub fn phase(phase: Phase) -> Self {
        Self {
            kind: EventKind::Phase,
            phase: Some(phase),
            data: None,
        }
    }
}

/// How an interview ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The interviewer said its closing words.
    Completed,
    /// The candidate left before the close.
    LeftEarly,
    /// A failure ended it (`reason`).
    Failed,
}

impl Outcome {
    /// The stored spelling (the interview's status).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::LeftEarly => "left_early",
            Self::Failed => "failed",
        }
    }
}

/// The end of an interview (`POST /internal/interviews/{id}/end`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentEnd {
    pub outcome: Outcome,
    /// Why, for `failed`; at most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_and_unknown_values_are_refused() {
        for kind in [EventKind::ProviderDegraded, EventKind::Phase] {
            let text = serde_json::to_string(&kind).expect("encode");
            assert_eq!(text, format!("\"{}\"", kind.as_str()));
        }
        let event: AgentEvent =
            serde_json::from_str(r#"{"type":"phase","phase":"candidate_questions","x":1}"#)
                .expect("unknown fields are ignored");
        assert_eq!(event.phase.map(Phase::as_str), Some("candidate_questions"));
        assert!(serde_json::from_str::<AgentEvent>(r#"{"type":"phase","phase":"lunch"}"#).is_err());
        assert!(serde_json::from_str::<NewTurn>(r#"{"role":"observer","text":"hi"}"#).is_err());
        let end: AgentEnd = serde_json::from_str(r#"{"outcome":"left_early"}"#).expect("end");
        assert_eq!(end.outcome.as_str(), "left_early");
    }
}
