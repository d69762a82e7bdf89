//! The conversation engine: a sans-IO state machine. Feed [`Input`]s, drain [`Output`]s.
//!
//! **Invariant:** while the state is thinking or speaking a wake-up time is always pending
//! (the watchdog), so the engine can never sit there forever.
//! **Invariant:** history only receives words the candidate heard (playout mapped to text).

use std::collections::VecDeque;
use std::ops::Range;
use std::time::Duration;

use crate::Instant;
use crate::barge_in::Episode;
use crate::config::Config;
use crate::echo::EchoGuard;
use crate::history::{History, Role};
use crate::io::*;
use crate::llm::LlmCall;
use crate::metrics::TurnClock;
use crate::playout::Reply;
use crate::text::is_backchannel;
use crate::turn::CandidateTurn;

/// The engine. See the crate docs for how to drive it.
#[derive(Debug)]
pub struct Engine {
    pub(crate) cfg: Config,
    pub(crate) mode: Mode,
    pub(crate) now: Instant,
    pub(crate) state: AgentState,
    pub(crate) out: VecDeque<Output>,
    pub(crate) history: History,
    pub(crate) turn: CandidateTurn,
    /// The inbound audio's noise floor (RMS), for telling the candidate's sound from the room.
    pub(crate) inbound_floor: f32,
    pub(crate) candidate_segment: u32,
    pub(crate) agent_segment: u32,
    pub(crate) expect_thinking: bool,
    pub(crate) reply: Option<Reply>,
    pub(crate) reply_last: bool,
    pub(crate) reply_heard: usize,
    pub(crate) apologizing: bool,
    pub(crate) llm: Option<LlmCall>,
    pub(crate) retry_at: Option<Instant>,
    pub(crate) attempts: u32,
    pub(crate) next_id: u64,
    pub(crate) episode: Option<Episode>,
    pub(crate) echo: EchoGuard,
    pub(crate) paused_until: Option<Instant>,
    pub(crate) watchdog: Option<Instant>,
    pub(crate) clock: TurnClock,
    pub(crate) turn_index: u32,
    pub(crate) agent_recent: String,
    pub(crate) agent_end: Option<Instant>,
    /// The conductor's instruction for the reply being worded by the LLM.
    pub(crate) instruction: Option<String>,
    /// The conductor's own wording of that reply: said instead when the LLM cannot word it.
    pub(crate) fallback_text: Option<String>,
    /// Replies the conductor's wording replaced because the LLM failed.
    pub(crate) llm_fallbacks: u32,
    /// A reply generated ahead of the end of the candidate's turn.
    pub(crate) speculation: Option<crate::speculate::Speculation>,
    /// Speculative generations discarded since the last commit.
    pub(crate) wasted_generations: u32,
    /// Whether the VAD is inside a speech segment (it may outlast a committed turn).
    pub(crate) vad_open: bool,
}

impl Engine {
    pub fn new(cfg: Config, mode: Mode) -> Self {
        let echo = EchoGuard::new(cfg.echo.clone());
        Engine {
            cfg,
            mode,
            now: Instant::ZERO,
            state: AgentState::Initializing,
            out: VecDeque::new(),
            history: History::default(),
            turn: CandidateTurn::default(),
            inbound_floor: crate::turn::FLOOR_START,
            candidate_segment: 0,
            agent_segment: 0,
            expect_thinking: false,
            reply: None,
            reply_last: false,
            reply_heard: 0,
            apologizing: false,
            llm: None,
            retry_at: None,
            attempts: 0,
            next_id: 1,
            episode: None,
            echo,
            paused_until: None,
            watchdog: None,
            clock: TurnClock::default(),
            turn_index: 0,
            agent_recent: String::new(),
            agent_end: None,
            instruction: None,
            fallback_text: None,
            llm_fallbacks: 0,
            speculation: None,
            wasted_generations: 0,
            vad_open: false,
        }
    }

