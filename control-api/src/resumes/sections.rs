//! Section heuristics: resume text (as extracted from a PDF) into a [`ParsedResume`].
//!
//! Lines are split into a preamble (name and contact) and sections recognised by their
//! headings (`Experience`, `EDUCATION`, `Technical Skills:` ...). Inside a section, bullets
//! (`•`, `-`, `*` ...) are highlights, date ranges delimit positions, and keywords tell a
//! job title from a company and a degree from an institution. Everything is best effort: an
//! unrecognised resume still yields its `raw_text` and whatever was found.

use super::{Education, Experience, MAX_RAW_TEXT, ParsedResume};
use super::{contact, dates};

/// The kinds of section a heading can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Summary,
    Experience,
    Education,
    Skills,
    Certifications,
    /// Projects, awards, interests ...: recognised so they do not leak into other sections.
    Other,
}

/// Structures `raw_text` into a [`ParsedResume`]; never fails.
pub fn parse(raw_text: &str) -> ParsedResume {
    // The first line keeps its indentation: it places the line in a column layout.
    let source: String = raw_text
        .trim_start_matches(['\r', '\n'])
        .chars()
        .take(MAX_RAW_TEXT)
        .collect();
    let raw_text: String = raw_text.trim().chars().take(MAX_RAW_TEXT).collect();
    let raw_lines: Vec<&str> = source.lines().collect();
    let lines: Vec<String> = reflow_columns(&raw_lines)
        .iter()
        .map(|l| squeeze(l))
        .filter(|l| !l.is_empty())
        .collect();
    let (preamble, sections) = split_sections(&lines);
    let (contact, intro) = contact::extract(&preamble, &lines);
    let mut parsed = ParsedResume {
        contact,
        raw_text: raw_text.clone(),
        ..ParsedResume::default()
    };
    for (kind, body) in sections {
        match kind {
            Section::Summary => parsed.summary = non_empty(body.join(" ")),
            Section::Experience => parsed.experiences.extend(experiences(&body)),
            Section::Education => parsed.education.extend(education(&body)),
            Section::Skills => parsed.skills.extend(skills(&body)),
            Section::Certifications => parsed.certifications.extend(list_items(&body)),
            Section::Other => {}
        }
    }
    if parsed.summary.is_none() {
        parsed.summary = non_empty(intro.join(" "));
    }
    dedup(&mut parsed.skills);
    unwiden(&mut parsed);
    parsed.clamped()
}

