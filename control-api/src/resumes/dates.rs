//! Finding date ranges such as `Jan 2020 - Present`, `06/2017 – 12/2019` or `2015-2019` in a
//! resume line, and taking them out of it.

/// A line with its dates taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dated {
    /// The line without the dates and the separators around them.
    pub rest: String,
    /// The first date (or the only one).
    pub start: Option<String>,
    /// The second date of a range (`Present` included).
    pub end: Option<String>,
}

/// Splits the first date or date range out of `line`.
pub fn split(line: &str) -> Dated {
    let normalized = normalize(line);
    let tokens = tokens(&normalized);
    let words: Vec<&str> = tokens.iter().map(|(_, word)| *word).collect();
    let mut i = 0;
    while i < words.len() {
        if let Some((start, used)) = date_at(&words, i, false) {
            let mut end = None;
            let mut consumed = used;
            if let Some(sep) = words.get(i + used)
                && is_range_separator(sep)
                && let Some((second, used2)) = date_at(&words, i + used + 1, true)
            {
                end = Some(second);
                consumed = used + 1 + used2;
            }
            // The words around the dates keep their gaps: a tab (a table's cell boundary)
            // stays a tab, and the date's own gap joins the words on either side of it.
            let mut rest = String::new();
            for (j, (tab, word)) in tokens.iter().enumerate() {
                if (i..i + consumed).contains(&j) {
                    continue;
                }
                if !rest.is_empty() {
                    let tab = *tab || (j == i + consumed && tokens[i].0);
                    rest.push(if tab { '\t' } else { ' ' });
                }
                rest.push_str(word);
            }
            return Dated {
                rest: tidy(&rest),
                start: Some(start),
                end,
            };
        }
        i += 1;
    }
    Dated {
        rest: tidy(line),
        start: None,
        end: None,
    }
}

/// The words of `text`, each with whether the whitespace before it holds a tab.
fn tokens(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let word_start = rest.trim_start();
        let gap = &rest[..rest.len() - word_start.len()];
        if word_start.is_empty() {
            return out;
        }
        let end = word_start
            .find(char::is_whitespace)
            .unwrap_or(word_start.len());
        out.push((gap.contains('\t'), &word_start[..end]));
        rest = &word_start[end..];
    }
}

