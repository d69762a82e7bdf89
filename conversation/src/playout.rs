//! One agent reply on its way out: text generated so far, sentence chunks sent to the TTS
//! (paced), the audio chunks the TTS returned with the text span each covers, and how much
//! was actually played. From that it derives the words the candidate heard.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::Duration;

use crate::Instant;
use crate::config::TtsConfig;
use crate::text::{SentenceChunker, strip_markdown};

#[derive(Debug)]
pub(crate) struct Reply {
    /// Spoken text of the reply (stripped sentences joined by spaces).
    pub text: String,
    pub llm_done: bool,
    /// The candidate heard at least this much (kept across a resume).
    base_heard: usize,
    chunker: SentenceChunker,
    queued: VecDeque<Range<usize>>,
    sentences: Vec<Sentence>,
    tts_retried: bool,
}

#[derive(Debug)]
struct Sentence {
    speech: u64,
    range: Range<usize>,
    chunks: Vec<Chunk>,
    synthesized: u64,
    played: u64,
    tts_done: bool,
    estimate: u64,
    sent_at: Instant,
}

#[derive(Debug)]
struct Chunk {
    start: u64,
    end: u64,
    span: Range<usize>,
}

impl Reply {
    pub fn new(min_chars: usize) -> Self {
        Reply {
            text: String::new(),
            llm_done: false,
            base_heard: 0,
            chunker: SentenceChunker::new(min_chars),
            queued: VecDeque::new(),
            sentences: Vec::new(),
            tts_retried: false,
        }
    }

    /// A reply whose whole text is known (scripted line, apology).
    pub fn with_text(min_chars: usize, text: &str) -> Self {
        let mut r = Reply::new(min_chars);
        r.push_text(text);
        r.finish_text();
        r
    }

    pub fn push_text(&mut self, token: &str) {
        self.chunker.push(token);
        while let Some(s) = self.chunker.next_sentence() {
            self.append_sentence(&s);
        }
    }

    pub fn finish_text(&mut self) {
        if let Some(s) = self.chunker.finish() {
            self.append_sentence(&s);
        }
        self.llm_done = true;
    }

    /// When the oldest sentence still waiting for its first TTS audio times out.
    pub fn tts_deadline(&self, timeout: Duration) -> Option<Instant> {
        self.sentences
            .iter()
            .find(|s| s.chunks.is_empty() && !s.tts_done)
            .map(|s| s.sent_at + timeout)
    }

    /// Re-queues every sentence from the first one the TTS never answered (once per reply);
    /// false if that retry was already spent.
    pub fn retry_tts(&mut self) -> bool {
        if self.tts_retried {
            return false;
        }
        self.tts_retried = true;
        let Some(i) = self
            .sentences
            .iter()
            .position(|s| s.chunks.is_empty() && !s.tts_done)
        else {
            return true;
        };
        for s in self.sentences.drain(i..).rev() {
            self.queued.push_front(s.range);
        }
        true
    }

    /// Ends the text after a broken stream: an unfinished sentence fragment is dropped.
    pub fn abort_text(&mut self) {
        self.chunker = SentenceChunker::default();
        self.llm_done = true;
    }

    /// The reply's first sentence, once it is complete and before anything was sent to the
    /// TTS: what the first [`Reply::next_to_speak`] will return.
    pub fn first_sentence(&self) -> Option<&str> {
        if !self.sentences.is_empty() {
            return None;
        }
        self.text.get(self.queued.front()?.clone())
    }

    /// The next sentence to send to the TTS if less than `max_ahead` is synthesized ahead.
    pub fn next_to_speak(&mut self, cfg: &TtsConfig, speech: u64, now: Instant) -> Option<String> {
        if self.queued.is_empty() || self.ahead_samples(cfg) >= samples(cfg, cfg.max_ahead) {
            return None;
        }
        let range = self.queued.pop_front()?;
        let text = self.text.get(range.clone())?.to_owned();
        let estimate = samples(
            cfg,
            cfg.estimate_per_char
                .saturating_mul(text.chars().count() as u32),
        );
        self.sentences.push(Sentence {
            speech,
            range,
            chunks: Vec::new(),
            synthesized: 0,
            played: 0,
            tts_done: false,
            estimate,
            sent_at: now,
        });
        Some(text)
    }

    /// Records a synthesized audio chunk; false if `speech` is not part of this reply.
    pub fn on_chunk(&mut self, speech: u64, len: u64, span: Range<usize>) -> bool {
        let Some(s) = self.sentences.iter_mut().find(|s| s.speech == speech) else {
            return false;
        };
        let n = s.range.len();
        let start = span.start.min(n);
        let span = start..span.end.clamp(start, n);
        s.chunks.push(Chunk {
            start: s.synthesized,
            end: s.synthesized.saturating_add(len),
            span,
        });
        s.synthesized = s.synthesized.saturating_add(len);
        true
    }

