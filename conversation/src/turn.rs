//! The candidate's turn: VAD timing and STT text until the end-of-turn decision.

use crate::Instant;
use std::time::Duration;

use crate::barge_in::Episode;
use crate::endpoint::endpoint_delay;
use crate::engine::Engine;
use crate::history::Role;
use crate::io::{Output, SegmentId, Side, SttResult, TranscriptSegment};
use crate::metrics::TurnClock;
use crate::text::{Completeness, completeness, is_backchannel};

/// What the engine knows about the candidate's current turn.
#[derive(Debug, Default)]
pub(crate) struct CandidateTurn {
    pub speaking: bool,
    pub speech_start: Option<Instant>,
    pub speech_end: Option<Instant>,
    pub finals: String,
    pub interim: String,
    pub final_at: Option<Instant>,
    /// Where the last audio scored as voiced ended (per-frame speech probabilities, dated
    /// by their audio: a model with a look-ahead reports it late).
    pub last_voiced: Option<Instant>,
    /// Where the speech model's verdicts have reached (the end of the latest scored audio).
    pub scored_until: Option<Instant>,
    /// The last inbound frame loud above the room's noise floor (known at once), and where
    /// its run of loud frames began.
    pub last_loud: Option<Instant>,
    pub loud_since: Option<Instant>,
    /// The latest inbound frame was loud.
    pub loud_now: bool,
    /// The quiet the recognizer was last asked to finalize on started here; only voice
    /// after it asks again.
    pub finalized_from: Option<Instant>,
    /// Where the last recognised word of the finals ends.
    pub words_end: Option<Instant>,
    /// The recognizer judged the utterance over after the last final; its last word's end.
    pub stt_ended: Option<Instant>,
    /// Voice was heard since the recognizer was last asked to finalize.
    pub finalize_pending: bool,
}

impl CandidateTurn {
    /// Everything said so far (finals, then the current interim).
    pub fn text(&self) -> String {
        let mut s = self.finals.clone();
        if !self.interim.is_empty() {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&self.interim);
        }
        s
    }

    /// The latest text (the tail that decides completeness), without allocating.
    pub fn tail(&self) -> &str {
        if self.interim.is_empty() {
            &self.finals
        } else {
            &self.interim
        }
    }

    pub fn has_text(&self) -> bool {
        !self.finals.trim().is_empty() || !self.interim.trim().is_empty()
    }

    pub fn add_stt(&mut self, text: &str, is_final: bool, at: Instant) {
        if is_final {
            if !self.finals.is_empty() {
                self.finals.push(' ');
            }
            self.finals.push_str(text.trim());
            self.interim.clear();
            self.final_at = Some(at);
        } else {
            self.interim.clear();
            self.interim.push_str(text.trim());
        }
    }

    /// True once the STT has settled the text (finals only, no pending interim).
    pub fn settled(&self) -> bool {
        self.interim.is_empty() && !self.finals.is_empty()
    }
}

/// Quiet after the last voiced frame that the recognizer's utterance end also needs.
const VOICE_QUIET: Duration = Duration::from_millis(300);
/// Inbound RMS at or above this is never background (-50 dBFS).
const LOUD_MIN: f32 = 0.003;
/// A frame this many times the noise floor's RMS (12 dB) is sound, not background.
const LOUD_OVER_FLOOR: f32 = 4.0;
/// How fast the noise floor follows a room that gets louder, per 20 ms frame (1 dB/s).
const FLOOR_RISE: f32 = 1.0023;
/// Where the noise floor starts (and the least it rises from).
pub(crate) const FLOOR_START: f32 = LOUD_MIN / LOUD_OVER_FLOOR;
/// The longest audio one speech probability scores (Silero: 32 ms), with a frame's rounding.
const SCORED_WINDOW: Duration = Duration::from_millis(40);
/// Quiet after the last voiced frame before the recognizer is asked for its final: longer
/// than the gaps inside words (stop closures), far shorter than any end of turn. Asking in
/// a pause between phrases costs nothing: the text settles early, words that follow come in
/// a new final, and nothing is answered before the turn's quiet is long enough.
const FINALIZE_QUIET: Duration = Duration::from_millis(100);

