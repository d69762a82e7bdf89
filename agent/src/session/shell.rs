//! The one async shell around the sans-IO engine: a closed [`Event`] enum, one `select!`,
//! and the translation of engine outputs into transport, STT, LLM and TTS commands. The
//! clock is read here and nowhere else, and it is tokio's: the real clock, or the paused
//! time of a test.

use std::time::Duration;

use conversation::{
    Engine, Input, InputKind, Mode, Output, ScriptedResponder, SpeechLedger, StreamTimes,
    SttResult, TurnTracer,
};
use providers::stt::{SttEvent, SttStream, Transcript};
use tokio::sync::watch;

use super::delivery;
use super::listen::{Heard, Listener};
use super::playout::{Playout, Sent, rms};
use super::speak::{Speaker, Voiced};
use super::think::{Thinker, Thought};
use super::{Hooks, SessionError, SessionReport, VoiceConfig, transcript};
use crate::transport::{AgentState, RoomEvent, RoomTransport, SAMPLE_RATE};

/// Everything the shell waits for.
enum Event {
    Room(Option<RoomEvent>),
    Heard(Heard),
    Stt(Option<SttEvent>),
    Thought(Thought),
    Voiced(Voiced),
    Timer,
    Tick,
    Cancel,
}

/// Runs one interview in `room` until it ends, the room closes or `cancel` turns true.
/// The caller leaves the room afterwards.
pub async fn run<T: RoomTransport>(
    room: &mut T,
    config: VoiceConfig,
    hooks: Hooks,
    mut cancel: watch::Receiver<bool>,
) -> Result<SessionReport, SessionError> {
    let started = tokio::time::Instant::now();
    let mode = match (&config.brief, &config.llm) {
        (Some(brief), llm) => Mode::Conducted {
            conductor: Box::new(conversation::conductor::Conductor::new(brief.clone())),
            llm_words: llm.is_some(),
        },
        (None, Some(_)) => Mode::Llm,
        (None, None) => Mode::Scripted(ScriptedResponder::new(
            config.questions.clone(),
            config.closing.clone(),
        )),
    };
    let mut shell = Shell {
        engine: Engine::new(config.engine.clone(), mode),
        started,
        listener: Listener::spawn(
            config.pipeline.clone(),
            config.silero.clone(),
            config.dsp,
            hooks.on_frame.clone(),
        )
        .map_err(SessionError::Thread)?,
        stt: Some(config.stt.open(SAMPLE_RATE, config.language.as_deref())),
        thinker: config
            .llm
            .clone()
            .map(|llm| Thinker::new(llm, config.system_prompt.clone())),
        speaker: Speaker::spawn(config.tts.clone()),
        playout: Playout::default(),
        speeches: SpeechLedger::new(SAMPLE_RATE),
        times: StreamTimes::default(),
        candidate: None,
        plan_duration: config.brief.as_ref().map(|b| b.duration),
        reconnecting: false,
        opened: false,
        deadline: None,
        duck_since: None,
        hooks,
        report: SessionReport::default(),
        announced: 0,
        sent: Vec::with_capacity(16),
        end_when_done: config.end_when_done,
        endpoint: config.engine.endpoint.clone(),
        tracer: TurnTracer::default(),
        nudges: config
            .nudges
            .then(|| dsp::nudge::NudgePolicy::new(config.nudge_policy.clone())),
        candidate_words: String::new(),
        word_rate: delivery::WordRate::default(),
        agent_frames: 0,
        syllables_per_word: config.pipeline.prosody.syllables_per_word,
    };
    let _ = room.set_agent_state(AgentState::Initializing);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let wake = shell.deadline.map(|d| started + d.since_start());
        let busy = shell.playout.busy();
        let stt_open = shell.stt.is_some();
        // Biased: events ready at the same time are taken in this order, so the same inputs
        // give the same session (paused-time tests); every branch is quick, none starves.
        let event = tokio::select! {
            biased;
            changed = cancel.changed() => {
                if changed.is_err() || *cancel.borrow() { Event::Cancel } else { continue }
            }
            event = room.next_event() => Event::Room(event),
            Some(heard) = shell.listener.events.recv() => Event::Heard(heard),
            event = next_stt(&mut shell.stt), if stt_open => Event::Stt(event),
            Some(thought) = next_thought(&mut shell.thinker) => Event::Thought(thought),
            Some(voiced) = shell.speaker.events.recv() => Event::Voiced(voiced),
            () = sleep_until(wake), if wake.is_some() => Event::Timer,
            _ = tick.tick(), if busy => Event::Tick,
        };
        match event {
            Event::Cancel => {
                shell.report.ending = super::Ending::Cancelled;
                break;
            }
            Event::Room(None) => {
                shell.report.ending = super::Ending::RoomClosed;
                break;
            }
            Event::Room(Some(event)) => {
                if let Some(ending) = shell.room_event(event) {
                    shell.report.ending = ending;
                    break;
                }
            }
            Event::Heard(Heard::Second(point)) => shell.second(room, &point),
            Event::Heard(heard) => shell.heard(heard),
            Event::Stt(event) => {
                shell.stt_event(event);
                if shell.report.failure.is_some() {
                    shell.report.ending = super::Ending::ProviderFailed;
                    break;
                }
            }
            Event::Thought(thought) => shell.thought(thought),
            Event::Voiced(voiced) => shell.voiced(voiced),
            Event::Timer => shell.input(InputKind::Timer),
            Event::Tick => {}
        }
        shell.pump(room)?;
        shell.announce_messages();
        if shell.end_when_done
            && shell.engine.state() == conversation::AgentState::Idle
            && shell.opened
            && !shell.playout.busy()
        {
            shell.report.ending = super::Ending::Finished;
            break;
        }
    }
    if let Some(stt) = &shell.stt {
        stt.close();
    }
    shell.announce_messages();
    shell.report.candidate = shell.candidate.as_ref().map(|(id, _)| id.clone());
    shell.report.history = shell.engine.history().messages().to_vec();
    shell.report.traces = shell.tracer.finish();
    let words = std::mem::take(&mut shell.candidate_words);
    shell.report.delivery = shell.listener.finish(words).await.map(|summary| {
        let talk = delivery::Conversation {
            agent_seconds: shell.agent_frames as f64 * 0.02,
            interruptions: shell.report.turns.iter().filter(|t| t.interrupted).count() as u32,
            nudges: shell.report.nudges.len() as u32,
            syllables_per_word: shell.syllables_per_word,
        };
        delivery::summary(&summary, talk)
    });
    let counts = &shell.listener.counts;
    shell.report.frames = counts.frames.load(std::sync::atomic::Ordering::Relaxed);
    shell.report.late_frames = counts.late.load(std::sync::atomic::Ordering::Relaxed);
    Ok(shell.report)
}

