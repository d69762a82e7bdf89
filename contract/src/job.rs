//! What control-api puts in an agent dispatch's metadata, and the agent reads at job start.

use serde::{Deserialize, Serialize};

/// The metadata of an agent dispatch into an interview's room.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMetadata {
    #[serde(default = "crate::version")]
    pub v: u32,
    /// The interview the room belongs to.
    #[serde(default)]
    pub interview_id: Option<String>,
    /// A second dispatch into a running interview (its agent left without ending it): the
    /// agent resumes where the interview stopped. `resumed` is read as a synonym.
    #[serde(default, alias = "resumed")]
    pub redispatch: bool,
}

impl JobMetadata {
    /// The first dispatch of `interview_id`.
    pub fn first(interview_id: &str) -> Self {
        Self {
            v: crate::VERSION,
            interview_id: Some(interview_id.to_owned()),
            redispatch: false,
        }
    }

    /// A re-dispatch of `interview_id`.
    pub fn again(interview_id: &str) -> Self {
        Self {
            redispatch: true,
            ..Self::first(interview_id)
        }
    }

    /// The JSON text LiveKit carries.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads metadata; anything unreadable (not JSON, a newer version) is no metadata.
    pub fn parse(text: &str) -> Self {
        serde_json::from_str::<Self>(text)
            .ok()
            .filter(|m| crate::readable(m.v))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_and_tolerates_the_unknown() {
        let again = JobMetadata::again("i1");
        assert_eq!(JobMetadata::parse(&again.to_json()), again);
        assert!(JobMetadata::parse(r#"{"interview_id":"i1","resumed":true,"x":1}"#).redispatch);
        assert_eq!(JobMetadata::parse("not json"), JobMetadata::default());
        assert_eq!(
            JobMetadata::parse(r#"{"v":99,"interview_id":"i1"}"#).interview_id,
            None,
            "a newer version is refused"
        );
    }
}