    pub fn on_tts_done(&mut self, speech: u64) -> bool {
        let Some(s) = self.sentences.iter_mut().find(|s| s.speech == speech) else {
            return false;
        };
        s.tts_done = true;
        true
    }

    /// Records playout of `samples` of sentence `speech`; earlier sentences count as played.
    pub fn on_progress(&mut self, speech: u64, samples: u64) -> bool {
        let Some(idx) = self.sentences.iter().position(|s| s.speech == speech) else {
            return false;
        };
        for s in &mut self.sentences[..idx] {
            s.played = s.synthesized;
        }
        let s = &mut self.sentences[idx];
        s.played = s.played.max(samples.min(s.synthesized));
        true
    }

    /// Byte offset into `text` up to which the candidate heard whole words.
    pub fn heard(&self) -> usize {
        let mut heard = self.base_heard;
        for s in &self.sentences {
            let Some(sentence) = self.text.get(s.range.clone()) else {
                break;
            };
            let within = s.heard_within(sentence);
            if within > 0 {
                heard = heard.max(s.range.start + within);
            }
            if !(s.tts_done && s.played >= s.synthesized) {
                break;
            }
        }
        heard.min(self.text.len())
    }

    /// The words heard so far.
    pub fn heard_text(&self) -> &str {
        self.text.get(..self.heard()).unwrap_or("").trim()
    }

    /// True if some audio has been synthesized and not yet played, or synthesis is pending.
    pub fn audio_pending(&self) -> bool {
        self.sentences
            .iter()
            .any(|s| !s.tts_done || s.played < s.synthesized)
    }

    /// True once any audio of this reply was played.
    pub fn started_playing(&self) -> bool {
        self.base_heard > 0 || self.sentences.iter().any(|s| s.played > 0)
    }

    /// Everything generated was synthesized and played.
    pub fn finished(&self) -> bool {
        self.llm_done && self.queued.is_empty() && self.chunker.is_empty() && !self.audio_pending()
    }

    /// Drops all audio (after a flush) and keeps the heard position for a resume.
    pub fn stop(&mut self) {
        self.base_heard = self.heard();
        self.sentences.clear();
        self.queued.clear();
        self.chunker = SentenceChunker::default();
        self.llm_done = true;
    }

    /// Queues the unheard remainder again (false interruption).
    pub fn resume(&mut self, min_chars: usize) {
        let rest = self.text.get(self.base_heard..).unwrap_or("").to_owned();
        let mut chunker = SentenceChunker::new(min_chars);
        chunker.push(&rest);
        let mut pos = self.base_heard;
        let mut parts = Vec::new();
        while let Some(s) = chunker.next_sentence() {
            parts.push(s);
        }
        parts.extend(chunker.finish());
        for p in parts {
            let Some(found) = self.text.get(pos..).and_then(|t| t.find(p.as_str())) else {
                continue;
            };
            let start = pos + found;
            self.queued.push_back(start..start + p.len());
            pos = start + p.len();
        }
    }

    fn append_sentence(&mut self, s: &str) {
        let s = strip_markdown(s);
        if s.is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        let start = self.text.len();
        self.text.push_str(&s);
        self.queued.push_back(start..self.text.len());
    }

    fn ahead_samples(&self, cfg: &TtsConfig) -> u64 {
        let _ = cfg;
        self.sentences
            .iter()
            .map(|s| {
                if s.tts_done {
                    s.synthesized
                } else {
                    s.synthesized.max(s.estimate)
                }
                .saturating_sub(s.played)
            })
            .sum()
    }
}

impl Sentence {
    fn heard_within(&self, sentence: &str) -> usize {
        let p = self.played;
        if p == 0 {
            return 0;
        }
        let mut h = 0;
        for c in &self.chunks {
            if p >= c.end {
                h = c.span.end;
                continue;
            }
            if p > c.start {
                let frac = (p - c.start) as f64 / (c.end - c.start).max(1) as f64;
                h = c.span.start + (c.span.len() as f64 * frac) as usize;
            }
            break;
        }
        if self.tts_done && p >= self.synthesized {
            return sentence.len();
        }
        snap_to_word(sentence, h)
    }
}

/// Cuts `h` back to the end of the last whole word before it.
fn snap_to_word(s: &str, h: usize) -> usize {
    if h >= s.len() {
        return s.len();
    }
    let mut h = h;
    while !s.is_char_boundary(h) {
        h -= 1;
    }
    if s[h..].starts_with(char::is_whitespace) {
        return h;
    }
    s[..h].rfind(char::is_whitespace).unwrap_or(0)
}

fn samples(cfg: &TtsConfig, d: Duration) -> u64 {
    (d.as_secs_f64() * f64::from(cfg.sample_rate)) as u64
}
