//! [`VoiceRunner`]: the worker's job runner that holds a real interview in the room.
//!
//! Per job it reads control-api's metadata (`interview_id`, `redispatch`), resumes an
//! interview a dead worker left (the questions already answered are not asked again and the
//! candidate hears that the agent is back), streams every message of the conversation to
//! control-api's transcript as it happens (so a crash loses nothing said before it), sends
//! the delivery timeline in batches of up to ten seconds, every nudge as an event and the
//! delivery summary at the end (nudges can be turned off per interview with
//! `interview_config.nudges: false`), says
//! goodbye when the worker's drain deadline or a job termination cuts the interview short,
//! and reports the job finished before it leaves the room.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use contract::agent::{AgentEvent, EventKind, Outcome, Phase, Provider, Speaker};
use contract::delivery::{DeliveryPoint, DeliverySummary, NudgeMessage, TimelineBatch};
use conversation::{Message, Question, Role, conductor};
use futures_util::StreamExt;
use livekit_protocol::Job;
use tokio::sync::{mpsc, watch};

use super::speak::Linear;
use super::{EventHook, Hooks, MessageHook, NudgeHook, SecondHook, VoiceArgs, VoiceConfig};
use crate::metrics::VoiceMetrics;
use crate::transport::{
    FRAME_DURATION, FRAME_SAMPLES, LiveKitRoom, RoomEvent, RoomTransport, SAMPLE_RATE,
};
use crate::worker::JobRunner;
use crate::worker::control::ControlApi;
use crate::worker::load::Load;

/// What the agent says first after a re-dispatch, before the question it continues with.
pub const RESUMED: &str = "Sorry about that, I'm back. Let's continue the interview.";
/// Its goodbye when the worker drains past its deadline or the job is terminated.
pub const GOODBYE: &str = "I have to end the interview now. Thank you, and goodbye.";
/// What the candidate hears when the speech recognizer stays down.
pub const PROVIDER_DOWN: &str = "I'm sorry, a technical problem on our side means I can no longer hear you, so this interview has to end now. Nothing is held against you, and the hiring team will be in touch to arrange another time.";
/// The same in Spanish.
pub const PROVIDER_DOWN_ES: &str = "Lo siento, un problema técnico de nuestra parte impide que le escuche, así que esta entrevista tiene que terminar ahora. Nada de esto cuenta en su contra, y el equipo de selección se pondrá en contacto para fijar otro momento.";

/// How long the goodbye may take to synthesize and play, beyond its own duration.
const GOODBYE_SLACK: Duration = Duration::from_secs(3);
/// How long the transcript may take to reach control-api after the session ended.
const TRANSCRIPT_FLUSH: Duration = Duration::from_secs(5);
/// Messages waiting for control-api; beyond this the oldest stay in the session report only
/// (a dead control-api must not grow the worker's memory without bound).
const TRANSCRIPT_QUEUE: usize = 64;

/// Runs one voice session per job with the configured providers.
#[derive(Clone)]
pub struct VoiceRunner {
    config: VoiceConfig,
    metrics: Option<VoiceMetrics>,
    control: Option<ControlApi>,
}

impl VoiceRunner {
    /// A runner with ready providers; `metrics` (if any) receives every turn, `control` (if
    /// any) the transcript and the state a re-dispatched interview resumes from.
    pub fn new(
        config: VoiceConfig,
        metrics: Option<VoiceMetrics>,
        control: Option<ControlApi>,
    ) -> Self {
        Self {
            config,
            metrics,
            control,
        }
    }

    /// A runner from command-line options.
    pub fn from_args(
        args: &VoiceArgs,
        metrics: Option<VoiceMetrics>,
        control: Option<ControlApi>,
    ) -> Result<Self> {
        Ok(Self::new(VoiceConfig::from_args(args)?, metrics, control))
    }

