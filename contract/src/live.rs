//! What the agent tells the room about the interview itself (besides LiveKit's own
//! `lk.agent.state` and `lk.transcription`), for the candidate's page and any client.

use serde::{Deserialize, Serialize};

/// The interview's phase and time left, on [`crate::topics::PHASE`]: sent by the agent at
/// every phase change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseMessage {
    /// Contract version.
    #[serde(default = "crate::version")]
    pub v: u32,
    /// `opening`, `background`, `technical`, `behavioral`, `coding`,
    /// `candidate_questions` or `wrap_up`.
    pub phase: String,
    /// Seconds left of the interview's planned duration.
    pub remaining_s: f64,
    /// The planned duration, seconds.
    pub duration_s: f64,
}

/// The interview is over, on [`crate::topics::END`]: sent by the agent after its last words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndMessage {
    /// Contract version.
    #[serde(default = "crate::version")]
    pub v: u32,
    /// How it ended: `completed` (the closing words were said) or `failed` (a provider
    /// stayed down and the candidate was told so).
    pub outcome: crate::agent::Outcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_end_message_reads_its_outcome_and_refuses_an_unknown_one() {
        let m: EndMessage =
            serde_json::from_str(r#"{"v":1,"outcome":"completed","extra":true}"#).expect("an end");
        assert_eq!(m.outcome, crate::agent::Outcome::Completed);
        assert_eq!(
            serde_json::to_string(&EndMessage {
                v: crate::VERSION,
                outcome: crate::agent::Outcome::Failed
            })
            .expect("json"),
            r#"{"v":1,"outcome":"failed"}"#
        );
        assert!(serde_json::from_str::<EndMessage>(r#"{"outcome":"paused"}"#).is_err());
    }

    #[test]
    fn reads_without_version_and_ignores_unknown_fields() {
        let m: PhaseMessage = serde_json::from_str(
            r#"{"phase":"coding","remaining_s":30.5,"duration_s":60,"extra":1}"#,
        )
        .expect("a phase message");
        assert_eq!((m.v, m.phase.as_str()), (crate::VERSION, "coding"));
    }
}
