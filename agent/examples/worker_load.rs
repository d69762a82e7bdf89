//! Load benchmark of one worker: how many concurrent interviews it sustains before more than
//! 0.1 % of the candidates' audio frames are handled late (more than 20 ms after they were
//! decoded, the worker's own `worker_audio_frames_late_total` measure).
//!
//!     cargo run --release -p agent --example worker_load [-- --step 4 --max 80 --seconds 15]
//!
//! A real livekit-server runs on loopback. The worker (in this process) takes explicit
//! dispatches and runs the real interview session for each ([`VoiceRunner`]): Opus in and
//! out, the dsp pipeline on its own thread (WebRTC VAD gate, Silero through ONNX Runtime when
//! installed, resampling, pitch and prosody), Deepgram live STT, the OpenAI-compatible LLM and
//! TTS clients, the engine and the paced playout, against fake vendors on loopback (the same
//! fakes the tests use, speaking the vendors' wire formats). Candidates are this program
//! again in child processes, each joining `--step` rooms with the agent's own transport and
//! answering in a loop: a spoken answer, then silence while the agent replies. Everything
//! shares the machine, as it would on a single box; the figure is therefore a lower bound.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent::session::{SileroPaths, VoiceConfig, VoiceRunner};
use agent::transport::{ConnectOptions, FRAME_SAMPLES, LiveKitRoom, RoomTransport};
use agent::worker::{Load, Worker, WorkerConfig, WorkerMetrics};
use anyhow::{Context, Result};
use clap::Parser;
use livekit_api::access_token::{AccessToken, VideoGrants};
use livekit_api::services::agent_dispatch::AgentDispatchClient;
use providers::llm::{OpenAiChat, OpenAiChatConfig};
use providers::retry::RetryPolicy;
use providers::stt::LiveConfig;
use providers::tts::{HttpTts, HttpTtsConfig, HttpTtsFlavor};
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::fakes::{openai_chat, speech as fake_speech};
use tests::livekit::{API_KEY, API_SECRET, LiveKitServer};

#[derive(Parser)]
struct Args {
    /// Sessions added per step.
    #[arg(long, default_value_t = 4)]
    step: usize,
    /// Stop at this many sessions.
    #[arg(long, default_value_t = 80)]
    max: usize,
    /// Measured seconds per step (after 5 s of warm-up).
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Internal: run as a candidate process joining `--rooms` on `--url`.
    #[arg(long, hide = true)]
    url: Option<String>,
    #[arg(long, hide = true, value_delimiter = ',')]
    rooms: Vec<String>,
}

/// What every candidate says, looped: an answer then a pause for the agent's reply. espeak-ng
/// synthesizes it once; it is resampled to 48 kHz and cut into 20 ms frames.
async fn voice() -> Result<Vec<Vec<i16>>> {
    let resampled = agent::session::synthesize_all(
        &providers::tts::Espeak::default(),
        "I have been building distributed systems for about five years, mostly in Rust.",
    )
    .await?;
    let mut frames: Vec<Vec<i16>> = resampled
        .chunks(FRAME_SAMPLES)
        .map(|c| {
            let mut frame = c.to_vec();
            frame.resize(FRAME_SAMPLES, 0);
            frame
        })
        .collect();
    // Six seconds of silence: the agent answers (a fake LLM reply spoken by the fake TTS).
    frames.extend(std::iter::repeat_n(vec![0i16; FRAME_SAMPLES], 300));
    Ok(frames)
}

/// Keeps about a second of the looped voice queued.
fn top_up(room: &impl RoomTransport, frames: &[Vec<i16>], next: &mut usize) -> Result<()> {
    while room.queued_audio() < 50 {
        room.push_audio(&frames[*next % frames.len()])?;
        *next += 1;
    }
    Ok(())
}

/// The real session's configuration against the fake vendors.
fn voice_config(stt: &str, llm: &str, tts: &str) -> Result<VoiceConfig> {
    let mut live = LiveConfig::new(stt);
    live.sample_rate = agent::transport::SAMPLE_RATE;
    let mut tts_config = HttpTtsConfig::new(HttpTtsFlavor::OpenAi, tts);
    tts_config.api_key = Some("sk-bench".into());
    let (runtime, model) = (
        tests::paths::onnxruntime_lib(),
        tests::paths::silero_model(),
    );
    let silero = if runtime.exists() && model.exists() {
        SileroPaths {
            runtime: Some(runtime),
            model: Some(model),
        }
    } else {
        eprintln!("no Silero model in the tools folder: WebRTC VAD only (run scripts/setup.sh)");
        SileroPaths::default()
    };
    Ok(VoiceConfig {
        engine: conversation::Config::default(),
        pipeline: dsp::pipeline::PipelineConfig::default(),
        silero,
        stt: live,
        llm: Some(Arc::new(OpenAiChat::new(OpenAiChatConfig {
            base_url: llm.to_owned(),
            api_key: Some("sk-bench".into()),
            model: "fake".into(),
            first_token_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        })?)),
        questions: Vec::new(),
        closing: String::new(),
        system_prompt: "You are an interviewer.".into(),
        tts: Arc::new(HttpTts::new(tts_config)?),
        end_when_done: false,
    })
}

/// Resident memory of this process (the worker), in MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Dispatches the load agent into every room.
async fn dispatch_all(dispatch: &AgentDispatchClient, rooms: &[String]) -> Result<()> {
    for room in rooms {
        dispatch
            .create_dispatch(livekit_protocol::CreateAgentDispatchRequest {
                agent_name: "load".into(),
                room: room.clone(),
                ..Default::default()
            })
            .await
            .context("dispatch")?;
    }
    Ok(())
}

