//! The candidate's side: plays clips and follows the agent through the client's events.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use agent::metrics::VoiceMetrics;
use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use tests::fakes::http::Server;
use tests::pyclient::PyClient;

use crate::STEP;
use crate::measure::{LEVEL, Played, Run};
use crate::script::{Clip, Prepared, Scenario};

/// Agent silence (seconds) after which a quiet agent counts as done speaking.
const QUIET: f64 = 0.6;
/// How long a scenario may take to settle after its last clip.
const SETTLE: Duration = Duration::from_secs(60);
/// Seconds of reply audio before a backchannel or cough.
const BACKCHANNEL_AFTER: f64 = 1.0;
/// Seconds of reply audio before an interruption.
const INTERRUPT_AFTER: f64 = 1.5;

/// What the client's events told of the agent so far.
#[derive(Default)]
struct Seen {
    /// The agent's `lk.agent.state`.
    agent_state: String,
    /// Segment ids of the agent's final transcripts (one per reply, even an empty one).
    agent_finals: HashSet<String>,
    /// Arrival times of the candidate's final transcripts (one per committed turn).
    candidate_finals: Vec<f64>,
}

impl Seen {
    fn observe(&mut self, e: &Value) {
        if e["identity"] == "agent" {
            let state = match e["event"].as_str() {
                Some("attributes_changed") => &e["changed"]["lk.agent.state"],
                Some("participant_connected") => &e["attributes"]["lk.agent.state"],
                _ => &Value::Null,
            };
            if let Some(state) = state.as_str() {
                self.agent_state = state.to_owned();
            }
        }
        if let Some((segment, t)) = final_transcript(e) {
            if segment.starts_with("SG_agent_") {
                self.agent_finals.insert(segment.to_owned());
            } else if segment.starts_with("SG_candidate_") {
                self.candidate_finals.push(t);
            }
        }
    }
}

/// The segment id and arrival time of a final `lk.transcription` text stream.
pub fn final_transcript(e: &Value) -> Option<(&str, f64)> {
    let is_final = e["event"] == "text_received"
        && e["topic"] == "lk.transcription"
        && e["attributes"]["lk.transcription_final"] == "true";
    if !is_final {
        return None;
    }
    Some((e["attributes"]["lk.segment_id"].as_str()?, e["t"].as_f64()?))
}

/// The Python client, with what its events told so far.
pub struct Candidate {
    client: PyClient,
    seen: Seen,
    watches: u64,
    /// The agent's metrics: its count of discarded speculative generations.
    metrics: VoiceMetrics,
}

impl Candidate {
    pub fn new(client: PyClient, metrics: VoiceMetrics) -> Self {
        Self {
            client,
            seen: Seen::default(),
            watches: 0,
            metrics,
        }
    }

    /// Publishes the microphone (silence until a clip plays).
    pub async fn publish(&mut self) -> Result<()> {
        self.client.publish().await.map(drop)
    }

    /// RTP packets the microphone sent so far, and when that was read (wall clock).
    pub async fn mic_packets(&mut self) -> Result<(u64, f64)> {
        self.client.send(json!({"cmd": "mic_stats"})).await?;
        let e = self
            .wait(STEP, "the microphone's statistics", |e| {
                e["event"] == "mic_stats"
            })
            .await?;
        let packets = e["packets_sent"]
            .as_u64()
            .context("mic_stats without packets")?;
        Ok((
            packets,
            e["t"].as_f64().context("mic_stats without a time")?,
        ))
    }

    /// Leaves the room; every event the client printed.
    pub async fn leave(self) -> Result<Vec<Value>> {
        self.client.leave().await
    }

    /// Runs one scenario and returns what is needed to measure it.
    pub async fn run(&mut self, chat: &Server, p: &Prepared) -> Result<Run> {
        let first_request = chat_requests(chat);
        let start = now();
        let turn = self.play(&p.turn).await?;
        let interrupting = matches!(p.scenario, Scenario::Interruption { .. });
        let interjection = match &p.interjection {
            None => None,
            Some(clip) => {
                let into_reply = if interrupting {
                    INTERRUPT_AFTER
                } else {
                    BACKCHANNEL_AFTER
                };
                self.agent_audio(true, into_reply, STEP)
                    .await
                    .context("the reply did not start")?;
                Some(self.play(clip).await?)
            }
        };
        // The turn to be committed: the interruption's, or the one said from silence.
        let last_turn = match &interjection {
            Some(played) if interrupting => played.end(),
            _ => turn.end(),
        };
        let end = self.settle(chat, Some(last_turn)).await?;
        Ok(Run {
            scenario: p.scenario.clone(),
            turn,
            interjection,
            window: (start, end),
            requests: first_request..chat_requests(chat),
        })
    }

