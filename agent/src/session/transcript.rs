//! Engine transcript segments and states as the room's `lk.transcription` text streams and
//! `lk.agent.state` values.

use conversation::{Side, TranscriptSegment};

use crate::transport::{AgentState, Transcription};

/// The text stream for one segment. The candidate's words are sent on their behalf, with
/// their track as the transcribed track; segment ids are stable per turn and side, so
/// interim and final texts of one turn share one id.
pub(crate) fn to_transcription(
    segment: &TranscriptSegment,
    candidate: Option<&(String, String)>,
    agent_track: &str,
) -> Transcription {
    let (prefix, track_sid, on_behalf_of) = match segment.id.side {
        Side::Agent => ("SG_agent", agent_track.to_owned(), None),
        Side::Candidate => (
            "SG_candidate",
            candidate.map(|(_, t)| t.clone()).unwrap_or_default(),
            candidate.map(|(id, _)| id.clone()),
        ),
    };
    Transcription {
        segment_id: format!("{prefix}_{}", segment.id.index),
        track_sid,
        text: segment.text.clone(),
        is_final: segment.is_final,
        on_behalf_of,
    }
}

/// The transport's spelling of an engine state.
pub(crate) fn agent_state(state: conversation::AgentState) -> AgentState {
    match state {
        conversation::AgentState::Initializing => AgentState::Initializing,
        conversation::AgentState::Idle => AgentState::Idle,
        conversation::AgentState::Listening => AgentState::Listening,
        conversation::AgentState::Thinking => AgentState::Thinking,
        conversation::AgentState::Speaking => AgentState::Speaking,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use conversation::SegmentId;

    #[test]
    fn candidate_segments_are_sent_on_their_behalf() {
        let segment = TranscriptSegment {
            id: SegmentId {
                side: Side::Candidate,
                index: 3,
            },
            text: "I built a compiler.".into(),
            is_final: true,
        };
        let candidate = ("cand".to_owned(), "TR_mic".to_owned());
        let t = to_transcription(&segment, Some(&candidate), "TR_agent");
        assert_eq!(t.segment_id, "SG_candidate_3");
        assert_eq!(
            (t.track_sid.as_str(), t.on_behalf_of.as_deref()),
            ("TR_mic", Some("cand"))
        );
        let agent = TranscriptSegment {
            id: SegmentId {
                side: Side::Agent,
                index: 3,
            },
            ..segment
        };
        let t = to_transcription(&agent, Some(&candidate), "TR_agent");
        assert_eq!(
            (t.segment_id.as_str(), t.on_behalf_of),
            ("SG_agent_3", None)
        );
    }
}
