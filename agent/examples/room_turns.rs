//! Room-level turn benchmark: turn-taking as the candidate hears it through a real room.
//!
//! `scripts/bench-room.sh`, or
//! `cargo run --release -p agent --example room_turns -- [--dtx on|off] [--verbose]`
//!
//! A real livekit-server on loopback; the candidate is the official Python SDK
//! (`tests/py/lk_client.py`) playing espeak-ng speech on its microphone and recording the
//! agent; the agent is `agent::session::run` in-process over `LiveKitRoom`, in LLM mode
//! (the OpenAI-compatible client), with the OpenAI-flavoured HTTP TTS, the Deepgram live
//! client, Silero when installed and the engine's default settings. The vendors are the
//! fakes of `tests::fakes` on loopback, whose configured delays are the provider floor: the
//! STT's result latency, the LLM's time to first token and the TTS's time to first byte.
//! Every reply is two sentences, about 3.7 s of (tone) audio.
//!
//! The scenario list runs once with the microphone published with Opus DTX on and once with
//! it off, each in a fresh room: complete sentences; sentences with a 0.8-1.5 s pause after
//! "and", "so" or "um"; a backchannel ("Mhmm.", "Yeah.") or a 150 ms cough a second into a
//! reply; a whole sentence said over a reply. Every step waits on the client's events (the
//! microphone started a clip, the recorder heard the agent's audio present or absent, the
//! agent's state and transcripts); a scenario ends when the agent is listening, every LLM
//! request has ended in a final agent transcript and the agent has been silent for 0.6 s.
//!
//! Figures, on the wall clock shared by both processes (the client's event times, its
//! recording's per-frame timeline): response latency from the candidate's last voiced sample
//! to the first agent audio (10 ms RMS at or above -40 dBFS); cut-offs (agent audio that
//! starts between a paused sentence's first half and the end of its continuation); false
//! interruptions (a backchannel or cough after which the reply does not simply play on: its
//! final transcript is not the whole reply or its audio is short of the reply's length (cut
//! short), it stops for a second or more, its audio is longer than the reply (words said
//! again after a resume), or a new LLM request is made); barge-in (from the interruption's
//! voiced onset to the agent's audio dropping 10 dB below its level just before, and to its
//! falling silent for 0.5 s); the longest silence inside a reply from an interjection to the
//! reply's end (and over whole replies without one); wasted LLM generations (requests minus
//! replies heard). The session's own count of audio flushes is printed beside them as a
//! check, as is whether the fake STT's script stayed in step with the candidate's bursts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent::metrics::VoiceMetrics;
use agent::session::{Hooks, SessionReport, VoiceConfig};
use agent::transport::{ConnectOptions, LiveKitRoom, RoomTransport};
use anyhow::{Context, Result};
use clap::Parser;
use fake_vendors::{installed_silero, voice_config};
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::fakes::http::Server;
use tests::fakes::{openai_chat, speech as fake_speech};
use tests::livekit::LiveKitServer;
use tests::pyclient::{ClientOptions, PyClient};
use tokio::sync::watch;

#[path = "room_turns/candidate.rs"]
mod candidate;
#[path = "shared/fake_vendors.rs"]
mod fake_vendors;
#[path = "room_turns/measure.rs"]
mod measure;
#[path = "room_turns/report.rs"]
mod report;
#[path = "room_turns/script.rs"]
mod script;

use candidate::Candidate;
use measure::{Figures, Heard};
use script::Prepared;

#[derive(Parser, Clone)]
struct Args {
    /// The fake Deepgram's delay on every result message (ms).
    #[arg(long, default_value_t = 250)]
    stt_latency_ms: u64,
    /// The fake LLM's time to first token (ms).
    #[arg(long, default_value_t = 300)]
    llm_ttft_ms: u64,
    /// The fake LLM's delay between streamed words (ms); 0 streams the reply at once.
    #[arg(long, default_value_t = 0)]
    llm_token_ms: u64,
    /// The fake TTS's time to first byte (ms).
    #[arg(long, default_value_t = 200)]
    tts_ttfb_ms: u64,
    /// Run the scenario list this many times per DTX mode.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Only this DTX mode of the candidate's microphone; both by default.
    #[arg(long, value_parser = ["on", "off"])]
    dtx: Option<String>,
    /// Print every scenario's figures.
    #[arg(long)]
    verbose: bool,
    /// Keep each mode's recording, its timeline and the client's events in this directory.
    #[arg(long)]
    keep: Option<PathBuf>,
}