    /// Plays `clip` on the microphone; when its first sample left, on the wall clock.
    async fn play(&mut self, clip: &Clip) -> Result<Played> {
        self.client.play(&clip.path).await?;
        let path = clip.path.to_string_lossy().into_owned();
        let e = self
            .wait(STEP, "the clip to start", |e| {
                e["event"] == "play_started" && e["path"] == path.as_str()
            })
            .await?;
        let t = e["t"].as_f64().context("play_started without a time")?;
        // The microphone's queue held `queued` seconds ahead of the clip's first frame.
        let queued = e["queued"].as_f64().unwrap_or(0.0);
        Ok(Played {
            start: t + queued,
            bursts: clip.bursts.clone(),
        })
    }

    /// Waits until the recorder has heard the agent present for `seconds` in all, or
    /// absent for `seconds` in a row, from now; returns the event's wall time.
    async fn agent_audio(&mut self, present: bool, seconds: f64, timeout: Duration) -> Result<f64> {
        self.watches += 1;
        let id = self.watches;
        let state = if present { "present" } else { "absent" };
        self.client
            .send(json!({"cmd": "watch_audio", "id": id, "state": state,
                "seconds": seconds, "level": LEVEL}))
            .await?;
        let name = format!("audio_{state}");
        let e = self
            .wait(
                timeout,
                &format!("agent audio {state} for {seconds} s"),
                |e| e["event"] == name.as_str() && e["id"] == id,
            )
            .await?;
        e["t"].as_f64().context("audio event without a time")
    }

    /// Waits until the agent is done: listening, every LLM request ended in a final
    /// agent transcript or was a speculative generation the agent discarded, silent for
    /// `QUIET` seconds and, with `after` (the wall time of the candidate's last voiced
    /// sample), the candidate's turn committed after it.
    /// Returns the wall time it was seen done.
    pub async fn settle(&mut self, chat: &Server, after: Option<f64>) -> Result<f64> {
        let deadline = Instant::now() + SETTLE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let quiet = self.agent_audio(false, QUIET, left).await;
            let requests = chat_requests(chat);
            let s = &self.seen;
            let committed = after.is_none_or(|end| s.candidate_finals.iter().any(|&c| c > end));
            let wasted = usize::try_from(self.metrics.wasted()).unwrap_or(usize::MAX);
            let answered = requests == s.agent_finals.len().saturating_add(wasted);
            let done = s.agent_state == "listening" && answered && committed;
            let why = || {
                format!(
                    "the agent did not settle within {SETTLE:?}: state {:?}, {requests} LLM requests, {} final agent transcripts, {wasted} discarded, candidate turn committed: {committed}",
                    s.agent_state,
                    s.agent_finals.len()
                )
            };
            match quiet {
                Ok(t) if done => return Ok(t),
                Ok(_) if Instant::now() < deadline => {}
                Ok(_) => bail!(why()),
                Err(e) => return Err(e.context(why())),
            }
        }
    }

    /// Waits for the next event for which `done` holds; every event passes through
    /// `Seen` on the way.
    async fn wait(
        &mut self,
        timeout: Duration,
        what: &str,
        mut done: impl FnMut(&Value) -> bool,
    ) -> Result<Value> {
        let seen = &mut self.seen;
        self.client
            .wait_for(timeout, |e| {
                seen.observe(e);
                done(e)
            })
            .await
            .map_err(|e| {
                // The client's error lists every event so far: keep its head.
                let text: String = e.to_string().chars().take(300).collect();
                anyhow!("waiting for {what}: {text}")
            })
    }
}

/// Chat completion requests the fake LLM received so far.
pub fn chat_requests(chat: &Server) -> usize {
    chat.requests()
        .iter()
        .filter(|r| r.target == "/v1/chat/completions")
        .count()
}

/// The wall clock, as the Python client stamps its events (Unix seconds).
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
