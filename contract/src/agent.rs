//! What the agent sends control-api's internal endpoints while an interview runs: transcript
//! turns, events (phase changes among them, typed payloads for the rest) and how the
//! interview ended; and the interview's state, which an agent dispatched again reads. Both sides build
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

/// A role other than `interviewer` or `candidate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSpeaker(pub String);

impl std::fmt::Display for UnknownSpeaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown transcript role {:?}", self.0)
    }
}

impl std::error::Error for UnknownSpeaker {}

impl TryFrom<String> for Speaker {
    type Error = UnknownSpeaker;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "interviewer" => Ok(Self::Interviewer),
            "candidate" => Ok(Self::Candidate),
            _ => Err(UnknownSpeaker(value)),
        }
    }
}

/// A stored transcript turn, as `GET /internal/interviews/{id}/state` lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredTurn {
    /// The turn's number in its interview, from 1: its id for references.
    pub turn: i64,
    pub role: Speaker,
    pub text: String,
    /// Code the candidate submitted with this turn.
    #[serde(default)]
    pub code: Option<String>,
    /// The code's language, on submissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// When it was stored (RFC 3339).
    pub at: String,
}

/// The interview so far (`GET /internal/interviews/{id}/state`): what an agent dispatched
/// again after a crash resumes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Named apart from control-api's public `InterviewState` in the OpenAPI document.
#[cfg_attr(feature = "openapi", schema(as = AgentState))]
pub struct InterviewState {
    pub status: String,
    pub phase: String,
    pub dispatch_count: i64,
    pub transcript: Vec<StoredTurn>,
    /// The events recorded so far, as stored (each with `type`, `phase`, `data`, `at`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub events: Vec<Value>,
    /// The final report, null until one is stored.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub report: Option<Value>,
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

/// The payload of the conductor's and the session's own events: which fields are set
/// depends on the kind (see [`EventKind`]); unset fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventData {
    /// `consent`: whether the candidate agreed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<bool>,
    /// `question`: the question asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// `question`: the skill it probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill: Option<String>,
    /// `declined`, `ended`, `provider_failure`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `provider_failure`, `provider_degraded`: which provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// `provider_degraded`: what took over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

/// The agent's providers, as events name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Stt,
    Llm,
    Tts,
}

impl AgentEvent {
    /// The candidate's answer to the disclosure.
    pub fn consent(given: bool) -> Self {
        Self::with(
            EventKind::Consent,
            EventData {
                consent: Some(given),
                ..EventData::default()
            },
        )
    }

    /// A question asked, with the skill it probes.
    pub fn question(question: &str, skill: Option<&str>) -> Self {
        Self::with(
            EventKind::Question,
            EventData {
                question: Some(question.to_owned()),
                skill: skill.map(str::to_owned),
                ..EventData::default()
            },
        )
    }

    /// An event of `kind` (`declined`, `ended`) with its `reason`.
    pub fn because(kind: EventKind, reason: &str) -> Self {
        Self::with(
            kind,
            EventData {
                reason: Some(reason.to_owned()),
                ..EventData::default()
            },
        )
    }

    /// `provider` failed for good: the interview ends.
    pub fn provider_failure(provider: Provider, reason: &str) -> Self {
        Self::with(
            EventKind::ProviderFailure,
            EventData {
                provider: Some(provider),
                reason: Some(reason.to_owned()),
                ..EventData::default()
            },
        )
    }

    /// `provider` failed and `fallback` took over.
    pub fn provider_degraded(provider: Provider, fallback: &str) -> Self {
        Self::with(
            EventKind::ProviderDegraded,
            EventData {
                provider: Some(provider),
                fallback: Some(fallback.to_owned()),
                ..EventData::default()
            },
        )
    }

    fn with(kind: EventKind, data: EventData) -> Self {
        let data = match serde_json::to_value(data) {
            Ok(Value::Object(map)) => map,
            // A struct of options and strings always encodes as an object.
            _ => Map::new(),
        };
        Self::new(kind, data)
    }

    /// The payload read as [`EventData`] (fields of other payloads are ignored).
    pub fn event_data(&self) -> Option<EventData> {
        let data = self.data.clone()?;
        serde_json::from_value(Value::Object(data)).ok()
    }

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

    #[test]
    fn event_payloads_carry_only_their_fields() {
        let event = AgentEvent::question("Tell me about Rust.", Some("rust"));
        let text = serde_json::to_string(&event).expect("encode");
        assert_eq!(
            text,
            r#"{"type":"question","data":{"question":"Tell me about Rust.","skill":"rust"}}"#
        );
        let back: AgentEvent = serde_json::from_str(&text).expect("decode");
        assert_eq!(
            back.event_data().and_then(|d| d.skill).as_deref(),
            Some("rust")
        );
        let failure = AgentEvent::provider_failure(Provider::Stt, "gave up");
        assert_eq!(
            serde_json::to_value(&failure).expect("encode")["data"],
            serde_json::json!({"provider": "stt", "reason": "gave up"})
        );
        assert_eq!(
            AgentEvent::consent(false)
                .event_data()
                .and_then(|d| d.consent),
            Some(false)
        );
    }

    #[test]
    fn the_state_reads_typed_turns_and_refuses_unknown_roles() {
        let text = r#"{"status":"in_progress","phase":"technical","dispatch_count":2,
            "transcript":[{"turn":1,"role":"interviewer","text":"Hi.","code":null,"at":"t"},
                          {"turn":2,"role":"candidate","text":"Hello.","code":null,"at":"t","x":1}],
            "events":[],"report":null}"#;
        let state: InterviewState = serde_json::from_str(text).expect("state");
        assert_eq!(state.transcript[1].role, Speaker::Candidate);
        assert_eq!(state.report, None);
        let odd = text.replace(r#""role":"candidate""#, r#""role":"observer""#);
        assert!(serde_json::from_str::<InterviewState>(&odd).is_err());
        assert_eq!(
            Speaker::try_from("interviewer".to_owned()),
            Ok(Speaker::Interviewer)
        );
        assert!(Speaker::try_from("Interviewer".to_owned()).is_err());
    }
}