impl Args {
    /// The provider floor: what the fakes add to every turn, in seconds.
    fn floor(&self) -> f64 {
        (self.stt_latency_ms + self.llm_ttft_ms + self.tts_ttfb_ms) as f64 / 1000.0
    }
}

/// The room both participants join.
const ROOM: &str = "bench-room-turns";
/// How long one step (a clip starting, the agent's audio) may take.
const STEP: Duration = Duration::from_secs(30);
/// Default log filter: warnings, without webrtc-rs's chatter.
const QUIET_LOGS: &str =
    "warn,webrtc=error,rtc=error,rtc_ice=error,rtc_dtls=error,rtc_sctp=error,rtc_srtp=error";

fn main() -> Result<()> {
    let args = Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| QUIET_LOGS.into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    agent::runtime()?.block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let plan = script::prepare(dir.path(), args.repeat)?;
    println!(
        "provider floor: STT result {} ms + LLM first token {} ms + TTS first byte {} ms = {:.0} ms (LLM words every {} ms)",
        args.stt_latency_ms,
        args.llm_ttft_ms,
        args.tts_ttfb_ms,
        args.floor() * 1000.0,
        args.llm_token_ms
    );
    println!("{}", script::summary(&plan));
    let modes: Vec<bool> = match args.dtx.as_deref() {
        Some("on") => vec![true],
        Some("off") => vec![false],
        _ => vec![true, false],
    };
    for dtx in modes {
        let started = std::time::Instant::now();
        let figures = run_mode(&args, &plan, dtx, dir.path())
            .await
            .with_context(|| format!("DTX {}", on_off(dtx)))?;
        println!();
        report::print(&figures, &args, dtx, started.elapsed());
    }
    Ok(())
}

fn on_off(flag: bool) -> &'static str {
    if flag { "on" } else { "off" }
}

/// One mode's room: fakes, server, candidate and agent; runs the plan and measures it.
async fn run_mode(args: &Args, plan: &[Prepared], dtx: bool, dir: &Path) -> Result<Figures> {
    let deepgram = FakeDeepgram::start(DeepgramScript {
        utterances: script::utterances(plan),
        latency: Duration::from_millis(args.stt_latency_ms),
        endpointing: script::ENDPOINTING,
        min_speech: script::MIN_SPEECH,
        rms_gate: script::GATE,
        ..DeepgramScript::default()
    })
    .await?;
    let chat = openai_chat::start(openai_chat::ChatScript {
        replies: script::replies(),
        time_to_first_token: Duration::from_millis(args.llm_ttft_ms),
        per_token_delay: Duration::from_millis(args.llm_token_ms),
        ..openai_chat::ChatScript::default()
    })
    .await?;
    let tts = fake_speech::start(fake_speech::SpeechScript {
        time_to_first_byte: Duration::from_millis(args.tts_ttfb_ms),
        ..fake_speech::SpeechScript::default()
    })
    .await?;
    let server = LiveKitServer::start().await?;
    let recording = dir.join(format!("agent-heard-dtx-{}.wav", on_off(dtx)));
    let client = PyClient::join(
        &server.ws_url(),
        &server.token("candidate", ROOM)?,
        ClientOptions {
            record: Some(recording.clone()),
            record_identity: Some("agent".into()),
            dtx: Some(dtx),
            ..ClientOptions::default()
        },
    )
    .await?;
    // The agent's metrics in a registry of this run's own: `settle` reads its count of
    // discarded speculative generations (they never end in a final agent transcript).
    let metrics = VoiceMetrics::register(&prometheus::Registry::new())?;
    let mut candidate = Candidate::new(client, metrics.clone());
    candidate.publish().await?;
    let config = voice_config(
        &deepgram.base_url(),
        &chat.base_url(),
        &tts.base_url(),
        installed_silero(),
    )?;
    let session_start = candidate::now();
    let (cancel, session) = start_agent(&server, config, metrics).await?;

    let runs = run_plan(&mut candidate, &chat, plan, args.verbose).await;
    let _ = cancel.send(true);
    let report = tokio::time::timeout(STEP, session)
        .await
        .context("the agent session did not stop")???;
    let events = candidate.leave().await?;
    // Kept before a failed run's error too: that is when they are most wanted.
    if let Some(keep) = &args.keep {
        keep_files(keep, &recording, &events, dtx)?;
    }
    let runs = runs?;
    let heard = Heard::load(&recording)?;
    let stt_finals = deepgram.recorded().finals;
    let flushes: Vec<f64> = report
        .flushes
        .iter()
        .map(|d| session_start + d.as_secs_f64())
        .collect();
    let mut figures = measure::figures(
        &runs.runs,
        &measure::Inputs {
            heard: &heard,
            events: &events,
            replies: &script::replies(),
            flushes: &flushes,
        },
        args.floor(),
    );
    figures.stt_in_sync = stt_finals == script::utterances(plan);
    figures.stt_finals = stt_finals.len();
    figures.late_frames = (report.late_frames, report.frames);
    figures.mic_packets_per_second = runs.mic_packets_per_second;
    figures.agent_turns = report.turns;
    Ok(figures)
}