    /// Checks every configured provider before the worker takes a job: the speech
    /// recognizer (a live socket opened and closed with the key), the LLM if there is one
    /// (its model list, with the key) and the voice (a word synthesized). The error names
    /// the provider that is not ready.
    pub async fn check_providers(&self) -> Result<()> {
        const WAIT: Duration = Duration::from_secs(10);
        let stt = &self.config.stt;
        stt.check().await.map_err(|e| {
            anyhow::anyhow!("the speech recognizer ({}) is not ready: {e}", stt.name())
        })?;
        if let Some(llm) = &self.config.llm {
            llm.check()
                .await
                .map_err(|e| anyhow::anyhow!("the LLM is not ready: {e}"))?;
        }
        let not_ready = |e: &dyn std::fmt::Display| anyhow::anyhow!("the voice is not ready: {e}");
        let mut stream = tokio::time::timeout(WAIT, self.config.tts.synthesize("Ready."))
            .await
            .map_err(|_| not_ready(&"no answer within 10 s"))?
            .map_err(|e| not_ready(&e))?;
        match tokio::time::timeout(WAIT, stream.next()).await {
            Ok(Some(Ok(_))) => Ok(()),
            Ok(Some(Err(e))) => Err(not_ready(&e)),
            Ok(None) => Err(not_ready(&"no audio")),
            Err(_) => Err(not_ready(&"no audio within 10 s")),
        }
    }

    /// The session config of one job: the interview's own settings, and a resumed
    /// interview continues where it stopped.
    async fn job_config(&self, interview: Option<&str>, resumed: bool) -> VoiceConfig {
        let mut config = self.config.clone();
        if let (Some(control), Some(id)) = (&self.control, interview) {
            match control.context(id).await {
                Ok(context) => apply_context(&mut config, &context),
                Err(e) => tracing::warn!(interview = %id, "no interview context: {e:#}"),
            }
        }
        if !resumed {
            return config;
        }
        let turns = match (&self.control, interview) {
            (Some(control), Some(id)) => match control.state(id).await {
                Ok(state) => transcript_turns(&state),
                Err(e) => {
                    tracing::warn!(interview = %id, "no state to resume from: {e:#}");
                    Vec::new()
                }
            },
            _ => Vec::new(),
        };
        resume(&mut config, &turns);
        config
    }
}

/// Applies the interview's own settings from its context: `interview_config.nudges: false`
/// turns the coaching nudges off; the language goes to the speech recognizer and the voice;
/// an interview with a role is run by the conductor from its brief.
pub fn apply_context(config: &mut VoiceConfig, context: &contract::context::InterviewContext) {
    if !context.interview.nudges() {
        config.nudges = false;
    }
    let language = context.interview.language_code();
    config.language = Some(language.clone());
    if let Some(tts) = config.tts.for_language(&language) {
        config.tts = tts;
    }
    if let Some(brief) = super::brief::from_context(context) {
        config.system_prompt = super::brief::system_prompt(&brief, context);
        config.brief = Some(brief);
    }
}

/// `(role, text)` of every turn in control-api's interview state.
fn transcript_turns(state: &contract::agent::InterviewState) -> Vec<(Speaker, String)> {
    state
        .transcript
        .iter()
        .map(|t| (t.role, t.text.clone()))
        .collect()
}

/// Rewrites `config` to continue an interview whose transcript so far is `turns`: questions
/// already asked and answered are dropped, a question the candidate had not answered yet is
/// asked again, and the first line starts with [`RESUMED`]. With an LLM the conversation so
/// far goes into the system prompt.
pub fn resume(config: &mut VoiceConfig, turns: &[(Speaker, String)]) {
    let asked = |q: &Question| {
        turns.iter().rposition(|(role, text)| {
            *role == Speaker::Interviewer && text.contains(q.text.as_str())
        })
    };
    // The last question asked, and where in the transcript it was asked.
    let last = config
        .questions
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, q)| asked(q).map(|at| (i, at)));
    let from = match last {
        Some((i, at))
            if turns[at + 1..]
                .iter()
                .any(|(role, _)| *role == Speaker::Candidate) =>
        {
            i + 1
        }
        Some((i, _)) => i,
        None => 0,
    };
    config.questions.drain(..from.min(config.questions.len()));
    match config.questions.first_mut() {
        Some(first) => first.text = format!("{RESUMED} {}", first.text),
        None => config.closing = format!("{RESUMED} {}", config.closing),
    }
    if config.llm.is_some() && !turns.is_empty() {
        let so_far: Vec<String> = turns
            .iter()
            .map(|(role, text)| format!("{}: {text}", role.as_str()))
            .collect();
        config.system_prompt = format!(
            "{}\n\nThe connection dropped and you are back. Start your reply with \"{RESUMED}\" and continue from here. The interview so far:\n{}",
            config.system_prompt,
            so_far.join("\n")
        );
    }
}

