//! Text helpers: sentence chunking for the TTS, markdown/emoji stripping, word classes
//! (backchannels, fillers, conjunctions) and the completeness check used by endpointing.

/// How finished a candidate's text looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    /// Ends in terminal punctuation and no trailing conjunction or filler.
    Complete,
    /// No cue either way.
    Neutral,
    /// Ends in a conjunction, a filler, a preposition or a comma: more is coming.
    Incomplete,
}

/// Judges whether `text` reads as a finished utterance.
pub fn completeness(text: &str) -> Completeness {
    let trimmed = text.trim_end();
    let Some(last) = trimmed.split_whitespace().next_back() else {
        return Completeness::Neutral;
    };
    let word = normalize(last);
    if TRAILING_INCOMPLETE.contains(&word.as_str()) || FILLERS.contains(&word.as_str()) {
        return Completeness::Incomplete;
    }
    match trimmed.chars().next_back() {
        Some(',' | ';' | ':' | '-') => Completeness::Incomplete,
        Some('.' | '?' | '!') => Completeness::Complete,
        _ => Completeness::Neutral,
    }
}

/// True if every word of `text` is a backchannel ("mhmm", "yeah", "okay", ...).
pub fn is_backchannel(text: &str) -> bool {
    let mut any = false;
    for w in text.split_whitespace() {
        let w = normalize(w);
        if w.is_empty() {
            continue;
        }
        if !BACKCHANNELS.contains(&w.as_str()) && !FILLERS.contains(&w.as_str()) {
            return false;
        }
        any = true;
    }
    any
}

/// Number of words in `text`.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| !normalize(w).is_empty())
        .count()
}

/// Lowercases a word and trims punctuation around it ("Yeah," -> "yeah").
pub fn normalize(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .trim_matches(|c: char| c == '\'' || c == '-')
        .to_lowercase()
}

/// Removes markdown markup and emoji so the TTS reads plain words.
pub fn strip_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = line.trim_start();
        l = l.trim_start_matches('#').trim_start();
        if let Some(rest) = l
            .strip_prefix("- ")
            .or_else(|| l.strip_prefix("* "))
            .or_else(|| l.strip_prefix("> "))
        {
            l = rest;
        }
        let mut chars = l.chars().peekable();
        let mut in_link_url = false;
        while let Some(c) = chars.next() {
            if in_link_url {
                if c == ')' {
                    in_link_url = false;
                }
                continue;
            }
            match c {
                '*' | '_' | '`' | '[' | '~' => {}
                ']' => {
                    if chars.peek() == Some(&'(') {
                        chars.next();
                        in_link_url = true;
                    }
                }
                c if is_emoji(c) => {}
                c => out.push(c),
            }
        }
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    let collapsed: Vec<&str> = out.split_whitespace().collect();
    collapsed.join(" ")
}

/// Splits a token stream into sentence chunks of at least `min_chars` characters.
#[derive(Debug, Default)]
pub struct SentenceChunker {
    buf: String,
    min_chars: usize,
}

impl SentenceChunker {
    pub fn new(min_chars: usize) -> Self {
        SentenceChunker {
            buf: String::new(),
            min_chars,
        }
    }

    /// Appends streamed text.
    pub fn push(&mut self, token: &str) {
        self.buf.push_str(token);
    }

    /// The next complete sentence chunk, stripped, if one is ready.
    pub fn next_sentence(&mut self) -> Option<String> {
        let mut prev: Option<char> = None;
        let mut cut = None;
        for (i, c) in self.buf.char_indices() {
            let ends =
                matches!(prev, Some('.' | '!' | '?' | ';')) && c.is_whitespace() || c == '\n';
            if ends && self.buf[..i].trim().chars().count() >= self.min_chars {
                cut = Some(i);
                break;
            }
            prev = Some(c);
        }
        let cut = cut?;
        let rest = self.buf.split_off(cut);
        let sentence = std::mem::replace(&mut self.buf, rest.trim_start().to_owned());
        let s = strip_markdown(&sentence);
        if s.is_empty() {
            self.next_sentence()
        } else {
            Some(s)
        }
    }

    /// Whatever text is left at the end of the stream.
    pub fn finish(&mut self) -> Option<String> {
        let s = strip_markdown(&std::mem::take(&mut self.buf));
        (!s.is_empty()).then_some(s)
    }

    /// True if no text is buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.trim().is_empty()
    }
}

const BACKCHANNELS: &[&str] = &[
    "mhmm", "mhm", "mm", "mmm", "hmm", "uh-huh", "uhhuh", "yeah", "yep", "yes", "okay", "ok",
    "right", "sure", "alright", "gotcha", "cool", "nice", "true", "exactly", "indeed",
];

const FILLERS: &[&str] = &["um", "uh", "er", "erm", "ah", "uhm", "umm", "hm", "like"];

const TRAILING_INCOMPLETE: &[&str] = &[
    "and", "so", "but", "because", "or", "then", "the", "a", "an", "to", "of", "with", "which",
    "that", "if", "when", "while", "although", "though", "since", "for", "in", "on", "my", "i",
    "we", "is", "was", "also", "like",
];

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D | 0x2B00..=0x2BFF)
}
