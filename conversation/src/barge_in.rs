//! Barge-in verdicts: does candidate speech during agent playout interrupt the agent?

use crate::Instant;
use crate::engine::Engine;
use crate::io::{AgentState, Output};
use crate::turn::CandidateTurn;
use std::time::Duration;

use crate::config::BargeInConfig;
use crate::text::{is_backchannel, word_count};

/// Probability from which a frame counts as voiced.
const VOICED: f32 = 0.5;
/// How long speech once judged echo must keep failing the echo test to count as the
/// candidate's.
const ECHO_RELEASE: Duration = Duration::from_millis(120);
/// Unvoiced time after which a ducked agent is back to full level.
const RELEASE_AFTER: Duration = Duration::from_millis(300);
/// The duration of one scored frame.
const FRAME: Duration = Duration::from_millis(20);

/// What to do about candidate speech heard during agent playout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not (yet) an interruption: keep speaking.
    Wait,
    /// Stop the agent now.
    Interrupt,
}

/// Judges an episode of candidate speech: `speech` is its VAD duration so far, `text` the
/// (non-echo) STT words heard in it, `echo` whether the envelope test called it echo.
pub fn judge(cfg: &BargeInConfig, speech: Duration, text: &str, echo: bool) -> Verdict {
    if echo {
        return Verdict::Wait;
    }
    let words = word_count(text);
    if words > 0 && is_backchannel(text) {
        return if speech >= cfg.backchannel_max_speech {
            Verdict::Interrupt
        } else {
            Verdict::Wait
        };
    }
    let one_word = words >= 1 && speech >= cfg.one_word_speech;
    if words >= cfg.min_words || one_word || speech >= cfg.min_speech {
        return Verdict::Interrupt;
    }
    Verdict::Wait
}

/// One episode of candidate speech while the agent plays.
#[derive(Debug, Default)]
pub(crate) struct Episode {
    pub start: Option<crate::Instant>,
    pub end: Option<crate::Instant>,
    pub text: String,
    pub interim: String,
    pub echo: Option<bool>,
    pub ducked: bool,
    /// Whether the agent was ducked at any point of the episode (it is ducked at most once).
    pub held_once: bool,
    /// Voiced time: from the speech start to its detection, then every frame the VAD
    /// scored as speech. A cough keeps the VAD "speaking" through its hangover but adds
    /// little voiced time.
    pub voiced: Duration,
    /// Whether any frame was scored; without scores the episode's wall time counts.
    pub scored: bool,
    /// Unvoiced time since the last voiced frame.
    pub quiet: Duration,
    /// Since when the echo test keeps failing on speech once judged echo.
    pub not_echo_since: Option<crate::Instant>,
}

impl Episode {
    pub fn speech(&self, now: crate::Instant) -> Duration {
        match (self.start, self.end) {
            (Some(s), Some(e)) => e.saturating_since(s),
            (Some(s), None) => now.saturating_since(s),
            _ => Duration::ZERO,
        }
    }

    /// The speech measure the verdict uses: voiced time when frames are scored.
    pub fn measure(&self, now: crate::Instant) -> Duration {
        if self.scored {
            self.voiced.min(self.speech(now))
        } else {
            self.speech(now)
        }
    }

    pub fn speaking(&self) -> bool {
        self.start.is_some() && self.end.is_none()
    }
}

impl Engine {
    pub(crate) fn speech_start(&mut self, now: Instant) {
        self.vad_open = true;
        if self.conductor_closing() {
            // The conductor's close is said to the end: the interview is over.
            return;
        }
        if self.agent_playing() {
            let mut ep = Episode {
                start: Some(now),
                voiced: self.now.saturating_since(now),
                ..Episode::default()
            };
            if self.cfg.barge_in.duck && !self.echo.likely_echo(self.now) {
                ep.ducked = true;
                ep.held_once = true;
                self.out.push_back(Output::Duck);
            }
            self.episode = Some(ep);
            return;
        }
        self.turn.speaking = true;
        self.turn.speech_start.get_or_insert(now);
        self.turn.speech_end = None;
        // The candidate goes on: a reply speculated on what came before is not wanted.
        self.drop_speculation();
    }

    /// One candidate frame's speech probability, of audio that ended at `audio_end`.
    pub(crate) fn speech_probability(&mut self, p: f32, audio_end: Instant) {
        let voiced = p >= VOICED;
        if self.turn.scored_until.is_none_or(|s| audio_end > s) {
            self.turn.scored_until = Some(audio_end);
        }
        if voiced && self.episode.is_none() {
            if self.agent_playing() {
                // The turn committed on quiet while the VAD was still in its hangover: it
                // sends no new speech start, so voice heard now opens the episode.
                if self.vad_open {
                    self.speech_start(self.now);
                }
            } else if self.turn.speaking || self.turn.has_text() {
                let later = self.turn.last_voiced.is_none_or(|v| audio_end > v);
                if later {
                    self.turn.last_voiced = Some(audio_end);
                }
                if self.voice_after_finalize(audio_end) {
                    self.turn.finalize_pending = true;
                }
                self.speculation_heard_voice(FRAME, audio_end);
            }
        }
        if let Some(ep) = self.episode.as_mut().filter(|e| e.speaking()) {
            ep.scored = true;
            if p >= VOICED {
                ep.voiced += FRAME;
                ep.quiet = Duration::ZERO;
            } else {
                ep.quiet += FRAME;
                // The burst is over (the VAD's hangover is longer): let the agent go on
                // while the episode waits for its words.
                if ep.quiet >= RELEASE_AFTER && std::mem::take(&mut ep.ducked) {
                    self.out.push_back(Output::Unduck);
                }
            }
        }
    }