/// Whether the job resumes an interview a dead worker left: control-api's re-dispatch
/// metadata (`{"redispatch": true}`, or `{"resumed": true}`).
pub fn is_resumed(job: &Job) -> bool {
    contract::job::JobMetadata::parse(&job.metadata).redispatch
}

/// The interview id control-api put in the job metadata, if any.
pub fn interview_id(job: &Job) -> Option<String> {
    contract::job::JobMetadata::parse(&job.metadata).interview_id
}

/// Closes `queue` and waits, bounded, until `task` has sent what it held.
async fn drain<T>(queue: mpsc::Sender<T>, mut task: tokio::task::JoinHandle<()>) {
    drop(queue);
    if tokio::time::timeout(TRANSCRIPT_FLUSH, &mut task)
        .await
        .is_err()
    {
        task.abort();
    }
}

/// Sends the conversation to control-api in order, one message at a time.
struct TranscriptWriter {
    queue: mpsc::Sender<(Speaker, String)>,
    task: tokio::task::JoinHandle<()>,
}

impl TranscriptWriter {
    fn start(control: ControlApi, interview: String) -> Self {
        let (queue, mut messages) = mpsc::channel::<(Speaker, String)>(TRANSCRIPT_QUEUE);
        let task = tokio::spawn(async move {
            while let Some((role, text)) = messages.recv().await {
                if let Err(e) = control.append_turn(&interview, role, &text).await {
                    tracing::warn!(interview = %interview, "transcript turn not stored: {e:#}");
                }
            }
        });
        Self { queue, task }
    }

    fn hook(&self) -> MessageHook {
        let queue = self.queue.clone();
        Arc::new(move |message: &Message| {
            let role = match message.role {
                Role::Agent => Speaker::Interviewer,
                Role::Candidate => Speaker::Candidate,
            };
            if queue.try_send((role, message.text.clone())).is_err() {
                tracing::warn!("transcript queue full; a turn stays in the session report only");
            }
        })
    }

    /// Waits (bounded) until everything queued was sent.
    async fn finish(self) {
        drain(self.queue, self.task).await;
    }
}

/// Timeline points held while control-api is unreachable (ten minutes); older ones are
/// dropped first.
const TIMELINE_BACKLOG: usize = 600;
/// Seconds of timeline per batch.
const TIMELINE_BATCH: usize = 10;

/// What the delivery writer sends control-api.
enum Delivery {
    Point(DeliveryPoint),
    Nudge(NudgeMessage),
    Conductor(conductor::Event),
}

/// The contract's spelling of a conductor phase.
fn contract_phase(phase: conductor::Phase) -> Phase {
    match phase {
        conductor::Phase::Opening => Phase::Opening,
        conductor::Phase::Background => Phase::Background,
        conductor::Phase::Technical => Phase::Technical,
        conductor::Phase::Behavioral => Phase::Behavioral,
        conductor::Phase::Coding => Phase::Coding,
        conductor::Phase::CandidateQuestions => Phase::CandidateQuestions,
        conductor::Phase::WrapUp => Phase::WrapUp,
    }
}