    pub fn state(&self) -> AgentState {
        self.state
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    /// Feeds one event. Times earlier than the last one are treated as the last one.
    pub fn handle_input(&mut self, input: Input) {
        self.now = self.now.max(input.at);
        let now = self.now;
        match input.kind {
            InputKind::Start => self.start(),
            InputKind::VadSpeechStart { started } => self.speech_start(started.min(now)),
            InputKind::VadSpeechEnd { ended } => self.speech_end(ended.min(now)),
            InputKind::SpeechProbability { p, audio_end } => {
                self.speech_probability(p, audio_end.min(now))
            }
            InputKind::Timer => {}
            InputKind::InboundEnergy(rms) => {
                self.echo.push_inbound(now, rms);
                self.inbound_level(rms);
            }
            InputKind::OutboundEnergy(rms) => self.echo.push_outbound(now, rms),
            InputKind::Stt(r) => self.stt(r),
            InputKind::SttUtteranceEnd { last_word_end } => self.stt_utterance_end(last_word_end),
            InputKind::LlmToken { request, token } => {
                if !self.speculation_token(request, &token) {
                    self.llm_token(request, &token);
                }
            }
            InputKind::LlmDone { request } => {
                if !self.speculation_done(request) {
                    self.llm_done(request);
                }
            }
            InputKind::LlmError { request } => {
                let ours = self.llm.as_ref().is_some_and(|c| c.request == request);
                if !self.speculation_failed(request) && ours {
                    self.llm_failed(false);
                }
            }
            InputKind::TtsChunk {
                speech,
                duration,
                span,
            } => self.tts_chunk(speech, duration, span),
            InputKind::TtsDone { speech } => {
                if let Some(r) = &mut self.reply {
                    r.on_tts_done(speech);
                }
            }
            InputKind::Playout { speech, samples } => self.playout(speech, samples),
            InputKind::ExpectThinking => self.expect_thinking = true,
        }
        self.tick();
    }

    /// The next thing to do; ends with [`Output::Timeout`] when drained.
    pub fn poll_output(&mut self) -> Output {
        self.out
            .pop_front()
            .unwrap_or_else(|| Output::Timeout(self.next_timeout()))
    }

    /// The next time the engine must be woken up, if any.
    pub fn next_timeout(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut add = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        add(self.watchdog);
        add(self
            .reply
            .as_ref()
            .and_then(|r| r.tts_deadline(self.cfg.tts.first_byte_timeout)));
        add(self.retry_at);
        add(self.llm.as_ref().map(|c| c.deadline));
        // While the candidate speaks, the VAD end (not a timer) moves the resume on.
        add(self.paused_until.filter(|_| !self.turn.speaking));
        add(self.endpoint_deadline());
        add(self.conductor_deadline());
        if let Some(start) = self
            .episode
            .as_ref()
            .filter(|e| e.speaking() && e.echo != Some(true))
            .and_then(|e| e.start)
        {
            let b = &self.cfg.barge_in;
            for d in [b.min_speech, b.backchannel_max_speech] {
                if start + d > self.now {
                    add(Some(start + d));
                }
            }
        }
        t.map(|t| t.max(self.now))
    }

    pub(crate) fn start(&mut self) {
        if self.state == AgentState::Initializing {
            self.begin_reply();
        }
    }

    pub(crate) fn set_state(&mut self, s: AgentState) {
        if self.state != s {
            self.state = s;
            self.out.push_back(Output::State(s));
        }
    }

    pub(crate) fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// True while an agent reply is under way (thinking or playing): candidate speech is
    /// then judged as a possible barge-in rather than opening a new turn.
    pub(crate) fn agent_playing(&self) -> bool {
        self.paused_until.is_none() && self.reply.is_some()
    }

    pub(crate) fn tts_chunk(&mut self, speech: SpeechId, duration: Duration, span: Range<usize>) {
        let len = (duration.as_secs_f64() * f64::from(self.cfg.tts.sample_rate)) as u64;
        if self
            .reply
            .as_mut()
            .is_some_and(|r| r.on_chunk(speech, len, span))
        {
            self.clock.tts_byte(self.now);
            self.watchdog = Some(self.now + self.cfg.watchdog);
        }
    }

    pub(crate) fn playout(&mut self, speech: SpeechId, samples: u64) {
        let Some(r) = self.reply.as_mut() else { return };
        if !r.on_progress(speech, samples) || samples == 0 {
            return;
        }
        let heard = r.heard();
        let text = (heard > self.reply_heard).then(|| r.heard_text().to_owned());
        self.watchdog = Some(self.now + self.cfg.watchdog);
        if self.clock.audio(self.now) {
            self.set_state(AgentState::Speaking);
        }
        if let Some(text) = text {
            self.reply_heard = heard;
            let id = SegmentId {
                side: Side::Agent,
                index: self.agent_segment,
            };
            self.out.push_back(Output::Transcript(TranscriptSegment {
                id,
                text,
                is_final: false,
            }));
        }
    }

    /// Runs every due check; repeats (bounded) while a step makes another one due, so a
    /// wake-up is never requested for a deadline that has already passed.
    pub(crate) fn tick(&mut self) {
        for _ in 0..4 {
            let before = self.out.len();
            self.tick_once();
            if self.out.len() == before {
                break;
            }
        }
    }

    fn tick_once(&mut self) {
        let now = self.now;
        if self.llm.as_ref().is_some_and(|c| now >= c.deadline) {
            self.llm_failed(true);
        }
        if self.retry_at.is_some_and(|t| now >= t) {
            self.retry_at = None;
            self.start_llm();
        }
        self.judge_episode();
        if self.paused_until.is_some_and(|t| now >= t)
            && !self.turn.speaking
            && (!self.turn.has_text() || is_backchannel(&self.turn.text()))
        {
            self.resume();
        }
        self.finalize_when_quiet();
        self.speculate();
        if self.endpoint_deadline().is_some_and(|t| now >= t) {
            self.commit_turn();
        }
        let tts_timeout = self.cfg.tts.first_byte_timeout;
        if self
            .reply
            .as_ref()
            .and_then(|r| r.tts_deadline(tts_timeout))
            .is_some_and(|t| now >= t)
        {
            self.out.push_back(Output::CancelTts);
            if !self.reply.as_mut().is_some_and(|r| r.retry_tts()) {
                self.watchdog_fired();
            }
        }
        if self.watchdog.is_some_and(|t| now >= t) {
            self.watchdog_fired();
        }
        self.conductor_due();
        self.pump();
    }

    pub(crate) fn begin_reply(&mut self) {
        self.turn_index += 1;
        self.clock.metrics.turn = self.turn_index;
        self.attempts = 0;
        self.apologizing = false;
        self.reply_heard = 0;
        let min = self.cfg.tts.min_sentence_chars;
        match &mut self.mode {
            Mode::Scripted(s) => match s.next_utterance() {
                Some(u) => {
                    self.reply = Some(Reply::with_text(min, &u.text));
                    self.reply_last = u.last;
                    self.expect_thinking = u.expect_thinking;
                }
                None => {
                    self.set_state(AgentState::Idle);
                    return;
                }
            },
            Mode::Llm => {
                self.fallback_text = None;
                self.reply = Some(Reply::new(min));
                self.start_llm();
            }
            Mode::Conducted { conductor, .. } => {
                let decision = if conductor.hard_stop().is_none() {
                    conductor.open(self.now)
                } else {
                    let messages = self.history.messages();
                    let said = messages
                        .last()
                        .filter(|m| m.role == Role::Candidate)
                        .map_or("", |m| m.text.as_str());
                    // Whether the agent's last line was heard to its end.
                    let heard_whole = !messages
                        .iter()
                        .rev()
                        .find(|m| m.role == Role::Agent)
                        .is_some_and(|m| m.interrupted);
                    conductor.answer_to(self.now, said, heard_whole)
                };
                self.say_decision(decision);
                return;
            }
        }
        self.watchdog = Some(self.now + self.cfg.watchdog);
        self.set_state(AgentState::Thinking);
    }

    /// Starts the reply that says the conductor's `decision`: its template text, or the LLM
    /// wording it from the instruction. The conductor's events go out first.
    pub(crate) fn say_decision(&mut self, decision: crate::conductor::Decision) {
        let min = self.cfg.tts.min_sentence_chars;
        let Mode::Conducted {
            conductor,
            llm_words,
        } = &mut self.mode
        else {
            return;
        };
        while let Some(event) = conductor.poll_event() {
            self.out.push_back(Output::Conductor(event));
        }
        self.reply_last = decision.last;
        self.expect_thinking = decision.expect_thinking;
        // The disclosure and the closing words are said as written, never reworded: what
        // the candidate agrees to and how the interview ends must not depend on a model.
        let verbatim = matches!(
            decision.kind,
            crate::conductor::Move::Disclose | crate::conductor::Move::Close
        );
        if *llm_words && !verbatim {
            self.instruction = Some(decision.instruction);
            self.fallback_text = Some(decision.text);
            self.start_llm();
        } else {
            self.instruction = None;
            self.fallback_text = None;
            self.reply = Some(Reply::with_text(min, &decision.text));
        }
        self.watchdog = Some(self.now + self.cfg.watchdog);
        self.set_state(AgentState::Thinking);
    }

    /// Whether the conductor has closed the interview: its closing words are not
    /// interrupted and nothing the candidate says after them opens a turn.
    pub(crate) fn conductor_closing(&self) -> bool {
        matches!(&self.mode, Mode::Conducted { conductor, .. } if conductor.is_closed())
    }

    /// When the conductor wants to act although the candidate has not finished a turn: a
    /// long silence after the agent stopped, or the interview's hard stop.
    pub(crate) fn conductor_deadline(&self) -> Option<Instant> {
        let Mode::Conducted { conductor, .. } = &self.mode else {
            return None;
        };
        if conductor.is_closed() || self.state != AgentState::Listening || self.reply.is_some() {
            return None;
        }
        let hard_stop = conductor.hard_stop();
        let quiet = !self.turn.speaking && !self.turn.has_text() && self.episode.is_none();
        let silence = self
            .agent_end
            .filter(|_| quiet)
            .map(|end| end + crate::conductor::SILENCE);
        match (hard_stop, silence) {
            (Some(h), Some(s)) => Some(h.min(s)),
            (h, s) => h.or(s),
        }
    }

    /// Acts on [`Self::conductor_deadline`] once it has come.
    fn conductor_due(&mut self) {
        if self.conductor_deadline().is_none_or(|t| self.now < t) {
            return;
        }
        let now = self.now;
        let Mode::Conducted { conductor, .. } = &mut self.mode else {
            return;
        };
        let past_stop = conductor.hard_stop().is_some_and(|h| now >= h);
        if past_stop && (self.turn.speaking || self.turn.has_text()) {
            // The hard stop cuts in: what was said so far is the candidate's turn, and
            // the conductor's answer to it is the close.
            self.commit_turn();
            return;
        }
        self.turn_index += 1;
        self.clock.metrics.turn = self.turn_index;
        self.attempts = 0;
        self.apologizing = false;
        self.reply_heard = 0;
        let decision = if past_stop {
            conductor.time_up(now)
        } else {
            conductor.silence(now)
        };
        self.say_decision(decision);
    }

    pub(crate) fn watchdog_fired(&mut self) {
        self.watchdog = None;
        let heard_any = self.reply.as_ref().is_some_and(|r| r.started_playing());
        if let Some(c) = self.llm.take() {
            self.out.push_back(Output::CancelLlm { request: c.request });
        }
        self.retry_at = None;
        if self.reply.is_some() {
            self.out.push_back(Output::CancelTts);
            self.out.push_back(Output::FlushAudio);
        }
        if !heard_any && !self.apologizing && self.reply.is_some() {
            self.apologize();
            self.watchdog = Some(self.now + self.cfg.watchdog);
            return;
        }
        self.finish_reply(heard_any);
    }

    pub(crate) fn pump(&mut self) {
        if self.paused_until.is_some() {
            return;
        }
        loop {
            let id = self.next_id + 1;
            let Some(text) = self
                .reply
                .as_mut()
                .and_then(|r| r.next_to_speak(&self.cfg.tts, id, self.now))
            else {
                break;
            };
            self.next_id = id;
            self.clock.spoke(self.now);
            self.out.push_back(Output::Speak { speech: id, text });
        }
        if self
            .reply
            .as_ref()
            .is_some_and(|r| r.finished() && r.started_playing())
        {
            self.finish_reply(false);
        }
    }

    /// Ends the agent's reply: history gets the heard words, transcript goes final.
    pub(crate) fn finish_reply(&mut self, interrupted: bool) {
        if let Some(reply) = self.reply.take() {
            let heard = reply.heard_text();
            self.history.push(Role::Agent, heard, interrupted);
            let id = SegmentId {
                side: Side::Agent,
                index: self.agent_segment,
            };
            self.out.push_back(Output::Transcript(TranscriptSegment {
                id,
                text: heard.to_owned(),
                is_final: true,
            }));
            self.agent_segment += 1;
            self.agent_recent.clear();
            self.agent_recent.push_str(heard);
            self.agent_end = Some(self.now);
            self.clock.metrics.interrupted |= interrupted;
            self.out
                .push_back(Output::Metrics(std::mem::take(&mut self.clock).metrics));
        }
        self.watchdog = None;
        self.paused_until = None;
        if let Some(ep) = self.episode.take().filter(|e| e.speaking()) {
            // Speech that outlasts the agent is the candidate's, even if it began as echo
            // (the VAD does not split echo running straight into an answer): it becomes
            // the candidate's turn, from now if what came before was echo.
            let echo = ep.echo == Some(true);
            self.turn.speaking = true;
            self.turn.speech_start = if echo { Some(self.now) } else { ep.start };
            if !echo && !is_backchannel(&ep.text) && !ep.text.trim().is_empty() {
                self.turn.add_stt(ep.text.trim(), true, self.now);
            }
        }
        if let Some(c) = self.llm.take() {
            self.out.push_back(Output::CancelLlm { request: c.request });
        }
        self.retry_at = None;
        let done = self.reply_last && !interrupted;
        self.set_state(if done {
            AgentState::Idle
        } else {
            AgentState::Listening
        });
    }
}
