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
///
/// Two classes of trailing words: words that never end an English sentence (conjunctions,
/// articles, "my", fillers) leave it open even before a full stop, which the recognizer may
/// have put there; words that often end one ("is", "was", "that", "for", "on", "like", ...
/// in "That's where it is.", "for a while.", "what it looks like.") leave it open only
/// without a full stop, and close it with one after a clause of three words or more. "so"
/// closes a sentence only after a verb of opinion ("I think so.").
pub fn completeness(text: &str) -> Completeness {
    let trimmed = text.trim_end();
    let words: Vec<String> = trimmed
        .split_whitespace()
        .map(normalize)
        .filter(|w| !w.is_empty())
        .collect();
    let Some(word) = words.last() else {
        return Completeness::Neutral;
    };
    if NEVER_LAST.contains(&word.as_str()) {
        return Completeness::Incomplete;
    }
    let stopped = match trimmed.chars().next_back() {
        Some(',' | ';' | ':' | '-') => return Completeness::Incomplete,
        Some('.' | '?' | '!') => true,
        _ => false,
    };
    if word == "so" {
        let after_opinion = words
            .len()
            .checked_sub(2)
            .is_some_and(|i| SO_AFTER.contains(&words[i].as_str()));
        return if stopped && after_opinion {
            Completeness::Complete
        } else {
            Completeness::Incomplete
        };
    }
    if OPEN_UNLESS_STOPPED.contains(&word.as_str()) {
        return if stopped && words.len() >= 3 {
            Completeness::Complete
        } else {
            Completeness::Incomplete
        };
    }
    if stopped {
        Completeness::Complete
    } else {
        Completeness::Neutral
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

/// Words a first clause needs before a comma, semicolon or colon ends the first chunk.
const FIRST_CLAUSE_WORDS: usize = 4;

/// Splits a token stream into chunks for the TTS. The first chunk is sent as early as
/// possible: at the first sentence end, or at the first clause boundary (`,` `;` `:`)
/// after [`FIRST_CLAUSE_WORDS`] words, so the first audio does not wait for a long
/// sentence. Later chunks are sentences of at least `min_chars` characters.
#[derive(Debug, Default)]
pub struct SentenceChunker {
    buf: String,
    min_chars: usize,
    emitted: usize,
}

impl SentenceChunker {
    pub fn new(min_chars: usize) -> Self {
        SentenceChunker {
            buf: String::new(),
            min_chars,
            emitted: 0,
        }
    }

    /// Appends streamed text.
    pub fn push(&mut self, token: &str) {
        self.buf.push_str(token);
    }

    /// The next complete chunk, stripped, if one is ready.
    pub fn next_sentence(&mut self) -> Option<String> {
        let first = self.emitted == 0;
        let mut prev: Option<char> = None;
        let mut cut = None;
        for (i, c) in self.buf.char_indices() {
            let gap = c.is_whitespace();
            let ends = matches!(prev, Some('.' | '!' | '?' | ';')) && gap || c == '\n';
            let clause = first && matches!(prev, Some(',' | ';' | ':')) && gap;
            let head = self.buf[..i].trim();
            let long_enough = if first {
                (ends && !head.is_empty())
                    || (clause && head.split_whitespace().count() >= FIRST_CLAUSE_WORDS)
            } else {
                ends && head.chars().count() >= self.min_chars
            };
            if long_enough {
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
            self.emitted += 1;
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

/// Words that never end a sentence: more is coming, whatever the punctuation.
const NEVER_LAST: &[&str] = &[
    "and", "but", "or", "because", "the", "a", "an", "my", "our", "i", "we", "although", "um",
    "uh", "er", "erm", "ah", "uhm", "umm", "hm",
];

/// Words that often end a sentence: open without a full stop, closed with one.
const OPEN_UNLESS_STOPPED: &[&str] = &[
    "then", "to", "of", "with", "which", "that", "if", "when", "while", "though", "since", "for",
    "in", "on", "is", "was", "also", "like", "about", "at",
];

/// The words after which "so" ends a sentence ("I think so.").
const SO_AFTER: &[&str] = &[
    "think", "hope", "guess", "believe", "suppose", "said", "not", "so", "do", "did", "be",
];

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D | 0x2B00..=0x2BFF)
}