/// Records a conductor event with control-api: phase changes set the interview's phase.
async fn record(control: &ControlApi, interview: &str, event: &conductor::Event) -> Result<()> {
    use conductor::Event;
    let event = match event {
        Event::PhaseChanged(phase) => {
            return control.phase(interview, contract_phase(*phase)).await;
        }
        Event::Consent(given) => AgentEvent::consent(*given),
        Event::ManipulationDeclined => AgentEvent::because(EventKind::Declined, "manipulation"),
        Event::Asked { question, skill } => AgentEvent::question(question, skill.as_deref()),
        Event::Ended(why) => AgentEvent::because(EventKind::Ended, why),
        Event::LlmUnavailable => {
            AgentEvent::provider_degraded(Provider::Llm, "the conductor's own wording")
        }
    };
    control.record(interview, &event).await
}

/// Sends the delivery timeline in batches and nudges as events, in order; a failed batch
/// is retried with the next one (control-api keeps one point per session and second).
struct DeliveryWriter {
    queue: mpsc::Sender<Delivery>,
    task: tokio::task::JoinHandle<()>,
}

impl DeliveryWriter {
    fn start(control: ControlApi, interview: String, session: String) -> Self {
        let (queue, mut items) = mpsc::channel::<Delivery>(TIMELINE_BACKLOG);
        let task = tokio::spawn(async move {
            let mut points: Vec<DeliveryPoint> = Vec::with_capacity(TIMELINE_BATCH);
            let mut open = true;
            while open {
                match items.recv().await {
                    Some(Delivery::Point(p)) => points.push(p),
                    Some(Delivery::Nudge(n)) => {
                        if let Err(e) = control.event(&interview, EventKind::Nudge, &n).await {
                            tracing::warn!(interview = %interview, "nudge event not stored: {e:#}");
                        }
                    }
                    Some(Delivery::Conductor(event)) => {
                        if let Err(e) = record(&control, &interview, &event).await {
                            tracing::warn!(interview = %interview, "conductor event not stored: {e:#}");
                        }
                    }
                    None => open = false,
                }
                if points.len() < TIMELINE_BATCH && open {
                    continue;
                }
                if points.is_empty() {
                    continue;
                }
                let batch = TimelineBatch {
                    v: contract::VERSION,
                    session: session.clone(),
                    points: std::mem::take(&mut points),
                };
                if let Err(e) = control.timeline(&interview, &batch).await {
                    tracing::warn!(interview = %interview, "timeline batch not stored: {e:#}");
                    points = batch.points;
                    let over = points.len().saturating_sub(TIMELINE_BACKLOG);
                    points.drain(..over);
                }
            }
        });
        Self { queue, task }
    }

    fn hooks(&self) -> (SecondHook, NudgeHook, EventHook) {
        let (points, nudges, events) = (self.queue.clone(), self.queue.clone(), self.queue.clone());
        (
            Arc::new(move |p: &DeliveryPoint| {
                if points.try_send(Delivery::Point(*p)).is_err() {
                    tracing::warn!("delivery queue full; a timeline second is dropped");
                }
            }),
            Arc::new(move |n: &NudgeMessage| {
                let _ = nudges.try_send(Delivery::Nudge(n.clone()));
            }),
            Arc::new(move |e: &conductor::Event| {
                if events.try_send(Delivery::Conductor(e.clone())).is_err() {
                    tracing::warn!("event queue full; a conductor event is dropped");
                }
            }),
        )
    }

    /// Sends what is left, then the summary (bounded).
    async fn finish(self, control: &ControlApi, interview: &str, summary: Option<DeliverySummary>) {
        drain(self.queue, self.task).await;
        if let Some(summary) = summary
            && let Err(e) = control.delivery(interview, &summary).await
        {
            tracing::warn!(interview = %interview, "delivery summary not stored: {e:#}");
        }
    }
}

