//! Speculative replies: once the candidate's settled text reads as a finished sentence and
//! they have gone quiet, the LLM starts on it before the turn commits, so the reply's first
//! words are ready when it does. The speculation is kept apart from the reply: its tokens
//! wait in their own [`Reply`], nothing of it is played, and it is used only if the turn
//! commits with exactly the text it answered. Its first sentence, once worded, goes to the
//! voice to be synthesized ahead ([`Output::PrepareSpeech`]); the voice plays that audio
//! only for a later `Speak` of the same text, and a cancelled speculation drops it
//! ([`Output::DropPreparedSpeech`]). If the candidate goes on
//! speaking or the text changes, it is cancelled and counted as a wasted generation.
//!
//! In a conducted interview the conductor decides the reply first: a copy of the conductor
//! decides on the speculated text, and that copy replaces the conductor when the
//! speculation is used, so its decision (and its events) happen exactly once.

use std::time::Duration;

use crate::Instant;
use crate::conductor::{Conductor, Decision, Move};
use crate::engine::Engine;
use crate::history::{Message, Role};
use crate::io::{AgentState, Mode, Output};
use crate::llm::LlmCall;
use crate::playout::Reply;
use crate::text::{Completeness, completeness};

/// Quiet after the last voiced frame before a speculation may start.
const QUIET_BEFORE: Duration = Duration::from_millis(100);
/// Voiced time heard after a speculation started that cancels it (the candidate goes on).
const VOICED_CANCELS: Duration = Duration::from_millis(100);

/// A reply generated ahead of the end of the turn.
#[derive(Debug)]
pub(crate) struct Speculation {
    /// The candidate's text the reply answers.
    pub said: String,
    /// The LLM request; `None` when the reply needs no LLM (its text is known at once).
    pub call: Option<LlmCall>,
    pub reply: Reply,
    pub done: bool,
    pub started: Instant,
    pub first_token: Option<Instant>,
    /// Voiced candidate time heard since it started.
    pub voiced: Duration,
    /// The conductor after deciding this reply, and its decision (conducted interviews).
    pub conducted: Option<(Box<Conductor>, Decision)>,
    /// Its first sentence was handed to the voice to synthesize ahead.
    pub prepared: bool,
}

impl Engine {
    /// Starts a speculation when the turn looks over; replaces one whose text is outdated.
    pub(crate) fn speculate(&mut self) {
        if !self.cfg.endpoint.speculate {
            return;
        }
        let text = self.turn.text();
        let text = text.trim();
        if self.speculation.as_ref().is_some_and(|s| s.said != text) {
            self.drop_speculation();
        }
        let quiet = match self.quiet_from() {
            Some(t) => self.now >= t + QUIET_BEFORE,
            None => !self.turn.speaking && self.turn.speech_end.is_some(),
        };
        let ready = self.speculation.is_none()
            && self.reply.is_none()
            && self.episode.is_none()
            && self.paused_until.is_none()
            && self.state == AgentState::Listening
            && !self.conductor_closing()
            && quiet
            && self.turn.settled()
            && completeness(self.turn.tail()) == Completeness::Complete;
        if !ready {
            return;
        }
        let text = text.to_owned();
        let mut messages = self.history.messages().to_vec();
        messages.push(Message {
            role: Role::Candidate,
            text: text.clone(),
            interrupted: false,
        });
        let (instruction, conducted) = match &self.mode {
            Mode::Llm => (None, None),
            Mode::Conducted {
                conductor,
                llm_words: true,
            } if conductor.hard_stop().is_some_and(|h| self.now < h) => {
                let mut copy = conductor.clone();
                let decision = copy.answer_to(self.now, &text, self.last_line_heard_whole());
                let verbatim = matches!(decision.kind, Move::Disclose | Move::Close);
                if verbatim {
                    // Said as written: no LLM to wait for, nothing to speculate.
                    self.speculation = Some(self.idle_speculation(text));
                    return;
                }
                (Some(decision.instruction.clone()), Some((copy, decision)))
            }
            _ => {
                self.speculation = Some(self.idle_speculation(text));
                return;
            }
        };
        let request = self.fresh_id();
        self.out.push_back(Output::StartLlm {
            request,
            history: messages,
            instruction,
        });
        self.speculation = Some(Speculation {
            said: text,
            call: Some(LlmCall {
                request,
                deadline: self.now + self.cfg.llm.first_token_timeout,
                got_token: false,
            }),
            reply: Reply::new(self.cfg.tts.min_sentence_chars),
            done: false,
            started: self.now,
            first_token: None,
            voiced: Duration::ZERO,
            conducted,
            prepared: false,
        });
    }

    /// A speculation that marks the text as seen without asking the LLM.
    fn idle_speculation(&self, said: String) -> Speculation {
        Speculation {
            said,
            call: None,
            reply: Reply::new(self.cfg.tts.min_sentence_chars),
            done: false,
            started: self.now,
            first_token: None,
            voiced: Duration::ZERO,
            conducted: None,
            prepared: false,
        }
    }

