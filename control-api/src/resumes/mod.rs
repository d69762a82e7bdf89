//! Resumes: PDF bytes in, text out ([`pdf`]), text structured into seed 001's
//! [`ParsedResume`] ([`sections`], [`contact`], [`dates`]), rows stored per user ([`store`]).
//!
//! **Invariant:** nothing in a PDF can panic or hang a request thread: extraction runs on a
//! blocking thread under `catch_unwind`, a time limit and a small concurrency limit.

pub mod contact;
pub mod dates;
pub mod pdf;
pub mod sections;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A resume structured into sections (seed 001's `ParsedResume`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParsedResume {
    pub contact: ContactInfo,
    #[schema(max_length = 5000)]
    pub summary: Option<String>,
    #[schema(max_items = 100)]
    pub experiences: Vec<Experience>,
    #[schema(max_items = 100)]
    pub education: Vec<Education>,
    #[schema(max_items = 500)]
    pub skills: Vec<String>,
    #[schema(max_items = 200)]
    pub certifications: Vec<String>,
    /// The text extracted from the PDF.
    #[schema(max_length = 500000)]
    pub raw_text: String,
}

/// How the candidate can be reached.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInfo {
    /// The candidate's name; empty when the heuristics found none.
    #[schema(max_length = 500)]
    pub name: String,
    #[schema(max_length = 500)]
    pub email: Option<String>,
    #[schema(max_length = 500)]
    pub phone: Option<String>,
    #[schema(max_length = 500)]
    pub location: Option<String>,
    #[schema(max_length = 500)]
    pub linkedin: Option<String>,
}

/// One position held.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Experience {
    #[schema(max_length = 500)]
    pub company: String,
    #[schema(max_length = 500)]
    pub title: String,
    #[schema(max_length = 500)]
    pub start_date: Option<String>,
    #[schema(max_length = 500)]
    pub end_date: Option<String>,
    #[schema(max_length = 5000)]
    pub description: String,
    #[schema(max_items = 100)]
    pub highlights: Vec<String>,
}

/// One degree or course of study.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Education {
    #[schema(max_length = 500)]
    pub institution: String,
    #[schema(max_length = 500)]
    pub degree: String,
    #[schema(max_length = 500)]
    pub field: Option<String>,
    #[schema(max_length = 500)]
    pub graduation_date: Option<String>,
}

/// Longest short string accepted in an update (names, dates, skills, certifications).
pub const MAX_SHORT: usize = 500;
/// Longest long string accepted in an update (summary, descriptions, highlights).
pub const MAX_LONG: usize = 5000;
/// Longest raw text kept.
pub const MAX_RAW_TEXT: usize = 500_000;

impl ParsedResume {
    /// Checks the limits the document declares; the message names the first offending field.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.contact;
        let mut short: Vec<(&str, &str)> = vec![("contact.name", &c.name)];
        for (name, value) in [
            ("contact.email", &c.email),
            ("contact.phone", &c.phone),
            ("contact.location", &c.location),
            ("contact.linkedin", &c.linkedin),
        ] {
            if let Some(v) = value {
                short.push((name, v));
            }
        }
        let mut long: Vec<(&str, &str)> = Vec::new();
        if let Some(s) = &self.summary {
            long.push(("summary", s));
        }
        check_count("experiences", self.experiences.len(), 100)?;
        check_count("education", self.education.len(), 100)?;
        check_count("skills", self.skills.len(), 500)?;
        check_count("certifications", self.certifications.len(), 200)?;
        for e in &self.experiences {
            short.extend([
                ("experiences.company", &*e.company),
                ("experiences.title", &e.title),
            ]);
            short.extend(
                e.start_date
                    .iter()
                    .map(|d| ("experiences.start_date", d.as_str())),
            );
            short.extend(
                e.end_date
                    .iter()
                    .map(|d| ("experiences.end_date", d.as_str())),
            );
            long.push(("experiences.description", &e.description));
            check_count("experiences.highlights", e.highlights.len(), 100)?;
            long.extend(
                e.highlights
                    .iter()
                    .map(|h| ("experiences.highlights", h.as_str())),
            );
        }
        for e in &self.education {
            short.extend([
                ("education.institution", &*e.institution),
                ("education.degree", &e.degree),
            ]);
            short.extend(e.field.iter().map(|d| ("education.field", d.as_str())));
            short.extend(
                e.graduation_date
                    .iter()
                    .map(|d| ("education.graduation_date", d.as_str())),
            );
        }
        short.extend(self.skills.iter().map(|s| ("skills", s.as_str())));
        short.extend(
            self.certifications
                .iter()
                .map(|s| ("certifications", s.as_str())),
        );
        for (name, value) in short {
            check_len(name, value, MAX_SHORT)?;
        }
        for (name, value) in long {
            check_len(name, value, MAX_LONG)?;
        }
        check_len("raw_text", &self.raw_text, MAX_RAW_TEXT)
    }
}

impl ParsedResume {
    /// Cuts every field and list to the limits [`ParsedResume::validate`] checks, so that what
    /// the heuristics produce can always be sent back unchanged in an update.
    pub fn clamped(mut self) -> Self {
        let c = &mut self.contact;
        cut(&mut c.name, MAX_SHORT);
        for field in [&mut c.email, &mut c.phone, &mut c.location, &mut c.linkedin] {
            field.iter_mut().for_each(|v| cut(v, MAX_SHORT));
        }
        self.summary.iter_mut().for_each(|s| cut(s, MAX_LONG));
        self.experiences.truncate(100);
        for e in &mut self.experiences {
            cut(&mut e.company, MAX_SHORT);
            cut(&mut e.title, MAX_SHORT);
            e.start_date.iter_mut().for_each(|d| cut(d, MAX_SHORT));
            e.end_date.iter_mut().for_each(|d| cut(d, MAX_SHORT));
            cut(&mut e.description, MAX_LONG);
            e.highlights.truncate(100);
            e.highlights.iter_mut().for_each(|h| cut(h, MAX_LONG));
        }
        self.education.truncate(100);
        for e in &mut self.education {
            cut(&mut e.institution, MAX_SHORT);
            cut(&mut e.degree, MAX_SHORT);
            e.field.iter_mut().for_each(|f| cut(f, MAX_SHORT));
            e.graduation_date.iter_mut().for_each(|d| cut(d, MAX_SHORT));
        }
        self.skills.truncate(500);
        self.skills.iter_mut().for_each(|s| cut(s, MAX_SHORT));
        self.certifications.truncate(200);
        self.certifications
            .iter_mut()
            .for_each(|s| cut(s, MAX_SHORT));
        cut(&mut self.raw_text, MAX_RAW_TEXT);
        self
    }
}

/// Truncates `value` to at most `max` characters.
fn cut(value: &mut String, max: usize) {
    if let Some((index, _)) = value.char_indices().nth(max) {
        value.truncate(index);
    }
}

fn check_count(field: &str, count: usize, max: usize) -> Result<(), String> {
    if count > max {
        return Err(format!("{field} may hold at most {max} items"));
    }
    Ok(())
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.chars().count() > max {
        return Err(format!("{field} must be at most {max} characters"));
    }
    Ok(())
}