/// A candidate process: joins every room and talks until killed.
async fn candidates(url: String, rooms: Vec<String>) -> Result<()> {
    let voice = Arc::new(voice().await?);
    let mut tasks = Vec::new();
    for room_name in rooms {
        let token = AccessToken::with_api_key(API_KEY, API_SECRET)
            .with_identity(&format!("candidate-{room_name}"))
            .with_ttl(Duration::from_secs(3600))
            .with_grants(VideoGrants {
                room_join: true,
                room: room_name.clone(),
                can_publish: Some(true),
                can_subscribe: Some(true),
                ..Default::default()
            })
            .to_jwt()?;
        let mut options = ConnectOptions::new(url.clone(), token);
        options.loopback_only = true;
        options.ignore_ice_servers = true;
        let voice = voice.clone();
        tasks.push(tokio::spawn(async move {
            let mut room = LiveKitRoom::connect(options).await?;
            let mut next = 0;
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tokio::select! {
                    event = room.next_event() => if event.is_none() { break },
                    _ = tick.tick() => top_up(&room, &voice, &mut next)?,
                }
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,webrtc=error,rtc=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Some(url) = args.url {
        return candidates(url, args.rooms).await;
    }
    let server = LiveKitServer::start().await?;
    let deepgram = FakeDeepgram::start(DeepgramScript {
        utterances: vec![
            "I have been building distributed systems for about five years.".to_owned();
            100_000
        ],
        ..DeepgramScript::default()
    })
    .await?;
    let llm = openai_chat::start(openai_chat::ChatScript {
        replies: vec!["Thank you. What did you find hardest about that work?".into()],
        time_to_first_token: Duration::from_millis(200),
        ..openai_chat::ChatScript::default()
    })
    .await?;
    let tts = fake_speech::start(fake_speech::SpeechScript {
        time_to_first_byte: Duration::from_millis(100),
        ..fake_speech::SpeechScript::default()
    })
    .await?;
    let load = Arc::new(Load::default());
    let registry = prometheus::Registry::new();
    let worker = Worker::start(
        WorkerConfig {
            url: server.ws_url(),
            api_key: API_KEY.into(),
            api_secret: API_SECRET.into(),
            agent_name: "load".into(),
            worker_name: "bench".into(),
            max_jobs: args.max,
            max_load: 2.0,
            drain_timeout: Duration::from_secs(5),
            loopback: true,
            watchdog_interval: None,
            stale_after: Duration::from_secs(4),
        },
        Arc::new(VoiceRunner::new(
            voice_config(&deepgram.base_url(), &llm.base_url(), &tts.base_url())?,
            None,
            None,
        )),
        load.clone(),
        WorkerMetrics::new(&registry)?,
    );
    // Dispatches made before the worker is registered are dropped by the server.
    let registered = Instant::now() + Duration::from_secs(20);
    while !agent::metrics::encode(&registry).contains("worker_registered 1") {
        anyhow::ensure!(Instant::now() < registered, "the worker did not register");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let dispatch = AgentDispatchClient::with_api_key(&server.http_url(), API_KEY, API_SECRET);
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("cores: {cores}");
    println!("sessions  frames   late  late%   worker-cpu%  candidate-turns  worker-rss-MiB");
    let mut sustained = 0;
    let mut sessions = 0;
    while sessions < args.max {
        let rooms: Vec<String> = (sessions..sessions + args.step)
            .map(|i| format!("load-{i}"))
            .collect();
        dispatch_all(&dispatch, &rooms).await?;
        children.push(
            tokio::process::Command::new(&exe)
                .args(["--url", &server.ws_url(), "--rooms", &rooms.join(",")])
                .kill_on_drop(true)
                .spawn()?,
        );
        sessions += args.step;
        // livekit-server now and then launches no job for a fresh dispatch (seen with rooms
        // created by the dispatch itself): dispatch again once if the jobs did not come.
        for attempt in 0..2 {
            let deadline = Instant::now() + Duration::from_secs(10);
            while worker.job_count() < sessions && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if worker.job_count() >= sessions || attempt == 1 {
                break;
            }
            eprintln!(
                "{} of {sessions} jobs after 10 s: dispatching again",
                worker.job_count()
            );
            dispatch_all(&dispatch, &rooms).await?;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        let before = load.snapshot();
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        let after = load.snapshot();
        let frames = after.frames - before.frames;
        let late = after.late - before.late;
        let share = if frames == 0 {
            1.0
        } else {
            late as f64 / frames as f64
        };
        // Candidate answers the fake Deepgram transcribed so far (all sessions): the
        // conversations are really going on.
        println!(
            "{:>8} {:>7} {:>6} {:>6.3} {:>8.0} {:>16} {:>15.0}",
            worker.job_count(),
            frames,
            late,
            share * 100.0,
            after.cpu * 100.0,
            deepgram.recorded().finals.len(),
            rss_mib()
        );
        // Every session's candidate must be heard (50 frames/s) or the step is not valid.
        let running = worker.job_count();
        let expected = (running as u64) * 50 * args.seconds;
        if share > 0.001 || frames < expected * 9 / 10 {
            break;
        }
        sustained = running;
    }
    println!(
        "sustained: {sustained} concurrent interviews with <= 0.1% late frames ({:.1} per core)",
        sustained as f64 / cores as f64
    );
    drop(children);
    worker.drain().await;
    Ok(())
}