impl VoiceRunner {
    /// Holds the interview of `job` in `room`: the session, then the line that explains a
    /// provider failure or the goodbye of a cancelled job, the transcript and delivery sent
    /// to control-api, the interview's end recorded and the job reported finished. The
    /// caller leaves the room afterwards. `on_frame` hears about every candidate frame's
    /// lateness.
    pub async fn interview<T: RoomTransport>(
        &self,
        room: &mut T,
        job: &Job,
        on_frame: Option<Arc<dyn Fn(bool) + Send + Sync>>,
        cancel: watch::Receiver<bool>,
    ) -> Result<super::SessionReport> {
        let interview = interview_id(job);
        let resumed = is_resumed(job);
        let config = self.job_config(interview.as_deref(), resumed).await;
        let writer = match (&self.control, &interview) {
            (Some(control), Some(id)) => Some(TranscriptWriter::start(control.clone(), id.clone())),
            _ => None,
        };
        let delivery = match (&self.control, &interview) {
            (Some(control), Some(id)) => Some(DeliveryWriter::start(
                control.clone(),
                id.clone(),
                job.id.clone(),
            )),
            _ => None,
        };
        let hooks = delivery.as_ref().map(DeliveryWriter::hooks);
        let hooks = Hooks {
            metrics: self.metrics.clone(),
            on_frame,
            on_message: writer.as_ref().map(TranscriptWriter::hook),
            on_second: hooks.as_ref().map(|h| h.0.clone()),
            on_nudge: hooks.as_ref().map(|h| h.1.clone()),
            on_event: hooks.map(|h| h.2),
        };
        let tts = config.tts.clone();
        let spanish = config.language.as_deref() == Some("es");
        let result = super::run(room, config, hooks, cancel.clone()).await;
        let failed = result
            .as_ref()
            .is_ok_and(|r| r.ending == super::Ending::ProviderFailed);
        let track = result
            .as_ref()
            .map(|r| r.agent_track.clone())
            .unwrap_or_default();
        if failed {
            // Never a silent, deaf session: the candidate hears why it ends.
            let line = if spanish {
                PROVIDER_DOWN_ES
            } else {
                PROVIDER_DOWN
            };
            if let Err(e) = say(room, tts.as_ref(), line, &track).await {
                tracing::warn!(job = %job.id, "the candidate was not told: {e:#}");
            } else if let Some(writer) = &writer {
                let _ = writer
                    .queue
                    .try_send((Speaker::Interviewer, line.to_owned()));
            }
        }
        if result.is_ok() && *cancel.borrow() && !failed {
            if let Err(e) = say(room, tts.as_ref(), GOODBYE, &track).await {
                tracing::warn!(job = %job.id, "no goodbye: {e:#}");
            } else if let Some(writer) = &writer {
                let _ = writer
                    .queue
                    .try_send((Speaker::Interviewer, GOODBYE.to_owned()));
            }
        }
        if let Some(writer) = writer {
            writer.finish().await;
        }
        if let (Some(delivery), Some(control), Some(id)) = (delivery, &self.control, &interview) {
            let summary = result
                .as_ref()
                .ok()
                .and_then(|r| r.delivery.clone())
                .map(|mut s| {
                    s.session = job.id.clone();
                    s
                });
            delivery.finish(control, id, summary).await;
        }
        let report = result?;
        let outcome = match report.ending {
            super::Ending::Finished => Some(Outcome::Completed),
            super::Ending::CandidateLeft => Some(Outcome::LeftEarly),
            super::Ending::ProviderFailed => Some(Outcome::Failed),
            super::Ending::RoomClosed | super::Ending::Cancelled => None,
        };
        // The candidate is still in the room when the agent ended it: told first, so that
        // their client leaves by itself before control-api removes whoever is left.
        if let (Some(outcome @ (Outcome::Completed | Outcome::Failed)), Some(candidate)) =
            (outcome, &report.candidate)
        {
            see_out(room, candidate, outcome).await;
        }
        // The interview's end is recorded before the agent leaves, so control-api does not
        // take the departure for a dead worker and dispatch another.
        if let (Some(control), Some(id)) = (&self.control, &interview) {
            if let Some(reason) = &report.failure {
                let event = AgentEvent::provider_failure(Provider::Stt, reason);
                if let Err(e) = control.record(id, &event).await {
                    tracing::warn!(interview = %id, "the provider failure not recorded: {e:#}");
                }
            }
            if let Some(outcome) = outcome
                && let Err(e) = control.end(id, outcome, report.failure.as_deref()).await
            {
                tracing::warn!(interview = %id, outcome = outcome.as_str(), "the interview's end not recorded: {e:#}");
            }
        }
        // Success is on the worker socket before the agent leaves, so the server does not
        // count the departure as a failed job.
        crate::worker::report_finished().await;
        Ok(report)
    }
}

