//! The session's bookkeeping, as pure as the engine and kept beside it: which session time
//! each stretch of the candidate's audio covers ([`StreamTimes`]), which text each stretch
//! of the agent's audio covers and which speeches were cancelled ([`SpeechLedger`]), and
//! when each committed turn could first have been known to be over ([`TurnTracer`]). The
//! async shell only feeds them what it hears and passes their answers to the engine.

use std::collections::HashMap;
use std::ops::Range;
use std::time::Duration;

use crate::config::EndpointConfig;
use crate::endpoint::endpoint_delay;
use crate::io::{InputKind, SpeechId};
use crate::time::Instant;

/// Frames remembered for mapping stream positions to times (30 s).
const RING: usize = 1500;
/// 16 kHz samples per 20 ms frame.
const POS_PER_FRAME: u64 = 320;
/// The length of one inbound frame.
const FRAME: Duration = Duration::from_millis(20);

/// Arrival times of the candidate's last [`RING`] 20 ms frames, indexed by frame number:
/// maps the VAD's 16 kHz stream positions and the recognizer's stream seconds to session
/// time.
#[derive(Debug)]
pub struct StreamTimes {
    arrivals: Vec<Instant>,
    frames: u64,
}

impl Default for StreamTimes {
    fn default() -> Self {
        Self {
            arrivals: vec![Instant::ZERO; RING],
            frames: 0,
        }
    }
}

impl StreamTimes {
    /// Records that the next frame (covering 20 ms of the stream) arrived at `at`; the
    /// arrival stands for the frame's end, so its start is 20 ms earlier.
    pub fn record(&mut self, at: Instant) {
        let slot = (self.frames % RING as u64) as usize;
        self.arrivals[slot] = at;
        self.frames += 1;
    }

    /// The session time of 16 kHz stream position `pos`.
    pub fn at_position(&self, pos: u64) -> Instant {
        let frame = pos / POS_PER_FRAME;
        let within = Duration::from_micros((pos % POS_PER_FRAME) * 1_000_000 / 16_000);
        self.frame_start(frame) + within
    }

    /// When the `frame`-th frame arrived.
    pub fn arrival(&self, frame: u64) -> Instant {
        self.frame_start(frame) + FRAME
    }

    /// The session time of stream second `seconds` (the recognizer's word times).
    pub fn at_seconds(&self, seconds: f64) -> Instant {
        if !seconds.is_finite() || seconds <= 0.0 {
            return self.frame_start(0);
        }
        self.at_position((seconds * 16_000.0) as u64)
    }

    fn frame_start(&self, frame: u64) -> Instant {
        if self.frames == 0 {
            return Instant::ZERO;
        }
        let newest = self.frames - 1;
        let oldest = self.frames.saturating_sub(RING as u64);
        let arrival = |f: u64| self.arrivals[(f % RING as u64) as usize];
        if frame > newest {
            let ahead = Duration::from_millis(20 * (frame - newest));
            return arrival(newest) + ahead.saturating_sub(FRAME);
        }
        if frame < oldest {
            // Older than the ring: extrapolate backwards at real-time rate.
            let behind = Duration::from_millis(20 * (oldest - frame));
            let t = arrival(oldest).since_start().saturating_sub(behind + FRAME);
            return Instant::from_start(t);
        }
        Instant::from_start(arrival(frame).since_start().saturating_sub(FRAME))
    }
}

/// The agent's speeches between the engine and the TTS: the text of every sentence sent
/// and not finished, which speeches were cancelled (their late audio is dropped), and which
/// bytes of its text each stretch of audio covers, estimated from the voice's measured
/// pace since TTS vendors do not report alignment.
#[derive(Debug)]
pub struct SpeechLedger {
    texts: HashMap<SpeechId, String>,
    /// The newest speech handed to the TTS.
    latest: SpeechId,
    /// Audio of speeches up to this id was cancelled.
    cancelled_upto: SpeechId,
    spans: SpanEstimate,
    sample_rate: u32,
}