    /// Whether the agent's last line was heard to its end (not cut into).
    pub(crate) fn last_line_heard_whole(&self) -> bool {
        !self
            .history
            .messages()
            .iter()
            .rev()
            .find(|m| m.role == Role::Agent)
            .is_some_and(|m| m.interrupted)
    }

    /// Cancels the speculation; one that asked the LLM counts as a wasted generation.
    pub(crate) fn drop_speculation(&mut self) {
        let Some(s) = self.speculation.take() else {
            return;
        };
        if s.prepared {
            self.out.push_back(Output::DropPreparedSpeech);
        }
        if let Some(call) = s.call {
            if !s.done {
                self.out.push_back(Output::CancelLlm {
                    request: call.request,
                });
            }
            self.wasted_generations += 1;
        }
    }

    /// Voice (`frame` of it, whose audio ended at `audio_end`) heard during a speculation:
    /// enough of it after the speculation started cancels it.
    pub(crate) fn speculation_heard_voice(&mut self, frame: Duration, audio_end: Instant) {
        if let Some(s) = self.speculation.as_mut().filter(|s| audio_end > s.started) {
            s.voiced += frame;
            if s.voiced >= VOICED_CANCELS {
                self.drop_speculation();
            }
        }
    }

    /// Routes a token of the speculated request; false if `request` is not it.
    pub(crate) fn speculation_token(&mut self, request: u64, token: &str) -> bool {
        let now = self.now;
        let Some(s) = self.speculating(request) else {
            return false;
        };
        s.first_token.get_or_insert(now);
        if let Some(call) = &mut s.call {
            call.got_token = true;
        }
        s.reply.push_text(token);
        self.prepare_speech();
        true
    }

    /// Hands the speculation's first sentence to the voice once it is complete, so its audio
    /// is ready when the turn commits (its TTS request no longer waits for the commit).
    fn prepare_speech(&mut self) {
        let Some(s) = self.speculation.as_mut().filter(|s| !s.prepared) else {
            return;
        };
        if let Some(text) = s.reply.first_sentence() {
            let text = text.to_owned();
            s.prepared = true;
            self.out.push_back(Output::PrepareSpeech { text });
        }
    }

    /// The speculated request ended; false if `request` is not it.
    pub(crate) fn speculation_done(&mut self, request: u64) -> bool {
        let Some(s) = self.speculating(request) else {
            return false;
        };
        s.done = true;
        s.reply.finish_text();
        self.prepare_speech();
        true
    }

    /// The speculated request failed: a wasted generation; the text is not speculated on
    /// again, and the turn's commit asks the LLM as usual (with its retries).
    pub(crate) fn speculation_failed(&mut self, request: u64) -> bool {
        let Some(s) = self.speculating(request) else {
            return false;
        };
        s.call = None;
        self.wasted_generations += 1;
        true
    }

    fn speculating(&mut self, request: u64) -> Option<&mut Speculation> {
        self.speculation
            .as_mut()
            .filter(|s| s.call.as_ref().is_some_and(|c| c.request == request))
    }

    /// At the commit of `said`: makes the speculated reply the reply if it answered exactly
    /// that text. Returns false (after cancelling it) otherwise.
    pub(crate) fn adopt_speculation(&mut self, said: &str) -> bool {
        let usable = self
            .speculation
            .as_ref()
            .is_some_and(|s| s.call.is_some() && s.said == said.trim());
        let past_stop = matches!(&self.mode, Mode::Conducted { conductor, .. }
            if conductor.hard_stop().is_some_and(|h| self.now >= h));
        if !usable || past_stop {
            self.drop_speculation();
            return false;
        }
        let Some(s) = self.speculation.take() else {
            return false;
        };
        self.turn_index += 1;
        self.clock.metrics.turn = self.turn_index;
        self.clock.metrics.speculative = true;
        self.attempts = 1;
        self.apologizing = false;
        self.reply_heard = 0;
        self.instruction = None;
        self.fallback_text = None;
        if let (Some((copy, decision)), Mode::Conducted { conductor, .. }) =
            (s.conducted, &mut self.mode)
        {
            *conductor = copy;
            while let Some(event) = conductor.poll_event() {
                self.out.push_back(Output::Conductor(event));
            }
            self.reply_last = decision.last;
            self.expect_thinking = decision.expect_thinking;
            self.instruction = Some(decision.instruction);
            self.fallback_text = Some(decision.text);
        }
        self.clock.llm_started(s.started);
        if let Some(at) = s.first_token {
            self.clock.first_token(at);
        }
        self.llm = if s.done { None } else { s.call };
        self.reply = Some(s.reply);
        self.watchdog = Some(self.now + self.cfg.watchdog);
        self.set_state(AgentState::Thinking);
        true
    }
}