    pub(crate) fn speech_end(&mut self, now: Instant) {
        self.vad_open = false;
        if let Some(ep) = self.episode.as_mut().filter(|e| e.speaking()) {
            ep.end = Some(now);
            if std::mem::take(&mut ep.ducked) {
                self.out.push_back(Output::Unduck);
            }
            return;
        }
        if self.turn.speaking {
            self.turn.speaking = false;
            self.turn.speech_end = Some(now);
        }
        if let Some(p) = &mut self.paused_until {
            *p = (*p).max(self.now + self.cfg.endpoint.min_delay);
        }
    }

    pub(crate) fn judge_episode(&mut self) {
        if !self.agent_playing() {
            return;
        }
        let Some(ep) = self.episode.as_mut() else {
            return;
        };
        let played = self.reply.as_ref().is_some_and(|r| r.started_playing());
        if ep.start.is_none() && !played {
            // Late STT text with no new speech must not cancel a reply nobody heard yet.
            return;
        }
        let speech = ep.measure(self.now);
        // Re-judged on every frame while the speech lasts: a candidate who starts talking
        // over the echo breaks the correlation and is then heard.
        let judge_echo =
            ep.speaking() && speech >= self.cfg.barge_in.min_speech.min(Duration::from_millis(200));
        if let Some(start) = ep.start.filter(|_| judge_echo) {
            let echo = self.echo.is_echo(start, self.now);
            ep.echo = match (ep.echo, echo) {
                // Echo until proven otherwise for a while: one envelope window that fails
                // to correlate (network jitter) must not make the agent interrupt itself.
                (Some(true), false) => {
                    let since = *ep.not_echo_since.get_or_insert(self.now);
                    Some(self.now.saturating_since(since) < ECHO_RELEASE)
                }
                (_, echo) => {
                    ep.not_echo_since = None;
                    Some(echo)
                }
            };
        }
        let echo = ep.echo == Some(true);
        if echo && std::mem::take(&mut ep.ducked) {
            self.out.push_back(Output::Unduck);
        }
        // Inbound far quieter than the agent is what a speakerphone's echo sounds like, even
        // when the envelope test misses it (jitter buffers stretch and shift the echo): at
        // that level only words count, not voiced time, and the agent is not ducked.
        let echo_level = !echo && self.echo.likely_echo(self.now);
        // Speech that looked like echo at its onset (quiet first syllables against a loud
        // agent) is ducked as soon as it rises above the echo level.
        if self.cfg.barge_in.duck
            && !ep.held_once
            && ep.speaking()
            && ep.echo != Some(true)
            && !echo_level
        {
            ep.ducked = true;
            ep.held_once = true;
            self.out.push_back(Output::Duck);
        }
        let measure = if echo_level { Duration::ZERO } else { speech };
        let verdict = if ep.interim.is_empty() {
            judge(&self.cfg.barge_in, measure, &ep.text, echo)
        } else {
            judge(
                &self.cfg.barge_in,
                measure,
                &format!("{} {}", ep.text, ep.interim),
                echo,
            )
        };
        if verdict == Verdict::Interrupt {
            self.interrupt();
            return;
        }
        // Words that are only a backchannel ("mhmm", "yeah"): no need to duck the agent.
        let quiet_or_backchannel = |t: &str| t.trim().is_empty() || is_backchannel(t);
        let backchannel = !(ep.text.trim().is_empty() && ep.interim.trim().is_empty())
            && quiet_or_backchannel(&ep.text)
            && quiet_or_backchannel(&ep.interim);
        if backchannel && std::mem::take(&mut ep.ducked) {
            self.out.push_back(Output::Unduck);
        }
    }

    pub(crate) fn interrupt(&mut self) {
        self.out.push_back(Output::FlushAudio);
        self.out.push_back(Output::CancelTts);
        if let Some(c) = self.llm.take() {
            self.out.push_back(Output::CancelLlm { request: c.request });
        }
        self.retry_at = None;
        let ep = self.episode.take().unwrap_or_default();
        if ep.ducked {
            self.out.push_back(Output::Unduck);
        }
        if let Some(r) = &mut self.reply {
            r.stop();
        }
        self.clock.metrics.interrupted = true;
        self.watchdog = None;
        self.turn.speaking = ep.speaking();
        self.turn.speech_start = ep.start;
        self.turn.speech_end = ep.end;
        let text = ep.text.trim();
        if !text.is_empty() {
            self.turn.add_stt(text, true, self.now);
        }
        if !ep.interim.is_empty() {
            self.turn.add_stt(&ep.interim, false, self.now);
        }
        if self.turn.has_text() && !is_backchannel(&self.turn.text()) {
            self.finish_reply(true);
        } else {
            self.paused_until = Some(self.now + self.cfg.barge_in.false_interruption_timeout);
            self.set_state(AgentState::Listening);
        }
    }

    pub(crate) fn resume(&mut self) {
        self.paused_until = None;
        self.turn = CandidateTurn::default();
        let min = self.cfg.tts.min_sentence_chars;
        if let Some(r) = &mut self.reply {
            r.resume(min);
        }
        self.watchdog = Some(self.now + self.cfg.watchdog);
        self.set_state(AgentState::Speaking);
    }
}
