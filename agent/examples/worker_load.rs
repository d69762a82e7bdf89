//! Load benchmark of one worker: how many concurrent interviews it sustains before more than
//! 0.1 % of the candidates' audio frames are analysed late (more than 20 ms after they were
//! decoded, queueing for the dsp thread included: the worker's own
//! `worker_audio_frames_late_total` measure).
//!
//!     cargo run --release -p agent --example worker_load [-- --step 4 --max 80 --seconds 15]
//!
//! The worker (in this process) takes explicit dispatches and runs the real interview session
//! for each ([`VoiceRunner`]): Opus in and out, the dsp pipeline on its own thread (WebRTC VAD
//! gate, Silero through ONNX Runtime when installed, resampling, pitch and prosody), Deepgram
//! live STT, the OpenAI-compatible LLM and TTS clients, the engine and the paced playout.
//!
//! Everything else is the rig, in a child process of this program: a real livekit-server on
//! loopback, the fake vendors (the same fakes the tests use, speaking the vendors' wire
//! formats), and the candidates (this program again, each joining `--step` rooms with the
//! agent's own transport and answering in a loop: a spoken answer, then silence while the
//! agent replies). In production the SFU, the vendors and the candidates are other machines;
//! here they share the two cores with the worker, so the rig runs at `--rig-nice` (default 10)
//! to take what the worker leaves. `--rig-nice 0` measures the fully shared box instead.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent::session::VoiceRunner;
use agent::transport::{ConnectOptions, FRAME_SAMPLES, LiveKitRoom, RoomTransport};
use agent::worker::{Load, Worker, WorkerConfig, WorkerMetrics};
use anyhow::{Context, Result};
use clap::Parser;
use fake_vendors::{installed_silero, voice_config};
use livekit_api::access_token::{AccessToken, VideoGrants};
use livekit_api::services::agent_dispatch::AgentDispatchClient;
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::fakes::{openai_chat, speech as fake_speech};
use tests::livekit::{API_KEY, API_SECRET, LiveKitServer};

#[path = "shared/fake_vendors.rs"]
mod fake_vendors;

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
    /// Niceness of the rig (livekit-server, fake vendors, candidates): 0 shares the machine
    /// equally with the worker.
    #[arg(long, default_value_t = 10)]
    rig_nice: i32,
    /// Internal: run as the rig, driven over stdin/stdout.
    #[arg(long, hide = true)]
    rig: bool,
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

/// Where the rig's services listen.
#[derive(serde::Serialize, serde::Deserialize)]
struct RigUrls {
    ws: String,
    http: String,
    stt: String,
    llm: String,
    tts: String,
}

/// The rig as seen from the worker's side: a child process answering one line per request.
/// Closing its stdin (also when this process dies) makes it stop its server and candidates.
struct Rig {
    urls: RigUrls,
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl Rig {
    /// Starts this program as the rig at niceness `nice` and reads where it listens.
    async fn start(nice: i32) -> Result<Self> {
        use tokio::io::AsyncBufReadExt;
        let exe = std::env::current_exe()?;
        let mut command = if nice == 0 {
            tokio::process::Command::new(&exe)
        } else {
            let mut command = tokio::process::Command::new("nice");
            command.arg("-n").arg(nice.to_string()).arg(&exe);
            command
        };
        let mut child = command
            .arg("--rig")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("starting the rig")?;
        let stdin = child.stdin.take().context("rig stdin")?;
        let mut stdout =
            tokio::io::BufReader::new(child.stdout.take().context("rig stdout")?).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), stdout.next_line())
            .await
            .context("the rig did not start within 60 s")??
            .context("the rig exited")?;
        let urls = serde_json::from_str(&line).context("the rig's first line")?;
        Ok(Self {
            urls,
            child,
            stdin: Some(stdin),
            stdout,
        })
    }

    /// Closes the rig's stdin and waits for it to clean up (killing it after 20 s).
    async fn stop(mut self) -> Result<()> {
        drop(self.stdin.take());
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await?;
        }
        Ok(())
    }

    /// Sends one request line, returns the answer line.
    async fn ask(&mut self, request: &str) -> Result<String> {
        use tokio::io::AsyncWriteExt;
        let stdin = self.stdin.as_mut().context("the rig is stopped")?;
        stdin.write_all(format!("{request}\n").as_bytes()).await?;
        let answer = self.stdout.next_line().await?.context("the rig exited")?;
        anyhow::ensure!(!answer.starts_with("error"), "rig: {answer}");
        Ok(answer)
    }
}

/// The rig process: livekit-server, the fake vendors and the candidate processes. Prints its
/// URLs as a JSON line, then answers `rooms a,b,..` (start a candidate process for those
/// rooms) with `ok` and `turns` with the number of answers the fake Deepgram transcribed.
async fn rig() -> Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
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
    let urls = RigUrls {
        ws: server.ws_url(),
        http: server.http_url(),
        stt: deepgram.base_url(),
        llm: llm.base_url(),
        tts: tts.base_url(),
    };
    let mut out = tokio::io::stdout();
    out.write_all(format!("{}\n", serde_json::to_string(&urls)?).as_bytes())
        .await?;
    out.flush().await?;
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let answer = if let Some(rooms) = line.strip_prefix("rooms ") {
            match tokio::process::Command::new(&exe)
                .args(["--url", &server.ws_url(), "--rooms", rooms])
                .kill_on_drop(true)
                .spawn()
            {
                Ok(child) => {
                    children.push(child);
                    "ok".to_owned()
                }
                Err(e) => format!("error: {e}"),
            }
        } else if line == "turns" {
            deepgram.recorded().finals.len().to_string()
        } else {
            format!("error: unknown request {line:?}")
        };
        out.write_all(format!("{answer}\n").as_bytes()).await?;
        out.flush().await?;
    }
    Ok(())
}

/// The worker, the rig and the candidates all run on the runtime the agent binary uses.
fn main() -> Result<()> {
    agent::runtime()?.block_on(run())
}

async fn run() -> Result<()> {
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
    if args.rig {
        return rig().await;
    }
    let mut rig = Rig::start(args.rig_nice).await?;
    let load = Arc::new(Load::default());
    let registry = prometheus::Registry::new();
    let worker = Worker::start(
        WorkerConfig {
            url: rig.urls.ws.clone(),
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
            voice_config(
                &rig.urls.stt,
                &rig.urls.llm,
                &rig.urls.tts,
                installed_silero(),
            )?,
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
    let dispatch = AgentDispatchClient::with_api_key(&rig.urls.http, API_KEY, API_SECRET);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("cores: {cores}, rig niceness: {}", args.rig_nice);
    println!("sessions  frames   late  late%   worker-cpu%  candidate-turns  worker-rss-MiB");
    let mut sustained = 0;
    let mut sessions = 0;
    while sessions < args.max {
        let rooms: Vec<String> = (sessions..sessions + args.step)
            .map(|i| format!("load-{i}"))
            .collect();
        dispatch_all(&dispatch, &rooms).await?;
        rig.ask(&format!("rooms {}", rooms.join(","))).await?;
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
            rig.ask("turns").await?,
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
    rig.stop().await?;
    worker.drain().await;
    Ok(())
}