impl Engine {
    pub(crate) fn stt(&mut self, r: SttResult) {
        let text = r.text.trim();
        if text.is_empty() || self.conductor_closing() {
            return;
        }
        let echo_window = self
            .agent_end
            .map(|e| e + self.cfg.echo.max_delay + Duration::from_millis(300));
        let near_agent = self.agent_playing() || echo_window.is_some_and(|w| r.start <= w);
        let current = self.reply.as_ref().map_or("", |r| r.heard_text());
        let echo_words = self.echo.words_are_echo(&self.agent_recent, text)
            || self.echo.words_are_echo(current, text);
        if near_agent && echo_words {
            return;
        }
        if self.agent_playing() {
            let ep = self.episode.get_or_insert_with(Episode::default);
            if r.is_final {
                ep.text.push(' ');
                ep.text.push_str(text);
                ep.interim.clear();
            } else {
                ep.interim.clear();
                ep.interim.push_str(text);
            }
            return;
        }
        let stale = self.agent_end.is_some_and(|e| r.end <= e)
            && !self.turn.speaking
            && self.turn.speech_end.is_none();
        if stale && is_backchannel(text) {
            return;
        }
        self.turn.add_stt(text, r.is_final, self.now);
        if r.is_final {
            self.turn.words_end = Some(self.turn.words_end.map_or(r.end, |e| e.max(r.end)));
        }
        self.turn.stt_ended = None;
        let id = SegmentId {
            side: Side::Candidate,
            index: self.candidate_segment,
        };
        self.out.push_back(Output::Transcript(TranscriptSegment {
            id,
            text: self.turn.text(),
            is_final: false,
        }));
        if self.paused_until.is_some() && !is_backchannel(&self.turn.text()) {
            self.paused_until = None;
            self.finish_reply(true);
        }
    }

    /// When the candidate's turn ends, by whichever rule comes first: the VAD's speech
    /// end plus a delay chosen by the text's completeness, or (for a settled text that
    /// looks complete) quiet since the last voiced frame and the last word.
    pub(crate) fn endpoint_deadline(&self) -> Option<Instant> {
        if self.reply.is_some() || !self.turn.has_text() {
            return None;
        }
        let vad = self
            .turn
            .speech_end
            .filter(|_| !self.turn.speaking)
            .map(|end| {
                let deadline = end
                    + endpoint_delay(&self.cfg.endpoint, self.turn.tail(), self.expect_thinking);
                if self.turn.settled() {
                    deadline
                } else {
                    deadline + self.cfg.endpoint.stt_final_grace
                }
            });
        // The recognizer's own end of utterance ends a settled turn that is not left open
        // by its last word, once `utterance_end_quiet` has passed since that word (however
        // early a recognizer sends it).
        let stt = self
            .turn
            .stt_ended
            .filter(|_| {
                self.turn.settled()
                    && !self.expect_thinking
                    && completeness(self.turn.tail()) != Completeness::Incomplete
            })
            .map(|last_word| {
                // Voice heard since (new words the recognizer has not sent yet) holds it.
                // Voice, not sound: a noisy room does not hold it.
                let words_quiet = last_word + self.cfg.endpoint.utterance_end_quiet;
                self.turn
                    .last_voiced
                    .map_or(words_quiet, |v| words_quiet.max(v + VOICE_QUIET))
            });
        [vad, self.quiet_deadline(), stt]
            .into_iter()
            .flatten()
            .min()
    }

    /// Asks the recognizer for its final once the candidate has been quiet for
    /// [`FINALIZE_QUIET`] after voice whose interim text is not final yet: the text settles (and a reply
    /// can be speculated on) without waiting for the recognizer's own endpointing or the
    /// VAD's hangover.
    pub(crate) fn finalize_when_quiet(&mut self) {
        let Some(from) = self.quiet_from() else {
            return;
        };
        let quiet = self.now >= from + FINALIZE_QUIET;
        let unsettled = self.turn.has_text() && !self.turn.settled();
        if self.turn.finalize_pending && quiet && unsettled && !self.agent_playing() {
            self.turn.finalize_pending = false;
            self.turn.finalized_from = Some(from);
            self.out.push_back(Output::FinalizeStt);
        }
    }