#[async_trait::async_trait]
impl JobRunner for VoiceRunner {
    async fn run(
        &self,
        mut room: LiveKitRoom,
        job: Job,
        load: Arc<Load>,
        cancel: watch::Receiver<bool>,
    ) -> Result<()> {
        let on_frame = Arc::new(move |late| load.record_frame(late));
        let result = self
            .interview(&mut room, &job, Some(on_frame), cancel)
            .await;
        room.leave().await;
        let report = result?;
        tracing::info!(
            job = %job.id,
            resumed = is_resumed(&job),
            turns = report.turns.len(),
            ending = ?report.ending,
            nudges = report.nudges.len(),
            late_frames = report.late_frames,
            frames = report.frames,
            "interview session ended"
        );
        Ok(())
    }
}

/// How long the agent waits, once it has told the room the interview is over, for the
/// candidate's client to leave by itself.
pub const END_GRACE: Duration = Duration::from_secs(3);

/// Tells the room the interview is over ([`contract::topics::END`]) and waits, at most
/// [`END_GRACE`], for `candidate` to leave. LiveKit's clients report a connection closed by
/// the server (control-api removing the candidate) as data channel errors; one that leaves on
/// this message closes its own.
async fn see_out<T: RoomTransport>(room: &mut T, candidate: &str, outcome: Outcome) {
    let message = contract::live::EndMessage {
        v: contract::VERSION,
        outcome,
    };
    let sent = serde_json::to_vec(&message)
        .map_err(anyhow::Error::from)
        .and_then(|payload| Ok(room.send_data(contract::topics::END, &payload, &[])?));
    if let Err(e) = sent {
        tracing::warn!("the end was not sent: {e:#}");
        return;
    }
    let left = async {
        while let Some(event) = room.next_event().await {
            match event {
                RoomEvent::ParticipantLeft { identity } if identity == candidate => return,
                RoomEvent::Disconnected { .. } => return,
                _ => {}
            }
        }
    };
    if tokio::time::timeout(END_GRACE, left).await.is_err() {
        tracing::info!("the candidate's client stayed after the end; control-api removes it");
    }
}