/// Puts spaces around dashes that touch a digit or `Present`, so `2017-2019` splits; the
/// dashes inside an ISO date (`2019-03`, `2019-03-15`) stay.
fn normalize(line: &str) -> String {
    let chars: Vec<char> = line
        .chars()
        .map(|c| {
            if matches!(c, '–' | '—' | '‒') {
                '-'
            } else {
                c
            }
        })
        .collect();
    let mut out = String::with_capacity(line.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let touches_digit = prev.is_some_and(|p| p.is_ascii_digit())
            || next.is_some_and(|n| n.is_ascii_digit() && prev.is_some_and(|p| p.is_alphabetic()));
        if c == '-' && touches_digit && !inside_iso_date(&chars, i) {
            out.push_str(" - ");
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether the dash at `chars[i]` joins the parts of an ISO date: `YYYY-MM` or `YYYY-MM-DD`.
fn inside_iso_date(chars: &[char], i: usize) -> bool {
    let digits = |from: usize, len: usize| -> Option<String> {
        let end = from.checked_add(len)?;
        let run = chars.get(from..end)?;
        run.iter()
            .all(char::is_ascii_digit)
            .then(|| run.iter().collect())
    };
    let bounded = |at: Option<usize>| {
        at.and_then(|j| chars.get(j))
            .is_none_or(|c| !c.is_alphanumeric())
    };
    let after_day = |from: usize| bounded(from.checked_add(2));
    // `YYYY-MM`: a year before, a month after, and no further digit.
    let year_month = |dash: usize| -> bool {
        let Some(year_at) = dash.checked_sub(4) else {
            return false;
        };
        digits(year_at, 4).is_some_and(|y| is_year(&y))
            && bounded(year_at.checked_sub(1))
            && digits(dash + 1, 2).is_some_and(|m| matches!(m.parse::<u8>(), Ok(1..=12)))
    };
    if year_month(i) {
        // The month ends the date, or a `-DD` day follows.
        let after = i + 3;
        return bounded(Some(after))
            || (chars.get(after) == Some(&'-')
                && digits(after + 1, 2).is_some_and(|d| matches!(d.parse::<u8>(), Ok(1..=31)))
                && after_day(after + 1));
    }
    // `YYYY-MM-DD`: the dash before the day.
    i.checked_sub(3).is_some_and(|dash| {
        chars.get(dash) == Some(&'-')
            && year_month(dash)
            && digits(i + 1, 2).is_some_and(|d| matches!(d.parse::<u8>(), Ok(1..=31)))
            && after_day(i + 1)
    })
}

fn is_range_separator(word: &str) -> bool {
    matches!(word, "-" | "to" | "until" | "till")
}

/// A date starting at `words[i]`: its text and how many words it used.
fn date_at(words: &[&str], i: usize, allow_open: bool) -> Option<(String, usize)> {
    let word = clean(words.get(i)?);
    if allow_open && is_open_end(&word) {
        return Some((capitalize(&word), 1));
    }
    if is_month(&word)
        && let Some(next) = words.get(i + 1)
    {
        let year = clean(next);
        if is_year(&year) {
            return Some((format!("{} {year}", trim_punct(words[i])), 2));
        }
    }
    if is_year(&word) || is_numeric_month_year(&word) || is_iso_date(&word) {
        return Some((word, 1));
    }
    None
}

fn clean(word: &str) -> String {
    trim_punct(word).to_owned()
}

fn trim_punct(word: &str) -> &str {
    word.trim_matches(|c: char| matches!(c, ',' | '(' | ')' | '[' | ']' | '|' | ';' | ':'))
}

fn is_open_end(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "present" | "current" | "now" | "today" | "ongoing"
    )
}

fn capitalize(word: &str) -> String {
    let lower = word.to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A year this century or the last.
pub fn is_year(word: &str) -> bool {
    word.len() == 4
        && word.bytes().all(|b| b.is_ascii_digit())
        && (word.starts_with("19") || word.starts_with("20"))
}

fn is_numeric_month_year(word: &str) -> bool {
    let Some((month, year)) = word.split_once(['/', '.']) else {
        return false;
    };
    matches!(month.parse::<u8>(), Ok(1..=12)) && month.len() <= 2 && is_year(year)
}

/// `2019-03`, `2019/03`, `2019.03` or `2019-03-15`.
fn is_iso_date(word: &str) -> bool {
    let mut parts = word.split(['-', '/', '.']);
    let (Some(year), Some(month)) = (parts.next(), parts.next()) else {
        return false;
    };
    let two_digits = |p: &str, range: std::ops::RangeInclusive<u8>| {
        p.len() == 2
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse().is_ok_and(|n| range.contains(&n))
    };
    let day_ok = match parts.next() {
        None => true,
        Some(day) => two_digits(day, 1..=31) && word.contains('-'),
    };
    is_year(year) && two_digits(month, 1..=12) && day_ok && parts.next().is_none()
}

fn is_month(word: &str) -> bool {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = word.trim_end_matches('.').to_lowercase();
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS.contains(&lower.as_str()) || full.contains(&lower.as_str()) || lower == "sept"
}

/// Trims separators left dangling at either end after the dates were removed.
fn tidy(text: &str) -> String {
    let trimmed = text.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '|' | '-' | '(' | ')' | '•' | '·' | ';' | ':')
    });
    let mut out = trimmed.replace("()", "");
    while out.contains("  ") {
        out = out.replace("  ", " ");
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ranges_and_single_dates() {
        let cases: [(&str, &str, Option<&str>, Option<&str>); 9] = [
            (
                "Tech Corp | Senior Engineer | Jan 2020 - Present",
                "Tech Corp | Senior Engineer",
                Some("Jan 2020"),
                Some("Present"),
            ),
            (
                "Jun 2017 – Dec 2019",
                "",
                Some("Jun 2017"),
                Some("Dec 2019"),
            ),
            (
                "StartupXYZ 2015-2019",
                "StartupXYZ",
                Some("2015"),
                Some("2019"),
            ),
            (
                "06/2017 to 12/2019 Acme",
                "Acme",
                Some("06/2017"),
                Some("12/2019"),
            ),
            (
                "September 2018 - current",
                "",
                Some("September 2018"),
                Some("Current"),
            ),
            (
                "Stanford University, 2017",
                "Stanford University",
                Some("2017"),
                None,
            ),
            (
                "Full-stack development",
                "Full-stack development",
                None,
                None,
            ),
            (
                "Improved latency by 40%",
                "Improved latency by 40%",
                None,
                None,
            ),
            ("(2012 - 2016)", "", Some("2012"), Some("2016")),
        ];
        for (line, rest, start, end) in cases {
            let dated = split(line);
            assert_eq!(dated.rest, rest, "{line}");
            assert_eq!(dated.start.as_deref(), start, "{line}");
            assert_eq!(dated.end.as_deref(), end, "{line}");
        }
    }

    #[test]
    fn iso_dates_keep_their_month() {
        let cases: [(&str, &str, Option<&str>, Option<&str>); 7] = [
            (
                "Acme | Engineer | 2019-03 – Present",
                "Acme | Engineer",
                Some("2019-03"),
                Some("Present"),
            ),
            ("2019-03–2021-11", "", Some("2019-03"), Some("2021-11")),
            (
                "2019-03 - 2021-11 Acme",
                "Acme",
                Some("2019-03"),
                Some("2021-11"),
            ),
            ("2019/03 to 2020/01", "", Some("2019/03"), Some("2020/01")),
            ("Since 2018-09-01", "Since", Some("2018-09-01"), None),
            // Year ranges and academic years are not ISO months.
            ("2015-2019", "", Some("2015"), Some("2019")),
            ("2015-16 exchange", "16 exchange", Some("2015"), None),
        ];
        for (line, rest, start, end) in cases {
            let dated = split(line);
            assert_eq!(dated.rest, rest, "{line}");
            assert_eq!(dated.start.as_deref(), start, "{line}");
            assert_eq!(dated.end.as_deref(), end, "{line}");
        }
    }

    #[test]
    fn years_are_plausible() {
        assert!(is_year("1999") && is_year("2024"));
        assert!(!is_year("1234") && !is_year("20245") && !is_year("40%"));
    }
}
