//! What an interview is for, as the agent reads it at job start from control-api's
//! `GET /internal/interviews/{id}/context`: the interview's settings, its role, the parsed
//! resume and the job description.
//!
//! control-api's answer carries more than this (the whole interview record, the whole
//! parsed resume); these types name the part the agent relies on. Every field has a default,
//! so a context without a role or a resume still reads, and unknown fields are ignored.

use serde::{Deserialize, Serialize};

/// The whole context.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct InterviewContext {
    pub interview: InterviewSettings,
    /// The role the interview is for, if it has one.
    pub role: Option<RoleContext>,
    /// The candidate's parsed resume, if one was attached.
    pub resume: Option<ResumeContext>,
    /// The job description given with the interview, if any.
    pub job_description: Option<String>,
}

/// The interview's own settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct InterviewSettings {
    pub id: String,
    /// BCP 47 language tag; `en` when not set.
    pub language: String,
    pub duration_minutes: i64,
    pub candidate_name: Option<String>,
    pub job_description: Option<String>,
    /// Free-form options; the agent reads `nudges` (`false` turns coaching nudges off).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub interview_config: serde_json::Value,
}

impl Default for InterviewSettings {
    fn default() -> Self {
        Self {
            id: String::new(),
            language: "en".to_owned(),
            duration_minutes: 30,
            candidate_name: None,
            job_description: None,
            interview_config: serde_json::Value::Null,
        }
    }
}

impl InterviewSettings {
    /// The language's primary subtag, lower case (`en` when empty).
    pub fn language_code(&self) -> String {
        let code = self
            .language
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if code.is_empty() {
            "en".to_owned()
        } else {
            code
        }
    }

    /// Whether coaching nudges are on (they are unless `interview_config.nudges` is `false`).
    pub fn nudges(&self) -> bool {
        self.interview_config["nudges"] != serde_json::Value::Bool(false)
    }
}

/// The role: its skills, interview structure and rubric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RoleContext {
    pub name: String,
    pub description: Option<String>,
    pub required_skills: Vec<SkillContext>,
    pub interview_structure: StructureContext,
    pub rubric: Vec<RubricContext>,
}

/// A skill the role requires.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SkillContext {
    pub name: String,
    pub level: String,
}

/// How many questions each phase has (the role's question plan).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct StructureContext {
    pub technical: u32,
    pub behavioral: u32,
    pub coding: u32,
}

/// A rubric dimension and its weight.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RubricContext {
    pub name: String,
    pub weight: f64,
}

/// The parts of a parsed resume the interviewer probes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ResumeContext {
    pub summary: Option<String>,
    pub experiences: Vec<ExperienceContext>,
    pub skills: Vec<String>,
}

/// One position on the resume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ExperienceContext {
    pub company: String,
    pub title: String,
    pub description: String,
    pub highlights: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_context_reads_with_defaults_and_unknown_fields_are_ignored() {
        let context: InterviewContext = serde_json::from_value(serde_json::json!({
            "interview": {"id": "i1", "status": "in_progress", "language": "es-MX",
                          "interview_config": {"nudges": false}},
            "role": null, "resume": null, "plan": {"technical": 3}
        }))
        .expect("reads");
        assert_eq!(context.interview.language_code(), "es");
        assert!(!context.interview.nudges());
        assert_eq!(context.interview.duration_minutes, 30);
        assert!(context.role.is_none() && context.resume.is_none());
        assert!(InterviewSettings::default().nudges());
        assert_eq!(InterviewSettings::default().language_code(), "en");
    }
}