/// Says `line` with the session's voice (cutting off anything still queued), shows it in
/// the room's captions, and waits, bounded, until it was sent.
async fn say<T: RoomTransport>(
    room: &mut T,
    tts: &dyn providers::tts::Tts,
    line: &str,
    track: &str,
) -> Result<()> {
    room.flush_audio();
    let _ = room.set_agent_state(crate::transport::AgentState::Speaking);
    let _ = room.send_transcription(crate::transport::Transcription {
        segment_id: "SG_agent_last".to_owned(),
        track_sid: track.to_owned(),
        text: line.to_owned(),
        is_final: true,
        on_behalf_of: None,
    });
    let mut stream = tokio::time::timeout(GOODBYE_SLACK, tts.synthesize(line)).await??;
    let mut resampler = None;
    let mut pending = Vec::new();
    let mut frames = 0usize;
    while let Some(chunk) = tokio::time::timeout(GOODBYE_SLACK, stream.next()).await? {
        let chunk = chunk?;
        let resampler =
            resampler.get_or_insert_with(|| Linear::new(chunk.sample_rate, SAMPLE_RATE));
        resampler.process(&chunk.samples, &mut pending);
        while pending.len() >= FRAME_SAMPLES {
            room.push_audio(&pending[..FRAME_SAMPLES])?;
            pending.drain(..FRAME_SAMPLES);
            frames += 1;
        }
    }
    if !pending.is_empty() {
        pending.resize(FRAME_SAMPLES, 0);
        room.push_audio(&pending)?;
        frames += 1;
    }
    let until = tokio::time::Instant::now() + FRAME_DURATION * frames as u32 + GOODBYE_SLACK;
    while room.queued_audio() > 0 && tokio::time::Instant::now() < until {
        tokio::select! {
            event = room.next_event() => if event.is_none() { break },
            () = tokio::time::sleep(FRAME_DURATION) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(metadata: &str) -> Job {
        Job {
            metadata: metadata.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn redispatch_metadata_means_resumed() {
        assert!(is_resumed(&job(
            r#"{"interview_id":"i1","redispatch":true}"#
        )));
        assert!(is_resumed(&job(r#"{"resumed":true}"#)));
        assert!(!is_resumed(&job(r#"{"interview_id":"i1"}"#)));
        assert!(!is_resumed(&job("not json")));
        assert_eq!(
            interview_id(&job(r#"{"interview_id":"i1"}"#)).as_deref(),
            Some("i1")
        );
        assert_eq!(interview_id(&job("{}")), None);
    }

    fn config(questions: &[&str]) -> VoiceConfig {
        VoiceConfig {
            engine: conversation::Config::default(),
            pipeline: dsp::pipeline::PipelineConfig::default(),
            silero: super::super::SileroPaths::default(),
            dsp: super::super::DspMode::Thread,
            stt: Arc::new(providers::stt::live::Deepgram {
                config: providers::stt::LiveConfig::new("ws://127.0.0.1:9"),
            }),
            language: None,
            llm: None,
            questions: questions
                .iter()
                .map(|q| Question {
                    text: (*q).to_owned(),
                    expect_thinking: false,
                })
                .collect(),
            closing: "Goodbye.".into(),
            system_prompt: "You interview.".into(),
            tts: Arc::new(providers::tts::Espeak::default()),
            end_when_done: true,
            nudges: true,
            nudge_policy: dsp::nudge::NudgeConfig::default(),
            brief: None,
        }
    }

    fn texts(config: &VoiceConfig) -> Vec<String> {
        config.questions.iter().map(|q| q.text.clone()).collect()
    }

    fn turns(list: &[(&str, &str)]) -> Vec<(Speaker, String)> {
        list.iter()
            .map(|(r, t)| {
                let role = Speaker::try_from((*r).to_owned()).expect("a role");
                (role, (*t).to_owned())
            })
            .collect()
    }

    #[test]
    fn an_unanswered_question_is_asked_again_after_the_apology() {
        let mut c = config(&["Q1?", "Q2?", "Q3?"]);
        resume(
            &mut c,
            &turns(&[
                ("interviewer", "Q1?"),
                ("candidate", "A1"),
                ("interviewer", "Q2?"),
            ]),
        );
        assert_eq!(texts(&c), [format!("{RESUMED} Q2?"), "Q3?".to_owned()]);
    }

    #[test]
    fn an_answered_question_is_not_asked_again() {
        let mut c = config(&["Q1?", "Q2?", "Q3?"]);
        resume(
            &mut c,
            &turns(&[("interviewer", "Q1?"), ("candidate", "A1")]),
        );
        assert_eq!(texts(&c), [format!("{RESUMED} Q2?"), "Q3?".to_owned()]);
    }

    #[test]
    fn a_second_resume_finds_the_question_inside_the_apology() {
        let mut c = config(&["Q1?", "Q2?"]);
        resume(
            &mut c,
            &turns(&[
                ("interviewer", "Q1?"),
                ("candidate", "A1"),
                ("interviewer", &format!("{RESUMED} Q2?")),
            ]),
        );
        assert_eq!(texts(&c), [format!("{RESUMED} Q2?")]);
    }

    #[test]
    fn nothing_left_to_ask_goes_straight_to_the_closing() {
        let mut c = config(&["Q1?"]);
        resume(
            &mut c,
            &turns(&[("interviewer", "Q1?"), ("candidate", "A1")]),
        );
        assert!(c.questions.is_empty());
        assert_eq!(c.closing, format!("{RESUMED} Goodbye."));
    }

    #[test]
    fn an_empty_transcript_starts_from_the_top() {
        let mut c = config(&["Q1?", "Q2?"]);
        resume(&mut c, &[]);
        assert_eq!(texts(&c), [format!("{RESUMED} Q1?"), "Q2?".to_owned()]);
    }
}