/// Joins the agent to the room and starts its session; returns its cancel switch and task.
async fn start_agent(
    server: &LiveKitServer,
    config: VoiceConfig,
    metrics: VoiceMetrics,
) -> Result<(
    watch::Sender<bool>,
    tokio::task::JoinHandle<Result<SessionReport>>,
)> {
    let mut options = ConnectOptions::new(server.ws_url(), agent_token(server)?);
    options.loopback_only = true;
    options.ignore_ice_servers = true;
    let mut room = tokio::time::timeout(Duration::from_secs(20), LiveKitRoom::connect(options))
        .await
        .context("the agent's join timed out")??;
    let (cancel, cancelled) = watch::channel(false);
    let hooks = Hooks {
        metrics: Some(metrics),
        ..Hooks::default()
    };
    let session = tokio::spawn(async move {
        let result = agent::session::run(&mut room, config, hooks, cancelled).await;
        room.leave().await;
        Ok(result?)
    });
    Ok((cancel, session))
}

/// The scenarios as they ran, and the microphone's packet rate meanwhile.
struct Ran {
    runs: Vec<measure::Run>,
    mic_packets_per_second: f64,
}

/// Opens the interview (the agent's first reply), then runs every scenario in order.
async fn run_plan(
    candidate: &mut Candidate,
    chat: &Server,
    plan: &[Prepared],
    verbose: bool,
) -> Result<Ran> {
    candidate
        .settle(chat, None)
        .await
        .context("the agent's opening")?;
    let (packets_before, t_before) = candidate.mic_packets().await?;
    let mut runs = Vec::with_capacity(plan.len());
    for (i, prepared) in plan.iter().enumerate() {
        let run = candidate
            .run(chat, prepared)
            .await
            .with_context(|| format!("scenario {} ({})", i + 1, prepared.scenario.label()))?;
        if verbose {
            eprintln!(
                "[{:>2}/{}] {} done, LLM requests {:?}",
                i + 1,
                plan.len(),
                prepared.scenario.label(),
                run.requests
            );
        }
        runs.push(run);
    }
    let (packets_after, t_after) = candidate.mic_packets().await?;
    Ok(Ran {
        runs,
        mic_packets_per_second: (packets_after - packets_before) as f64
            / (t_after - t_before).max(1e-3),
    })
}

/// Copies a mode's recording, timeline and events into `keep`.
fn keep_files(
    keep: &Path,
    recording: &Path,
    events: &[serde_json::Value],
    dtx: bool,
) -> Result<()> {
    std::fs::create_dir_all(keep)?;
    let name = |suffix: &str| keep.join(format!("room-turns-dtx-{}{suffix}", on_off(dtx)));
    std::fs::copy(recording, name(".wav"))?;
    std::fs::copy(format!("{}.json", recording.display()), name(".wav.json"))?;
    let lines: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    std::fs::write(name(".events.jsonl"), lines.join("\n"))?;
    Ok(())
}

/// A token for the agent participant (kind `agent`, so clients see it as one).
fn agent_token(server: &LiveKitServer) -> Result<String> {
    use livekit_api::access_token::{AccessToken, VideoGrants};
    AccessToken::with_api_key(server.api_key(), server.api_secret())
        .with_identity("agent")
        .with_name("agent")
        .with_kind("agent")
        .with_ttl(Duration::from_secs(3600))
        .with_grants(VideoGrants {
            room_join: true,
            room: ROOM.to_string(),
            can_publish: Some(true),
            can_subscribe: Some(true),
            can_publish_data: Some(true),
            can_update_own_metadata: Some(true),
            ..Default::default()
        })
        .to_jwt()
        .context("minting the agent's token")
}
