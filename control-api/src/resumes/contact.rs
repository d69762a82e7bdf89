//! Contact details (name, email, phone, location, LinkedIn) from a resume's first lines.

use super::ContactInfo;

/// Contact details from the preamble (falling back to the whole text), and the preamble
/// lines that are not contact details (an untitled summary).
pub fn extract<'a>(preamble: &[&'a str], all: &[String]) -> (ContactInfo, Vec<&'a str>) {
    let mut info = ContactInfo::default();
    let mut intro = Vec::new();
    for (index, line) in preamble.iter().enumerate() {
        let mut contact_line = false;
        for part in segments(line) {
            if let Some(email) = email(part) {
                info.email.get_or_insert(email);
                contact_line = true;
            } else if part.to_lowercase().contains("linkedin.com") {
                info.linkedin.get_or_insert_with(|| url(part));
                contact_line = true;
            } else if is_phone(part) {
                info.phone.get_or_insert_with(|| part.to_owned());
                contact_line = true;
            } else if is_location(part) {
                info.location.get_or_insert_with(|| part.to_owned());
                contact_line = true;
            } else if part.contains("http") || part.contains("github.com") || part.contains("www.")
            {
                contact_line = true;
            }
        }
        if contact_line {
            continue;
        }
        if info.name.is_empty() && index < 3 && is_name(line) {
            info.name = (*line).to_owned();
        } else if index > 0 {
            intro.push(*line);
        }
    }
    for line in all {
        for part in segments(line) {
            if info.email.is_none() {
                info.email = email(part);
            }
            if info.linkedin.is_none() && part.to_lowercase().contains("linkedin.com") {
                info.linkedin = Some(url(part));
            }
        }
    }
    (info, intro)
}

/// A line's parts between the usual contact separators.
fn segments(line: &str) -> impl Iterator<Item = &str> {
    line.split(['|', '•', '·', '◦', '⋅', '\t'])
        .flat_map(|s| s.split("  "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn email(part: &str) -> Option<String> {
    part.split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, ',' | ';' | '<' | '>' | '(' | ')')))
        .map(|w| w.trim_start_matches("mailto:"))
        .find(|w| {
            w.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !domain.starts_with('.')
            })
        })
        .map(str::to_owned)
}

fn url(part: &str) -> String {
    let word = part
        .split_whitespace()
        .find(|w| w.to_lowercase().contains("linkedin.com"))
        .unwrap_or(part);
    if word.starts_with("http") {
        word.to_owned()
    } else {
        format!("https://{word}")
    }
}

fn is_phone(part: &str) -> bool {
    let digits = part.chars().filter(char::is_ascii_digit).count();
    let allowed = part
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c) || c == 'x');
    allowed && (7..=15).contains(&digits)
}

/// `San Francisco, CA`, `Berlin, Germany`: short, comma-separated, capitalised, no digits.
fn is_location(part: &str) -> bool {
    let words: Vec<&str> = part.split_whitespace().collect();
    part.contains(',')
        && words.len() <= 5
        && !part.chars().any(|c| c.is_ascii_digit() || c == '@')
        && words.iter().all(|w| w.chars().next().is_some_and(capital))
}

/// One to five words, no digits, starting with a capital or, in scripts without case (Han,
/// Hangul, kana, Arabic ...), with any letter.
fn is_name(line: &str) -> bool {
    let words = line.split_whitespace().count();
    (1..=5).contains(&words)
        && !line
            .chars()
            .any(|c| c.is_numeric() || c == '@' || c == ':' || c == '：')
        && line.chars().next().is_some_and(capital)
}

/// An upper-case letter, or a letter of a script without case.
fn capital(c: char) -> bool {
    c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase())
}