impl SpeechLedger {
    /// A ledger for audio at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            texts: HashMap::new(),
            latest: 0,
            cancelled_upto: 0,
            spans: SpanEstimate::new(sample_rate),
            sample_rate: sample_rate.max(1),
        }
    }

    /// `speech`, whose text is `text`, went to the TTS.
    pub fn speak(&mut self, speech: SpeechId, text: &str) {
        self.texts.insert(speech, text.to_owned());
        self.latest = self.latest.max(speech);
    }

    /// Whether `speech`'s audio is still wanted.
    pub fn live(&self, speech: SpeechId) -> bool {
        speech > self.cancelled_upto
    }

    /// `samples` more samples of `speech`: the engine's input for them (duration and the
    /// text they cover), or `None` for a cancelled speech, whose audio must be dropped.
    pub fn audio(&mut self, speech: SpeechId, samples: usize) -> Option<InputKind> {
        if !self.live(speech) {
            return None;
        }
        if let Some(text) = self.texts.get(&speech) {
            self.spans.begin_once(speech, text);
        }
        let span = self.spans.next(speech, samples);
        let duration = Duration::from_secs_f64(samples as f64 / f64::from(self.sample_rate));
        Some(InputKind::TtsChunk {
            speech,
            duration,
            span,
        })
    }

    /// `speech` has no more audio: the engine's input, or `None` for a cancelled speech.
    pub fn done(&mut self, speech: SpeechId) -> Option<InputKind> {
        if !self.live(speech) {
            return None;
        }
        self.spans.done(speech);
        self.texts.remove(&speech);
        Some(InputKind::TtsDone { speech })
    }

    /// Every speech handed to the TTS so far is cancelled: audio still arriving for any
    /// of them is dropped.
    pub fn cancel_all(&mut self) {
        self.cancelled_upto = self.cancelled_upto.max(self.latest);
        self.texts.clear();
    }
}

/// Which bytes of a sentence a stretch of its audio covers, from the voice's pace (audio
/// per character) learnt on finished sentences.
#[derive(Debug)]
struct SpanEstimate {
    /// Samples of audio per character.
    per_char: f64,
    /// (speech, bytes, characters, samples so far) of the sentence being voiced.
    current: Option<(SpeechId, usize, usize, u64)>,
}

impl SpanEstimate {
    fn new(sample_rate: u32) -> Self {
        // 65 ms per character: espeak-ng at 170 words per minute.
        Self {
            per_char: 0.065 * f64::from(sample_rate),
            current: None,
        }
    }

    /// Starts tracking `speech` unless it is the one tracked already.
    fn begin_once(&mut self, speech: SpeechId, text: &str) {
        if self.current.is_none_or(|(id, ..)| id != speech) {
            self.current = Some((speech, text.len(), text.chars().count().max(1), 0));
        }
    }

    /// The byte span of the next `samples` of `speech` (empty for an unknown speech).
    fn next(&mut self, speech: SpeechId, samples: usize) -> Range<usize> {
        let Some((id, bytes, chars, done)) = &mut self.current else {
            return 0..0;
        };
        if *id != speech {
            return 0..0;
        }
        let total = self.per_char * *chars as f64;
        let at = |s: u64| ((s as f64 / total).min(1.0) * *bytes as f64) as usize;
        let start = at(*done);
        *done += samples as u64;
        start..at(*done)
    }

    /// Learns the pace from a finished sentence.
    fn done(&mut self, speech: SpeechId) {
        if let Some((id, _, chars, samples)) = self.current.take()
            && id == speech
            && samples > 0
        {
            let measured = samples as f64 / chars as f64;
            self.per_char = 0.7 * self.per_char + 0.3 * measured;
        }
    }
}