    /// Where the candidate's quiet began: after the last audio the speech model scored as
    /// voiced and the last frame loud above the noise floor. The model judges audio a
    /// look-ahead late; the level of the frames it has not judged yet is known at once, so a
    /// quiet tail counts from the speech's end and a voice that goes on holds it. `None`
    /// until the model has heard voice in this turn.
    pub(crate) fn quiet_from(&self) -> Option<Instant> {
        let voiced = self.turn.last_voiced?;
        let judged = self.turn.scored_until.unwrap_or(voiced);
        // Loud audio the model has not judged yet holds the quiet if it goes on from the
        // voice or began after everything judged; sound the model has begun to judge after
        // the voice, without calling it voice, is the room (a cough, a fan), not the
        // candidate.
        let loud = match (self.turn.last_loud, self.turn.loud_since) {
            (Some(last), Some(since)) if last > judged && (since <= voiced || since > judged) => {
                Some(last)
            }
            _ => None,
        };
        Some(loud.map_or(voiced, |l| l.max(voiced)))
    }

    /// True if voice whose scored audio ended at `at` is new since the recognizer was last
    /// asked to finalize: a model's window that straddles the end of the sound (it ends up to
    /// a window after the last loud frame) is the same speech, not more of it.
    pub(crate) fn voice_after_finalize(&self, at: Instant) -> bool {
        self.turn
            .finalized_from
            .is_none_or(|f| at > f + SCORED_WINDOW)
    }

    /// One inbound frame's RMS: follows the room's noise floor (down at once, up slowly) and
    /// marks the candidate's turn loud while a frame stands out from it.
    pub(crate) fn inbound_level(&mut self, rms: f32) {
        if !rms.is_finite() {
            return;
        }
        let rms = rms.max(0.0);
        self.inbound_floor = if rms < self.inbound_floor {
            rms
        } else {
            (self.inbound_floor * FLOOR_RISE).max(FLOOR_START / 100.0)
        };
        let loud = rms >= LOUD_MIN.max(self.inbound_floor * LOUD_OVER_FLOOR);
        let in_turn = self.turn.speaking || self.turn.has_text();
        let loud = loud && in_turn && self.episode.is_none() && !self.agent_playing();
        if loud {
            if !self.turn.loud_now {
                self.turn.loud_since = Some(self.now);
            }
            self.turn.last_loud = Some(self.now);
        }
        self.turn.loud_now = loud;
    }

    /// The recognizer's end of utterance: counts for the turn whose last word it follows,
    /// even while the VAD still hears sound (a noisy room): the recognizer heard no words.
    pub(crate) fn stt_utterance_end(&mut self, last_word_end: Instant) {
        let slack = Duration::from_millis(50);
        let after_words = self
            .turn
            .words_end
            .is_some_and(|w| last_word_end + slack >= w);
        if self.turn.has_text() && after_words {
            self.turn.stt_ended = Some(last_word_end);
        }
    }

    /// The end of a turn whose settled text reads as finished: `complete_quiet` after the
    /// last voiced frame and the last recognised word, however long the VAD's hangover.
    fn quiet_deadline(&self) -> Option<Instant> {
        let voiced = self.quiet_from()?;
        if self.expect_thinking
            || !self.turn.settled()
            || completeness(self.turn.tail()) != Completeness::Complete
        {
            return None;
        }
        let last = self.turn.words_end.map_or(voiced, |w| w.max(voiced));
        Some(last + self.cfg.endpoint.complete_quiet)
    }

    pub(crate) fn commit_turn(&mut self) {
        let text = self.turn.text();
        let spoke_until = self.turn.speech_end.or(self.turn.last_voiced);
        self.history.push(Role::Candidate, &text, false);
        let id = SegmentId {
            side: Side::Candidate,
            index: self.candidate_segment,
        };
        self.out.push_back(Output::Transcript(TranscriptSegment {
            id,
            text: text.clone(),
            is_final: true,
        }));
        self.candidate_segment += 1;
        let end = spoke_until;
        self.clock = TurnClock::default();
        self.clock.metrics.speech_end = end;
        self.clock.metrics.wasted_generations = std::mem::take(&mut self.wasted_generations);
        if let Some(end) = end {
            self.clock.metrics.end_of_turn_delay = Some(self.now.saturating_since(end));
            self.clock.metrics.stt_final_delay =
                self.turn.final_at.map(|f| f.saturating_since(end));
        }
        self.turn = CandidateTurn::default();
        self.expect_thinking = false;
        if !self.adopt_speculation(&text) {
            self.begin_reply();
        }
    }
}
