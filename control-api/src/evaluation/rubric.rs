//! The rubric an interview is scored against, frozen into the interview when it starts (or,
//! for an interview completed without a start, when it completes), so editing the role later
//! changes no past report.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::roles::Role;

/// What a dimension measures; decides which signals of an answer count for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Focus {
    Communication,
    Technical,
    ProblemSolving,
    Collaboration,
    CodeQuality,
    General,
}

impl Focus {
    /// The focus a dimension's name suggests.
    pub fn of(name: &str) -> Self {
        let n = name.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
        if has(&["code", "coding", "implementation"]) {
            Self::CodeQuality
        } else if has(&["communic", "clarity", "articulat", "presentation"]) {
            Self::Communication
        } else if has(&["problem", "analytic", "reasoning", "design", "architecture"]) {
            Self::ProblemSolving
        } else if has(&[
            "team",
            "collab",
            "leader",
            "behavio",
            "culture",
            "ownership",
        ]) {
            Self::Collaboration
        } else if has(&["technical", "knowledge", "depth", "expertise", "skill"]) {
            Self::Technical
        } else {
            Self::General
        }
    }

    /// What each point of the 1-5 scale means for this focus.
    fn anchors(self) -> [&'static str; 5] {
        match self {
            Self::Communication => [
                "No answer, or answers that cannot be followed",
                "Short or disorganised answers; the point has to be guessed",
                "Answers the question in plain terms, with little structure",
                "Clear, structured answers that explain why, with an example",
                "Precise, well-structured answers with reasons and concrete examples throughout",
            ],
            Self::Technical => [
                "No technical content",
                "Names technologies without saying what was done with them",
                "Describes relevant work with some technical specifics",
                "Specific technical detail on the role's skills: tools, figures, decisions",
                "Deep, specific command of the role's skills with measured outcomes and trade-offs",
            ],
            Self::ProblemSolving => [
                "No approach to a problem is described",
                "States outcomes without any reasoning",
                "Describes an approach with some cause and effect",
                "Explains the reasoning, alternatives or trade-offs behind decisions",
                "Systematic reasoning: constraints, alternatives, trade-offs and measured results",
            ],
            Self::Collaboration => [
                "Nothing about working with others",
                "Mentions others only in passing",
                "Describes working in a team with some specifics",
                "Concrete examples of collaboration, conflict or leadership and their outcome",
                "Several concrete examples of leading, resolving conflict and helping others succeed",
            ],
            Self::CodeQuality => [
                "No code submitted",
                "Code that is fragmentary or does not address the task",
                "Working code with little structure",
                "Structured code with named functions and handled edge cases",
                "Clean, tested code with clear structure and handled edge cases",
            ],
            Self::General => [
                "No relevant evidence",
                "Little relevant evidence, vague",
                "Some relevant evidence with a few specifics",
                "Clear relevant evidence with specifics and reasons",
                "Strong, specific, well-reasoned evidence throughout",
            ],
        }
    }
}

/// One dimension with its anchored scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dimension {
    pub name: String,
    pub weight: f64,
    pub focus: Focus,
    /// `anchors[k]` describes score `k + 1`.
    pub anchors: Vec<String>,
}

impl Dimension {
    /// What `score` (1 to 5) means on this dimension's scale.
    pub fn anchor(&self, score: u8) -> String {
        usize::from(score)
            .checked_sub(1)
            .and_then(|k| self.anchors.get(k))
            .cloned()
            .unwrap_or_default()
    }
}

/// The rubric as frozen into an interview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FrozenRubric {
    /// A hash of the dimensions and skills: equal rubrics have equal versions.
    pub version: String,
    pub dimensions: Vec<Dimension>,
    /// The role's required skills, for the per-skill breakdown.
    pub skills: Vec<String>,
}

/// The dimensions of an interview whose role has no rubric (or which has no role).
const DEFAULT_DIMENSIONS: &[(&str, f64)] = &[
    ("Technical depth", 40.0),
    ("Problem solving", 30.0),
    ("Communication", 30.0),
];

impl FrozenRubric {
    /// The rubric of `role` (its dimensions and skills), or the default dimensions.
    pub fn of(role: Option<&Role>) -> Self {
        let named: Vec<(String, f64)> = match role {
            Some(role) if !role.rubric.is_empty() => role
                .rubric
                .iter()
                .map(|d| (d.name.clone(), d.weight))
                .collect(),
            _ => DEFAULT_DIMENSIONS
                .iter()
                .map(|(n, w)| ((*n).to_owned(), *w))
                .collect(),
        };
        let dimensions: Vec<Dimension> = named
            .into_iter()
            .map(|(name, weight)| {
                let focus = Focus::of(&name);
                Dimension {
                    anchors: focus.anchors().iter().map(|a| (*a).to_owned()).collect(),
                    name,
                    weight,
                    focus,
                }
            })
            .collect();
        let skills: Vec<String> = role
            .map(|r| r.required_skills.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default();
        let canonical = serde_json::json!({"dimensions": dimensions, "skills": skills}).to_string();
        let digest = Sha256::digest(canonical.as_bytes());
        let version = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        Self {
            version,
            dimensions,
            skills,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_a_focus_and_versions_follow_content() {
        assert_eq!(Focus::of("Communication"), Focus::Communication);
        assert_eq!(Focus::of("System design"), Focus::ProblemSolving);
        assert_eq!(Focus::of("Code quality"), Focus::CodeQuality);
        assert_eq!(Focus::of("Teamwork"), Focus::Collaboration);
        assert_eq!(Focus::of("Rust knowledge"), Focus::Technical);
        assert_eq!(Focus::of("Curiosity"), Focus::General);
        let a = FrozenRubric::of(None);
        assert_eq!(a.dimensions.len(), 3);
        assert!(a.dimensions.iter().all(|d| d.anchors.len() == 5));
        assert_eq!(a, FrozenRubric::of(None), "deterministic");
        assert_eq!(a.version.len(), 12);
    }
}