/// The agent's critical path of one turn, in session time (since the session started).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TurnTrace {
    /// The latest of: the arrival of the frame on which the VAD saw the speech end, the
    /// STT final, and the VAD speech end plus the configured end-of-turn delay (or, for a
    /// turn committed on quiet before the VAD's speech end, the commit). Before this no
    /// agent could know the turn was over.
    pub ready: Duration,
    /// The engine's end-of-turn decision.
    pub committed: Duration,
    /// The reply's first frame handed to the transport (the pacer sends it within 20 ms).
    pub first_audio_queued: Option<Duration>,
}

/// Collects a [`TurnTrace`] per committed turn from the signals the shell sees.
#[derive(Debug, Default)]
pub struct TurnTracer {
    /// The last VAD speech end and the arrival of the frame that revealed it.
    vad_end: Option<(Instant, Instant)>,
    final_at: Option<Instant>,
    /// The turn whose reply has not reached the transport yet.
    open: Option<TurnTrace>,
    traces: Vec<TurnTrace>,
}

impl TurnTracer {
    /// The VAD saw the candidate's speech end at `ended`, on a frame that arrived at
    /// `revealed`.
    pub fn speech_end(&mut self, ended: Instant, revealed: Instant) {
        self.vad_end = Some((ended, revealed));
    }

    /// A final transcript arrived at `at`.
    pub fn final_transcript(&mut self, at: Instant) {
        self.final_at = Some(at);
    }

    /// The engine committed the candidate's turn, whose text is `text`, at `now`.
    pub fn commit(&mut self, endpoint: &EndpointConfig, text: &str, now: Instant) {
        let delay = endpoint_delay(endpoint, text, false);
        let mut ready = self.final_at.unwrap_or(Instant::ZERO);
        match self.vad_end {
            Some((ended, revealed)) => ready = ready.max(revealed).max(ended + delay),
            // Committed on quiet before the VAD's speech end: the configured quiet after
            // the last voiced frame is the delay, and it ends now.
            None => ready = ready.max(now),
        }
        if let Some(unfinished) = self.open.take() {
            self.traces.push(unfinished);
        }
        self.open = Some(TurnTrace {
            ready: ready.since_start(),
            committed: now.since_start(),
            first_audio_queued: None,
        });
        self.vad_end = None;
        self.final_at = None;
    }

    /// The agent's audio reached the transport at `now`: the open turn's reply started.
    pub fn audio_queued(&mut self, now: Instant) {
        if let Some(mut trace) = self.open.take() {
            trace.first_audio_queued = Some(now.since_start());
            self.traces.push(trace);
        }
    }

