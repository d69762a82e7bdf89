//! Filler words in a transcript.
//!
//! "um", "uh", "erm", "er", "ah", "hmm" and their spellings are always fillers. "like" is a
//! filler only where it is set off by punctuation ("so, like, it works") and not right after
//! a subject ("I like, ..."), follows another
//! filler, or follows a form of "be" and is followed by a comma-free clause start that is
//! not a noun phrase marker ("it was like really fast"); "I like Rust", "looks like rain"
//! and "something like that" are not fillers.

/// Words and fillers counted in a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FillerCount {
    /// Words in the transcript.
    pub words: u32,
    /// Of which fillers.
    pub fillers: u32,
}

impl FillerCount {
    /// `fillers / words`, 0 for an empty transcript.
    pub fn ratio(&self) -> f64 {
        if self.words == 0 {
            0.0
        } else {
            f64::from(self.fillers) / f64::from(self.words)
        }
    }
}

const ALWAYS: &[&str] = &[
    "um", "umm", "uh", "uhh", "uhm", "erm", "er", "ah", "ahh", "hmm", "hm", "mm", "mmm",
];
const BE: &[&str] = &[
    "is", "was", "were", "are", "am", "be", "been", "it's", "i'm", "he's", "she's",
];
const VERB_SUBJECTS: &[&str] = &[
    "i", "you", "we", "they", "he", "she", "would", "really", "don't", "didn't", "to", "also",
];
const NOUN_MARKERS: &[&str] = &[
    "a", "an", "the", "this", "that", "these", "those", "my", "your", "his", "her", "our", "their",
    "it", "me", "him", "us", "them", "you",
];

/// Counts words and fillers in `transcript`.
pub fn count_fillers(transcript: &str) -> FillerCount {
    let tokens: Vec<(String, bool, bool)> = transcript
        .split_whitespace()
        .filter_map(|raw| {
            let word: String = raw
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect();
            if word.is_empty() {
                return None;
            }
            let lead = raw.starts_with(|c: char| !c.is_alphanumeric() && c != '\'');
            let trail = raw.ends_with([',', ';', '.', '!', '?', '-', '—', '…']);
            Some((word, lead, trail))
        })
        .collect();
    let mut count = FillerCount {
        words: u32::try_from(tokens.len()).unwrap_or(u32::MAX),
        fillers: 0,
    };
    let mut previous_filler = false;
    for (i, (word, lead, trail)) in tokens.iter().enumerate() {
        let filler = if ALWAYS.contains(&word.as_str()) {
            true
        } else if word == "like" {
            let prev = i.checked_sub(1).and_then(|p| tokens.get(p));
            let next = tokens.get(i + 1);
            let after_subject = prev.is_some_and(|p| !p.2 && VERB_SUBJECTS.contains(&p.0.as_str()));
            let set_off = !after_subject && (*trail || *lead || prev.is_some_and(|p| p.2));
            let after_be = prev.is_some_and(|p| BE.contains(&p.0.as_str()))
                && next.is_some_and(|n| !NOUN_MARKERS.contains(&n.0.as_str()));
            set_off || previous_filler || after_be
        } else {
            false
        };
        count.fillers += u32::from(filler);
        previous_filler = filler;
    }
    count
}

/// Words in `transcript` (whitespace-separated tokens with a letter or digit).
pub fn count_words(transcript: &str) -> u32 {
    count_fillers(transcript).words
}