async fn next_stt(stt: &mut Option<SttStream>) -> Option<SttEvent> {
    match stt {
        Some(stt) => stt.next_event().await,
        None => std::future::pending().await,
    }
}

async fn next_thought(thinker: &mut Option<Thinker>) -> Option<Thought> {
    match thinker {
        Some(t) => t.events.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct Shell {
    engine: Engine,
    /// The session's clock starts here; read through `tokio::time`, so paused-time tests
    /// drive it.
    started: tokio::time::Instant,
    listener: Listener,
    stt: Option<SttStream>,
    thinker: Option<Thinker>,
    speaker: Speaker,
    playout: Playout,
    /// The text each stretch of the agent's audio covers; cancelled speeches.
    speeches: SpeechLedger,
    /// Session times of the candidate's stream positions.
    times: StreamTimes,
    /// (identity, track sid) of the candidate whose audio we listen to.
    candidate: Option<(String, String)>,
    /// The conductor's planned duration (conducted interviews only).
    plan_duration: Option<Duration>,
    reconnecting: bool,
    opened: bool,
    deadline: Option<conversation::Instant>,
    duck_since: Option<tokio::time::Instant>,
    hooks: Hooks,
    report: SessionReport,
    /// History messages already passed to `hooks.on_message`.
    announced: usize,
    sent: Vec<Sent>,
    end_when_done: bool,
    endpoint: conversation::EndpointConfig,
    /// When each committed turn could first have been known to be over.
    tracer: TurnTracer,
    /// The coaching policy, unless nudges are off for this interview.
    nudges: Option<dsp::nudge::NudgePolicy>,
    /// The candidate's final STT text so far (fillers and words per minute).
    candidate_words: String,
    /// The candidate's latest words per second, from the recognizer's finals.
    word_rate: delivery::WordRate,
    /// 20 ms frames of the agent's voice sent to the room.
    agent_frames: u64,
    syllables_per_word: f32,
}

impl Shell {
    fn now(&self) -> conversation::Instant {
        conversation::Instant::from_start(self.started.elapsed())
    }

    fn input(&mut self, kind: InputKind) {
        let at = self.now();
        self.engine.handle_input(Input { at, kind });
    }

    /// Passes messages that entered the history since the last call to `hooks.on_message`.
    fn announce_messages(&mut self) {
        let messages = self.engine.history().messages();
        if let Some(on_message) = &self.hooks.on_message {
            for message in messages.get(self.announced..).unwrap_or_default() {
                on_message(message);
            }
        }
        self.announced = messages.len();
    }

    /// Handles a room event; why the session ends, if it does.
    fn room_event(&mut self, event: RoomEvent) -> Option<super::Ending> {
        match event {
            RoomEvent::Audio(frame) => {
                let known = self
                    .candidate
                    .as_ref()
                    .is_none_or(|(id, _)| **id == *frame.identity);
                if !known {
                    return None;
                }
                if self.candidate.is_none() {
                    self.candidate =
                        Some((frame.identity.to_string(), frame.track_sid.to_string()));
                }
                let at = self.now();
                self.times.record(at);
                let level = rms(&frame.samples);
                self.engine.handle_input(Input {
                    at,
                    kind: InputKind::InboundEnergy(level),
                });
                if let Some(stt) = &self.stt {
                    stt.send_audio(&frame.samples);
                }
                // Lateness is counted by the dsp thread once the frame is analysed.
                self.listener.push(frame.samples, frame.received_at);
            }
            RoomEvent::TrackSubscribed {
                identity,
                track_sid,
            } => {
                let same = self
                    .candidate
                    .as_ref()
                    .is_none_or(|(id, _)| *id == identity);
                if same {
                    self.candidate = Some((identity, track_sid));
                }
            }
            RoomEvent::LocalTrackSubscribed { track_sid } => {
                self.report.agent_track = track_sid;
                if !self.opened {
                    self.opened = true;
                    self.input(InputKind::Start);
                }
            }
            RoomEvent::Reconnecting { .. } => self.reconnecting = true,
            RoomEvent::Connected { .. } => self.reconnecting = false,
            RoomEvent::ParticipantLeft { identity } => {
                let candidate = self
                    .candidate
                    .as_ref()
                    .is_some_and(|(id, _)| *id == identity);
                if candidate && !self.reconnecting {
                    tracing::info!("the candidate left; ending the session");
                    return Some(super::Ending::CandidateLeft);
                }
            }
            RoomEvent::Disconnected { reason } => {
                tracing::info!(%reason, "room closed; ending the session");
                return Some(super::Ending::RoomClosed);
            }
            _ => {}
        }
        None
    }

    fn heard(&mut self, heard: Heard) {
        match heard {
            Heard::Vad {
                event: dsp::vad::VadEvent::SpeechStart { at, .. },
                ..
            } => {
                let started = self.times.at_position(at.0);
                tracing::debug!(?started, "candidate speech started");
                self.input(InputKind::VadSpeechStart { started });
            }
            Heard::Vad {
                event: dsp::vad::VadEvent::SpeechEnd { at, .. },
                frame,
            } => {
                let ended = self.times.at_position(at.0);
                tracing::debug!(?ended, "candidate speech ended");
                self.tracer.speech_end(ended, self.times.arrival(frame));
                self.input(InputKind::VadSpeechEnd { ended });
                if let Some(stt) = &self.stt {
                    stt.finalize();
                }
            }
            Heard::Probability { p, until } => {
                let audio_end = self.times.at_position(until);
                self.input(InputKind::SpeechProbability { p, audio_end });
            }
            Heard::Second(_) => {}
            Heard::Failed => tracing::warn!("no VAD: the pipeline failed to start"),
        }
    }

    fn stt_event(&mut self, event: Option<SttEvent>) {
        match event {
            Some(SttEvent::Transcript(Transcript {
                text,
                words,
                is_final,
                start,
                duration,
                confidence,
                ..
            })) => {
                if text.trim().is_empty() {
                    return;
                }
                let from = words.first().map_or(start, |w| w.start);
                let to = words.last().map_or(start + duration, |w| w.end);
                if is_final {
                    self.tracer.final_transcript(self.now());
                    self.word_rate.words(words.iter().map(|w| (w.start, w.end)));
                    self.candidate_words.push_str(text.trim());
                    self.candidate_words.push('\n');
                }
                tracing::debug!(is_final, words = words.len(), "speech-to-text result");
                let result = SttResult {
                    text,
                    is_final,
                    start: self.times.at_seconds(from),
                    end: self.times.at_seconds(to),
                    confidence,
                };
                self.input(InputKind::Stt(result));
            }
            Some(SttEvent::UtteranceEnd { last_word_end }) => {
                let last_word_end = self.times.at_seconds(last_word_end);
                self.input(InputKind::SttUtteranceEnd { last_word_end });
            }
            Some(SttEvent::Reconnected { reconnects, .. }) => {
                tracing::warn!(reconnects, "speech-to-text reconnected; audio replayed");
            }
            Some(SttEvent::Closed { error }) => {
                self.stt_down(error.as_deref().unwrap_or("the service closed the stream"));
            }
            None => self.stt_down("the driver stopped"),
            Some(_) => {}
        }
    }

    /// The speech recognizer gave up: the session cannot go on and ends with the reason.
    fn stt_down(&mut self, error: &str) {
        tracing::error!(%error, "speech-to-text is down; the interview cannot go on");
        let reason: String = format!("speech recognition unavailable: {error}")
            .chars()
            .take(400)
            .collect();
        self.report.failure = Some(reason);
        self.stt = None;
    }

    fn thought(&mut self, thought: Thought) {
        let kind = match thought {
            Thought::Token { request, token } => InputKind::LlmToken { request, token },
            Thought::Done { request } => InputKind::LlmDone { request },
            Thought::Failed { request } => InputKind::LlmError { request },
        };
        self.input(kind);
    }

    fn voiced(&mut self, voiced: Voiced) {
        match voiced {
            Voiced::Audio { speech, samples } => {
                if let Some(chunk) = self.speeches.audio(speech, samples.len()) {
                    self.playout.add(speech, &samples);
                    self.input(chunk);
                }
            }
            Voiced::Done { speech } => {
                if let Some(done) = self.speeches.done(speech) {
                    self.playout.end_speech();
                    self.input(done);
                }
            }
        }
    }

    /// Reports playout progress, drains the engine's outputs and feeds the transport.
    fn pump<T: RoomTransport>(&mut self, room: &T) -> Result<(), SessionError> {
        for _ in 0..4 {
            self.progress(room);
            let mut acted = false;
            loop {
                match self.engine.poll_output() {
                    Output::Timeout(at) => {
                        self.deadline = at;
                        break;
                    }
                    output => {
                        acted = true;
                        self.output(room, output);
                    }
                }
            }
            let pushed = self.playout.top_up(room)?;
            if pushed > 0 {
                self.tracer.audio_queued(self.now());
            }
            if !acted && pushed == 0 {
                break;
            }
        }
        Ok(())
    }

    fn progress<T: RoomTransport>(&mut self, room: &T) {
        self.sent.clear();
        self.playout.sent(room, &mut self.sent);
        if self.sent.is_empty() {
            return;
        }
        let at = self.now();
        self.agent_frames += self.sent.len() as u64;
        for i in 0..self.sent.len() {
            let s = self.sent[i];
            self.engine.handle_input(Input {
                at,
                kind: InputKind::OutboundEnergy(s.rms),
            });
            let last_of_speech = self.sent.get(i + 1).is_none_or(|n| n.speech != s.speech);
            if last_of_speech {
                self.engine.handle_input(Input {
                    at,
                    kind: InputKind::Playout {
                        speech: s.speech,
                        samples: s.cumulative,
                    },
                });
            }
        }
    }

    fn output<T: RoomTransport>(&mut self, room: &T, output: Output) {
        match output {
            Output::StartLlm {
                request,
                history,
                instruction,
            } => {
                if let Some(t) = &mut self.thinker {
                    t.start(request, &history, instruction.as_deref());
                }
            }
            Output::Conductor(event) => {
                tracing::info!(?event, "conductor");
                if let conversation::conductor::Event::PhaseChanged(phase) = &event {
                    self.announce_phase(room, phase.as_str());
                }
                if let Some(on_event) = &self.hooks.on_event {
                    on_event(&event);
                }
            }
            Output::CancelLlm { request } => {
                if let Some(t) = &mut self.thinker {
                    t.cancel(request);
                }
            }
            Output::Speak { speech, text } => {
                self.speeches.speak(speech, &text);
                self.speaker.speak(speech, text);
            }
            Output::PrepareSpeech { text } => self.speaker.prepare(text),
            Output::DropPreparedSpeech => self.speaker.drop_prepared(),
            Output::FinalizeStt => {
                if let Some(stt) = &self.stt {
                    stt.finalize();
                }
            }
            Output::CancelTts => {
                self.speaker.cancel();
                self.speeches.cancel_all();
                self.playout.cancel_unstarted();
            }
            Output::FlushAudio => {
                let dropped = self.playout.flush(room);
                self.report.flushes.push(self.started.elapsed());
                tracing::debug!(dropped, "agent audio flushed");
            }
            Output::Duck => {
                let back = self.playout.duck(room);
                tracing::debug!(back, "agent voice ducked");
                self.duck_since
                    .get_or_insert_with(tokio::time::Instant::now);
            }
            Output::Unduck => {
                self.playout.unduck(room);
                if let Some(since) = self.duck_since.take() {
                    self.report.ducks.push(since.elapsed());
                }
            }
            Output::Transcript(segment) => {
                if segment.id.side == conversation::Side::Candidate && segment.is_final {
                    let now = self.now();
                    self.tracer.commit(&self.endpoint, &segment.text, now);
                }
                let t = transcript::to_transcription(
                    &segment,
                    self.candidate.as_ref(),
                    &self.report.agent_track,
                );
                if let Err(e) = room.send_transcription(t) {
                    tracing::warn!(error = %e, "transcript not sent");
                }
            }
            Output::State(state) => {
                if let Err(e) = room.set_agent_state(transcript::agent_state(state)) {
                    tracing::warn!(error = %e, "agent state not sent");
                }
            }
            Output::Metrics(metrics) => {
                tracing::info!(
                    turn = metrics.turn,
                    end_to_end_ms = metrics.end_to_end.map(|d| d.as_millis() as u64),
                    interrupted = metrics.interrupted,
                    "turn"
                );
                if let Some(m) = &self.hooks.metrics {
                    m.observe(&metrics);
                }
                self.report.turns.push(metrics);
            }
            Output::Timeout(_) => {}
        }
    }
}

impl Shell {
    /// Tells the room the phase and the time left, on [`contract::topics::PHASE`].
    fn announce_phase<T: RoomTransport>(&self, room: &T, phase: &str) {
        let Some(duration) = self.plan_duration else {
            return;
        };
        let message = contract::live::PhaseMessage {
            v: contract::VERSION,
            phase: phase.to_owned(),
            remaining_s: duration
                .saturating_sub(self.started.elapsed())
                .as_secs_f64(),
            duration_s: duration.as_secs_f64(),
        };
        match serde_json::to_vec(&message) {
            Ok(payload) => {
                if let Err(e) = room.send_data(contract::topics::PHASE, &payload, &[]) {
                    tracing::warn!(error = %e, "phase not sent");
                }
            }
            Err(e) => tracing::warn!(error = %e, "phase not encoded"),
        }
    }

    /// A second of the candidate's audio: onto the timeline, and through the nudge policy.
    /// Nudges are data on [`contract::topics::NUDGE`], never speech. The policy's clock is
    /// the timeline's (stream seconds), so its cooldown holds whatever the session clock.
    fn second<T: RoomTransport>(&mut self, room: &T, point: &dsp::summary::TimelinePoint) {
        if let Some(on_second) = &self.hooks.on_second {
            on_second(&delivery::point(point));
        }
        let answer_expected = self.opened
            && self.engine.state() == conversation::AgentState::Listening
            && !self.playout.busy();
        let words_per_second = self.word_rate.second();
        let Some(policy) = &mut self.nudges else {
            return;
        };
        let now = Duration::from_secs(u64::from(point.second) + 1);
        let mut observation = point.observation(answer_expected);
        if let Some(wps) = words_per_second {
            observation.syllables_per_second = Some(wps * self.syllables_per_word);
        }
        let Some(nudge) = policy.observe(now, &observation) else {
            return;
        };
        let (metric, value) = policy.reading(nudge, &observation, now);
        let message = delivery::message(nudge, metric, value, now.as_secs_f64());
        tracing::info!(kind = ?message.kind, metric, value, "nudge");
        match serde_json::to_vec(&message) {
            Ok(payload) => {
                if let Err(e) = room.send_data(contract::topics::NUDGE, &payload, &[]) {
                    tracing::warn!(error = %e, "nudge not sent");
                }
            }
            Err(e) => tracing::warn!(error = %e, "nudge not encoded"),
        }
        if let Some(on_nudge) = &self.hooks.on_nudge {
            on_nudge(&message);
        }
        self.report.nudges.push(message);
    }
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell")
            .field("state", &self.engine.state())
            .finish()
    }
}