fn non_empty(text: String) -> Option<String> {
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Collapses each run of whitespace to one space, except a wide gap (a tab, or three spaces
/// and more: table cells, or text set apart on the line) which becomes one tab.
fn squeeze(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut gap = String::new();
    for c in line.trim().chars() {
        if c.is_whitespace() {
            gap.push(c);
            continue;
        }
        if !gap.is_empty() {
            out.push(if is_wide(&gap) { '\t' } else { ' ' });
            gap.clear();
        }
        out.push(c);
    }
    out
}

fn is_wide(gap: &str) -> bool {
    gap.contains('\t') || gap.chars().count() >= 3
}

/// Wide gaps told cells apart while parsing; in the free text they are plain spaces.
fn unwiden(parsed: &mut ParsedResume) {
    let plain = |text: &mut String| {
        if text.contains('\t') {
            *text = text.replace('\t', " ");
        }
    };
    plain(&mut parsed.contact.name);
    for field in [
        &mut parsed.contact.location,
        &mut parsed.contact.phone,
        &mut parsed.summary,
    ] {
        field.iter_mut().for_each(plain);
    }
    for e in &mut parsed.experiences {
        plain(&mut e.company);
        plain(&mut e.title);
        plain(&mut e.description);
        e.highlights.iter_mut().for_each(plain);
    }
    for e in &mut parsed.education {
        plain(&mut e.institution);
        plain(&mut e.degree);
        e.field.iter_mut().for_each(plain);
    }
    parsed.skills.iter_mut().for_each(plain);
    parsed.certifications.iter_mut().for_each(plain);
}

/// How a line sits against the gutter of a two-column layout.
enum Placed<'a> {
    Blank,
    /// Text across the gutter: a full-width line.
    Across,
    Left(&'a str),
    Right(&'a str),
    Both(&'a str, &'a str),
}

/// Where in a line (in characters) a two-column layout's gutter is looked for, at most.
const MAX_GUTTER: usize = 300;

/// Puts the two columns of a two-column layout one after the other.
///
/// A layout-preserving extraction gives such a page row by row, each line holding a bit of
/// the left column, a wide gap, and a bit of the right one. The gutter is the character
/// position most often inside a wide gap between text; the lines that leave it free, between
/// lines that cross it, form a block. A block is read as two columns, left then right, when
/// several of its lines have text on both sides and the right side opens a section with a
/// heading of its own, which tells a sidebar layout from a table or right-aligned dates.
fn reflow_columns(lines: &[&str]) -> Vec<String> {
    let Some(gutter) = gutter(lines) else {
        return lines.iter().map(|l| (*l).to_owned()).collect();
    };
    let placed: Vec<Placed> = lines.iter().map(|l| place(l, gutter)).collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut start = 0;
    while start < lines.len() {
        if matches!(placed[start], Placed::Across) {
            out.push(lines[start].to_owned());
            start += 1;
            continue;
        }
        let end = placed[start..]
            .iter()
            .position(|p| matches!(p, Placed::Across))
            .map_or(lines.len(), |n| start + n);
        let block = &placed[start..end];
        let both = block
            .iter()
            .filter(|p| matches!(p, Placed::Both(..)))
            .count();
        let right_heading = block.iter().any(|p| match p {
            Placed::Right(r) | Placed::Both(_, r) => {
                heading(&squeeze(r)).is_some_and(|(_, inline)| inline.is_empty())
            }
            _ => false,
        });
        if both >= 2 && right_heading {
            for p in block {
                if let Placed::Left(l) | Placed::Both(l, _) = p {
                    out.push((*l).to_owned());
                }
            }
            for p in block {
                if let Placed::Right(r) | Placed::Both(_, r) = p {
                    out.push((*r).to_owned());
                }
            }
        } else {
            out.extend(lines[start..end].iter().map(|l| (*l).to_owned()));
        }
        start = end;
    }
    out
}

/// The character position most often inside a wide gap with text on both sides (at least
/// three lines, and not at the very start of the line); the rightmost such position on a tie.
fn gutter(lines: &[&str]) -> Option<usize> {
    let mut cover = vec![0i64; MAX_GUTTER + 1];
    for line in lines {
        let chars: Vec<char> = line.chars().take(MAX_GUTTER).collect();
        let first_text = chars.iter().position(|c| !c.is_whitespace());
        let mut at = first_text.unwrap_or(chars.len());
        while at < chars.len() {
            let Some(gap_len) = chars[at..].iter().position(|c| c.is_whitespace()) else {
                break;
            };
            let gap_start = at + gap_len;
            let Some(text_len) = chars[gap_start..].iter().position(|c| !c.is_whitespace()) else {
                break;
            };
            let gap_end = gap_start + text_len;
            let gap: String = chars[gap_start..gap_end].iter().collect();
            if is_wide(&gap) {
                cover[gap_start] += 1;
                cover[gap_end] -= 1;
            }
            at = gap_end;
        }
    }
    let mut best: Option<(usize, i64)> = None;
    let mut running = 0;
    for (position, delta) in cover.iter().enumerate().take(MAX_GUTTER) {
        running += delta;
        if position >= 8 && running >= 3 && best.is_none_or(|(_, count)| running >= count) {
            best = Some((position, running));
        }
    }
    best.map(|(position, _)| position)
}

fn place(line: &str, gutter: usize) -> Placed<'_> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    if chars.iter().all(|(_, c)| c.is_whitespace()) {
        return Placed::Blank;
    }
    let Some(&(_, at_gutter)) = chars.get(gutter) else {
        return Placed::Left(line);
    };
    if !at_gutter.is_whitespace() {
        return Placed::Across;
    }
    let gap_start = chars[..gutter]
        .iter()
        .rposition(|(_, c)| !c.is_whitespace())
        .map_or(0, |i| i + 1);
    let Some(gap_end) = chars[gutter..]
        .iter()
        .position(|(_, c)| !c.is_whitespace())
        .map(|i| gutter + i)
    else {
        return Placed::Left(line);
    };
    let byte = |i: usize| chars.get(i).map_or(line.len(), |(b, _)| *b);
    let right = &line[byte(gap_end)..];
    if gap_start == 0 {
        return Placed::Right(right);
    }
    let gap = &line[byte(gap_start)..byte(gap_end)];
    if is_wide(gap) {
        Placed::Both(&line[..byte(gap_start)], right)
    } else {
        Placed::Across
    }
}

/// The lines before the first heading, and each section's lines.
fn split_sections(lines: &[String]) -> (Vec<&str>, Vec<(Section, Vec<&str>)>) {
    let mut preamble = Vec::new();
    let mut sections: Vec<(Section, Vec<&str>)> = Vec::new();
    for line in lines {
        // Inside Skills, `Languages: Rust, Go` is a labelled group, not a new section.
        let in_skills = sections.last().is_some_and(|(k, _)| *k == Section::Skills);
        match heading(line).filter(|(_, inline)| !in_skills || inline.is_empty()) {
            Some((kind, inline)) => {
                let mut body = Vec::new();
                if !inline.is_empty() {
                    body.push(inline);
                }
                sections.push((kind, body));
            }
            None => match sections.last_mut() {
                Some((_, body)) => body.push(line),
                None => preamble.push(line.as_str()),
            },
        }
    }
    (preamble, sections)
}

/// Whether `line` is a section heading; `Skills: Rust, Go` is a heading with inline content.
fn heading(line: &str) -> Option<(Section, &str)> {
    let (head, inline) = match line.split_once(':') {
        Some((head, rest)) => (head, rest.trim()),
        None => (line, ""),
    };
    let key: String = head
        .chars()
        .filter(|c| c.is_alphabetic() || c.is_whitespace() || *c == '&')
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if key.split(' ').count() > 4 {
        return None;
    }
    let kind = match key.as_str() {
        "summary"
        | "professional summary"
        | "career summary"
        | "profile"
        | "professional profile"
        | "objective"
        | "career objective"
        | "about"
        | "about me"
        | "overview" => Section::Summary,
        "experience"
        | "work experience"
        | "professional experience"
        | "employment"
        | "employment history"
        | "work history"
        | "career history"
        | "relevant experience"
        | "experience & projects" => Section::Experience,
        "education"
        | "academic background"
        | "education & training"
        | "education and training"
        | "academics"
        | "qualifications" => Section::Education,
        "skills"
        | "technical skills"
        | "core skills"
        | "key skills"
        | "core competencies"
        | "competencies"
        | "technologies"
        | "skills & tools"
        | "skills and tools"
        | "tools"
        | "expertise"
        | "tech stack"
        | "skills & technologies" => Section::Skills,
        "certifications"
        | "certificates"
        | "certification"
        | "licenses & certifications"
        | "licenses and certifications"
        | "licenses"
        | "courses & certifications" => Section::Certifications,
        "projects" | "publications" | "awards" | "honors" | "honors & awards" | "languages"
        | "interests" | "hobbies" | "volunteer" | "volunteering" | "references" | "activities"
        | "achievements" => Section::Other,
        _ => return None,
    };
    Some((kind, inline))
}

/// A bullet line's text without its marker.
fn bullet(line: &str) -> Option<&str> {
    const MARKERS: [char; 9] = ['•', '-', '*', '▪', '◦', '‣', '–', '●', '○'];
    let first = line.chars().next()?;
    MARKERS
        .contains(&first)
        .then(|| line[first.len_utf8()..].trim())
        .filter(|rest| !rest.is_empty())
}

#[derive(Default)]
struct Draft {
    header: Vec<String>,
    start: Option<String>,
    end: Option<String>,
    description: Vec<String>,
    highlights: Vec<String>,
}

fn experiences(body: &[&str]) -> Vec<Experience> {
    let mut drafts: Vec<Draft> = Vec::new();
    for line in body {
        if let Some(text) = bullet(line) {
            if drafts.is_empty() {
                drafts.push(Draft::default());
            }
            if let Some(draft) = drafts.last_mut() {
                draft.highlights.push(text.to_owned());
            }
            continue;
        }
        let dated = dates::split(line);
        let continuation = line.chars().next().is_some_and(char::is_lowercase);
        let new_entry = match drafts.last() {
            None => true,
            Some(d) if !d.highlights.is_empty() => !continuation,
            Some(d) => dated.start.is_some() && d.start.is_some(),
        };
        if new_entry {
            drafts.push(Draft::default());
        }
        let Some(draft) = drafts.last_mut() else {
            continue;
        };
        if continuation && let Some(last) = draft.highlights.last_mut() {
            last.push(' ');
            last.push_str(line);
            continue;
        }
        if dated.start.is_some() && draft.start.is_none() {
            draft.start = dated.start;
            draft.end = dated.end;
        }
        if dated.rest.is_empty() {
            continue;
        }
        if draft.header.len() < 2 && (draft.header.is_empty() || draft.description.is_empty()) {
            draft.header.push(dated.rest);
        } else {
            draft.description.push(dated.rest);
        }
    }
    drafts
        .into_iter()
        .filter(|d| !d.header.is_empty() || !d.highlights.is_empty())
        .map(|d| {
            let (title, company, extra) = title_and_company(&d.header);
            let mut description = extra;
            description.extend(d.description);
            Experience {
                company,
                title,
                start_date: d.start,
                end_date: d.end,
                description: description.join(" "),
                highlights: d.highlights,
            }
        })
        .collect()
}

/// Splits header lines into parts and picks the part that reads like a job title.
fn title_and_company(header: &[String]) -> (String, String, Vec<String>) {
    let mut parts: Vec<String> = Vec::new();
    for line in header {
        let mut split = split_parts(line, &[" | ", " at ", " @ ", " - ", " — ", " – ", "\t"]);
        if split.len() == 1 && header.len() == 1 {
            split = split_parts(line, &[", "]);
        }
        parts.extend(split);
    }
    let title_index = parts.iter().position(|p| is_title(p)).unwrap_or(0);
    let title = if parts.is_empty() {
        String::new()
    } else {
        parts.remove(title_index)
    };
    let company = if parts.is_empty() {
        String::new()
    } else {
        parts.remove(0)
    };
    (title, company, parts)
}

fn split_parts(line: &str, separators: &[&str]) -> Vec<String> {
    let mut parts = vec![line.to_owned()];
    for sep in separators {
        parts = parts
            .iter()
            .flat_map(|p| p.split(sep).map(str::to_owned).collect::<Vec<_>>())
            .collect();
    }
    parts
        .into_iter()
        .map(|p| p.trim().trim_matches(',').trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

fn is_title(part: &str) -> bool {
    const WORDS: [&str; 34] = [
        "engineer",
        "developer",
        "manager",
        "analyst",
        "designer",
        "scientist",
        "lead",
        "director",
        "intern",
        "consultant",
        "architect",
        "specialist",
        "administrator",
        "officer",
        "head",
        "vp",
        "president",
        "coordinator",
        "associate",
        "programmer",
        "researcher",
        "founder",
        "cto",
        "ceo",
        "technician",
        "sre",
        "devops",
        "teacher",
        "assistant",
        "advisor",
        "principal",
        "staff",
        "senior",
        "junior",
    ];
    part.split(|c: char| !c.is_alphanumeric())
        .any(|w| WORDS.contains(&w.to_lowercase().as_str()))
}

fn education(body: &[&str]) -> Vec<Education> {
    let mut entries: Vec<Education> = Vec::new();
    for line in body {
        let line = bullet(line).unwrap_or(line);
        let dated = dates::split(line);
        let year = dated.end.or(dated.start);
        let parts: Vec<String> = split_parts(&dated.rest, &[" | ", " - ", " — ", " – ", "\t"])
            .iter()
            .flat_map(|part| join_institution_tails(split_parts(part, &[", "])))
            .collect();
        let degree_at = parts
            .iter()
            .position(|p| !is_institution(p) && is_degree(p));
        // Without a keyword (`UC Berkeley`), the part leading a degree line is the institution.
        let institution_at = parts
            .iter()
            .position(|p| is_institution(p))
            .or(degree_at.filter(|&d| d > 0).map(|_| 0));
        for (index, part) in parts.into_iter().enumerate() {
            let institution = Some(index) == institution_at;
            let degree = !institution && Some(index) == degree_at;
            let start_new = match entries.last() {
                None => true,
                Some(e) => {
                    (institution && !e.institution.is_empty()) || (degree && !e.degree.is_empty())
                }
            };
            if start_new && (institution || degree) {
                entries.push(Education::default());
            }
            let Some(entry) = entries.last_mut() else {
                continue;
            };
            if institution {
                entry.institution = part;
            } else if degree {
                match part.split_once(" in ") {
                    Some((d, f)) => {
                        entry.degree = d.trim().to_owned();
                        entry.field = Some(f.trim().to_owned());
                    }
                    None => entry.degree = part,
                }
            } else if entry.field.is_none() && !entry.degree.is_empty() {
                entry.field = Some(part);
            }
        }
        if let (Some(year), Some(entry)) = (year, entries.last_mut())
            && entry.graduation_date.is_none()
        {
            entry.graduation_date = Some(year);
        }
    }
    entries
        .into_iter()
        .filter(|e| !e.institution.is_empty() || !e.degree.is_empty())
        .collect()
}

/// Puts back the comma-separated tail of an institution's name (`University of California,
/// Berkeley`): a short run of capitalised words following it that names no degree or field.
fn join_institution_tails(parts: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut after_institution = false;
    for part in parts {
        if after_institution
            && continues_institution(&part)
            && let Some(last) = out.last_mut()
        {
            last.push_str(", ");
            last.push_str(&part);
            continue;
        }
        after_institution = is_institution(&part);
        out.push(part);
    }
    out
}

fn continues_institution(part: &str) -> bool {
    const JOINING: [&str; 7] = ["of", "at", "de", "la", "the", "and", "&"];
    let words: Vec<&str> = part.split_whitespace().collect();
    let capital = |w: &&str| w.chars().next().is_some_and(char::is_uppercase);
    // `CA`, `NY`, `UK`: a state or country code starts a location, not a campus.
    let code =
        words.len() == 1 && part.chars().count() <= 3 && part.chars().all(char::is_uppercase);
    (1..=4).contains(&words.len())
        && words.first().is_some_and(capital)
        && words
            .iter()
            .all(|w| capital(w) || JOINING.contains(&w.to_lowercase().as_str()))
        && !code
        && !part.chars().any(char::is_numeric)
        && !is_degree(part)
        && !is_field(part)
}

/// Words that name a field of study (`Computer Science`), not a place.
fn is_field(part: &str) -> bool {
    const WORDS: [&str; 24] = [
        "science",
        "sciences",
        "engineering",
        "mathematics",
        "math",
        "physics",
        "chemistry",
        "biology",
        "economics",
        "business",
        "administration",
        "studies",
        "arts",
        "informatics",
        "design",
        "management",
        "finance",
        "law",
        "medicine",
        "statistics",
        "psychology",
        "history",
        "philosophy",
        "computing",
    ];
    part.split(|c: char| !c.is_alphanumeric())
        .any(|w| WORDS.contains(&w.to_lowercase().as_str()))
}

fn is_institution(part: &str) -> bool {
    const WORDS: [&str; 11] = [
        "university",
        "college",
        "institute",
        "school",
        "academy",
        "polytechnic",
        "universidad",
        "universität",
        "université",
        "universidade",
        "università",
    ];
    let lower = part.to_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}

fn is_degree(part: &str) -> bool {
    const WORDS: [&str; 22] = [
        "bachelor",
        "bachelors",
        "master",
        "masters",
        "bs",
        "bsc",
        "ms",
        "msc",
        "phd",
        "mba",
        "ba",
        "ma",
        "associate",
        "doctor",
        "doctorate",
        "diploma",
        "beng",
        "meng",
        "btech",
        "mtech",
        "bba",
        "certificate",
    ];
    part.split_whitespace()
        .map(|w| {
            w.to_lowercase()
                .replace(['.', ','], "")
                .trim_end_matches("'s")
                .to_owned()
        })
        .any(|w| WORDS.contains(&w.as_str()))
}

fn skills(body: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for line in body {
        let line = bullet(line).unwrap_or(line);
        let items = match line.split_once(':') {
            Some((_, rest)) => rest,
            None => line,
        };
        // Table cells are set apart by `|` or wide gaps (tabs after [`squeeze`]).
        out.extend(
            items
                .split([',', ';', '|', '•', '·', '\t'])
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.chars().count() <= 60)
                .map(str::to_owned),
        );
    }
    out
}

fn list_items(body: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in body {
        match bullet(line) {
            Some(text) => out.push(text.to_owned()),
            None if line.chars().next().is_some_and(char::is_lowercase) && !out.is_empty() => {
                if let Some(last) = out.last_mut() {
                    last.push(' ');
                    last.push_str(line);
                }
            }
            None => out.push((*line).to_owned()),
        }
    }
    out
}

fn dedup(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|s| seen.insert(s.to_lowercase()));
}