    /// Every trace, the open one last (without first audio).
    pub fn finish(&mut self) -> Vec<TurnTrace> {
        let mut traces = std::mem::take(&mut self.traces);
        traces.extend(self.open.take());
        traces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_map_to_the_arrival_of_their_frame() {
        let mut map = StreamTimes::default();
        for i in 0..10u64 {
            // Frames arrive in a burst after a 100 ms stall at frame 5.
            let extra = if i >= 5 { 100 } else { 0 };
            map.record(Instant::from_millis(20 * (i + 1) + extra));
        }
        assert_eq!(map.at_position(0), Instant::from_millis(0));
        assert_eq!(map.at_position(320 * 2 + 160), Instant::from_millis(50));
        assert_eq!(map.at_position(320 * 6), Instant::from_millis(220));
        assert_eq!(map.at_seconds(0.12), Instant::from_millis(220));
        assert_eq!(map.at_position(320 * 12), Instant::from_millis(340));
        assert_eq!(map.arrival(6), Instant::from_millis(240));
        assert_eq!(map.at_seconds(f64::NAN), Instant::from_millis(0));
    }

    #[test]
    fn positions_older_than_the_ring_extrapolate_at_real_time() {
        let mut map = StreamTimes::default();
        for i in 0..(RING as u64 + 100) {
            map.record(Instant::from_millis(20 * (i + 1)));
        }
        // Frame 50 left the ring; its start is still 20 ms × 50.
        assert_eq!(map.at_position(320 * 50), Instant::from_millis(1000));
    }

    #[test]
    fn spans_cover_the_text_in_order_and_learn_the_pace() {
        let mut ledger = SpeechLedger::new(48_000);
        let text = "Tell me about a project you led.";
        ledger.speak(1, text);
        let mut spans = Vec::new();
        // Voiced at exactly the default pace: 65 ms per character.
        let total = (0.065 * 48_000.0 * text.chars().count() as f64) as usize;
        for _ in 0..4 {
            match ledger.audio(1, total / 4) {
                Some(InputKind::TtsChunk { span, duration, .. }) => {
                    assert_eq!(duration, Duration::from_secs_f64((total / 4) as f64 / 48e3));
                    spans.push(span);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(spans.first().map(|s| s.start), Some(0));
        assert!(
            spans.windows(2).all(|w| w[0].end == w[1].start),
            "{spans:?}"
        );
        assert!(spans.last().is_some_and(|s| s.end >= text.len() - 1));
        assert!(matches!(
            ledger.done(1),
            Some(InputKind::TtsDone { speech: 1 })
        ));

        // A voice twice as slow: the estimate moves towards it, so the first half of the
        // next sentence's audio covers less than half of its text.
        let next = "And what did you learn?";
        ledger.speak(2, next);
        let slow = (2.0 * 0.065 * 48_000.0 * next.chars().count() as f64) as usize;
        ledger.audio(2, slow);
        assert!(matches!(ledger.done(2), Some(InputKind::TtsDone { .. })));
        ledger.speak(3, next);
        let Some(InputKind::TtsChunk { span, .. }) = ledger.audio(3, slow / 2) else {
            panic!("speech 3 is live");
        };
        assert!(span.end < next.len(), "{span:?}");
    }

    #[test]
    fn cancelled_speeches_lose_their_late_audio() {
        let mut ledger = SpeechLedger::new(48_000);
        ledger.speak(1, "First.");
        ledger.speak(2, "Second.");
        assert!(ledger.audio(1, 960).is_some());
        ledger.cancel_all();
        assert!(ledger.audio(1, 960).is_none());
        assert!(ledger.audio(2, 960).is_none());
        assert!(ledger.done(2).is_none());
        // A later speech is live again; audio of a speech the ledger never saw gets an
        // empty span rather than a guess.
        ledger.speak(3, "Third.");
        assert!(ledger.live(3));
        match ledger.audio(4, 960) {
            Some(InputKind::TtsChunk { span, .. }) => assert_eq!(span, 0..0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_trace_is_ready_at_the_latest_signal_and_closes_on_first_audio() {
        let endpoint = EndpointConfig::default();
        let mut tracer = TurnTracer::default();
        tracer.speech_end(Instant::from_millis(1000), Instant::from_millis(1120));
        tracer.final_transcript(Instant::from_millis(1300));
        let text = "I led the migration.";
        tracer.commit(&endpoint, text, Instant::from_millis(1600));
        tracer.audio_queued(Instant::from_millis(2100));
        let delay = endpoint_delay(&endpoint, text, false);
        let ready = (Duration::from_millis(1000) + delay).max(Duration::from_millis(1300));
        // Committed on quiet, without a VAD speech end: ready at the commit. Never closed.
        tracer.commit(&endpoint, "and then", Instant::from_millis(5000));
        assert_eq!(
            tracer.finish(),
            vec![
                TurnTrace {
                    ready,
                    committed: Duration::from_millis(1600),
                    first_audio_queued: Some(Duration::from_millis(2100)),
                },
                TurnTrace {
                    ready: Duration::from_millis(5000),
                    committed: Duration::from_millis(5000),
                    first_audio_queued: None,
                },
            ]
        );
    }
}
