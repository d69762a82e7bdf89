//! LLM attempt bookkeeping: timeouts and exponential backoff between retries.

use crate::engine::Engine;
use crate::io::{Output, RequestId};
use crate::playout::Reply;
use std::time::Duration;

use crate::Instant;
use crate::config::LlmConfig;

/// The LLM request in flight.
#[derive(Debug)]
pub(crate) struct LlmCall {
    pub request: u64,
    /// Fails the attempt if no token arrives by then.
    pub deadline: Instant,
    pub got_token: bool,
}

/// Replies the conductor's wording had to replace before the LLM is no longer asked.
pub const LLM_FALLBACKS_BEFORE_TEMPLATES: u32 = 2;

/// Backoff before retry number `attempt` (1 = the first retry).
pub(crate) fn backoff(cfg: &LlmConfig, attempt: u32) -> Duration {
    let shift = attempt.saturating_sub(1).min(16);
    cfg.backoff_base
        .saturating_mul(1u32 << shift)
        .min(cfg.backoff_max)
}

impl Engine {
    pub(crate) fn llm_token(&mut self, request: RequestId, token: &str) {
        let Some(call) = self.llm.as_mut().filter(|c| c.request == request) else {
            return;
        };
        call.got_token = true;
        call.deadline = self.now + self.cfg.llm.stall_timeout;
        self.clock.first_token(self.now);
        if let Some(r) = &mut self.reply {
            r.push_text(token);
        }
    }

    pub(crate) fn llm_done(&mut self, request: RequestId) {
        if self.llm.as_ref().is_none_or(|c| c.request != request) {
            return;
        }
        self.llm = None;
        if let Some(r) = &mut self.reply {
            r.finish_text();
        }
    }

    pub(crate) fn start_llm(&mut self) {
        let request = self.fresh_id();
        self.attempts += 1;
        self.clock.llm_started(self.now);
        self.llm = Some(LlmCall {
            request,
            deadline: self.now + self.cfg.llm.first_token_timeout,
            got_token: false,
        });
        self.reply = Some(Reply::new(self.cfg.tts.min_sentence_chars));
        let history = self.history.messages().to_vec();
        let instruction = self.instruction.clone();
        self.out.push_back(Output::StartLlm {
            request,
            history,
            instruction,
        });
    }

    pub(crate) fn llm_failed(&mut self, timed_out: bool) {
        let Some(call) = self.llm.take() else { return };
        if timed_out {
            self.out.push_back(Output::CancelLlm {
                request: call.request,
            });
        }
        let spoken = self.reply.as_ref().is_some_and(|r| !r.text.is_empty());
        if spoken {
            // Part of the answer is out: end it there rather than repeat it.
            if let Some(r) = &mut self.reply {
                r.abort_text();
            }
        } else if self.attempts < self.cfg.llm.max_attempts {
            self.retry_at = Some(self.now + backoff(&self.cfg.llm, self.attempts));
        } else if let Some(text) = self.fallback_text.take() {
            self.say_without_llm(&text);
        } else {
            self.apologize();
        }
    }

    /// The LLM could not word the conductor's decision: its own wording is said instead,
    /// control-api hears of it once, and after [`LLM_FALLBACKS_BEFORE_TEMPLATES`] such
    /// replies the interview goes on in the conductor's words without asking the LLM (each
    /// failed attempt costs the candidate a wait).
    fn say_without_llm(&mut self, text: &str) {
        self.llm_fallbacks += 1;
        if self.llm_fallbacks == 1 {
            self.out
                .push_back(Output::Conductor(crate::conductor::Event::LlmUnavailable));
        }
        if self.llm_fallbacks >= LLM_FALLBACKS_BEFORE_TEMPLATES
            && let crate::io::Mode::Conducted { llm_words, .. } = &mut self.mode
        {
            *llm_words = false;
        }
        self.reply = Some(Reply::with_text(self.cfg.tts.min_sentence_chars, text));
    }

    pub(crate) fn apologize(&mut self) {
        self.apologizing = true;
        self.retry_at = None;
        let text = self.cfg.llm.apology.clone();
        self.reply = Some(Reply::with_text(self.cfg.tts.min_sentence_chars, &text));
    }
}
