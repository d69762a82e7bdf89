//! Must show 6: one agent process in ten rooms at once, each with its own Python client; every
//! room passes the receive check. Prints the agent's CPU per room.

mod common;

use std::time::{Duration, Instant};

use agent::transport::RoomEvent;
use anyhow::{Context, Result};
use common::{Agent, correlation, options, speech_span, to_f32, utterance};
use tests::livekit::LiveKitServer;
use tests::pyclient::{ClientOptions, PyClient};
use tests::speech;

const ROOMS: usize = 10;

/// CPU time (user + system) this process has used, from /proc/self/stat.
fn cpu_time() -> Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("stat format")?
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(Duration::from_millis(ticks * 10)) // USER_HZ is 100 on Linux
}

struct RoomResult {
    correlation: f32,
    span_ratio: f64,
}

async fn one_room(
    server: &LiveKitServer,
    index: usize,
    dir: &std::path::Path,
    all_joined: &tokio::sync::Barrier,
) -> Result<RoomResult> {
    let room = format!("multi-{index}");
    // Receive only: the check is about hearing ten candidates. A published agent track would
    // make each Python client decode and process it in Python too, and on a two-core machine
    // those clients then starve and stretch their own microphone audio.
    let mut options = options(&server.ws_url(), server.token("agent", &room)?);
    options.publish_audio = false;
    let mut agent = Agent::join_with(options).await?;
    // A deep microphone queue: ten Python clients on two cores may stall for a moment, and a
    // shallow queue would then stretch the audio they send.
    let mut client = PyClient::join(
        &server.ws_url(),
        &server.token("candidate", &room)?,
        ClientOptions {
            mic_queue_ms: Some(400),
            ..ClientOptions::default()
        },
    )
    .await?;
    client.publish().await?;
    agent
        .wait_for(
            Duration::from_secs(30),
            |e| matches!(e, RoomEvent::TrackSubscribed { identity, .. } if identity == "candidate"),
        )
        .await?;
    // Joining is the heavy part for ten Python clients on a small machine; speak together
    // once every room is up, so the check is about ten concurrent audio streams.
    // Bounded: a room that failed to join never arrives, and the others must not wait forever.
    tokio::time::timeout(Duration::from_secs(120), all_joined.wait())
        .await
        .map_err(|_| anyhow::anyhow!("the other rooms did not all join within 120 s"))?;
    let said = utterance(
        dir,
        &format!("room{index}"),
        &format!("This is room number {index}. I enjoy solving hard problems with small teams."),
        30 + 4 * index as u32,
    )?;
    client.play(&said).await?;
    client
        .wait_event("play_done", Duration::from_secs(60))
        .await?;
    client.leave().await?;
    let (_, sent) = speech::read_wav(&said)?;
    let received = to_f32(&agent.heard("candidate").samples);
    agent.leave().await?;
    let (corr, _) = correlation(&sent, &received);
    let span_ratio = speech_span(&received, 0.02) as f64 / speech_span(&sent, 0.02) as f64;
    Ok(RoomResult {
        correlation: corr,
        span_ratio,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_agent_process_serves_ten_rooms_at_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = common::start_server().await?;
    let started = Instant::now();
    let cpu_before = cpu_time()?;
    let barrier = tokio::sync::Barrier::new(ROOMS);
    let results = futures_util::future::join_all(
        (0..ROOMS).map(|i| one_room(&server, i, dir.path(), &barrier)),
    )
    .await;
    let wall = started.elapsed();
    let cpu = cpu_time()? - cpu_before;
    eprintln!(
        "{ROOMS} rooms: agent process CPU {:.2} s over {:.1} s wall = {:.1}% of one core per room",
        cpu.as_secs_f64(),
        wall.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64() / ROOMS as f64
    );
    let mut failures = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(r) => {
                eprintln!(
                    "room {i}: correlation {:.3}, speech span ratio {:.3}",
                    r.correlation, r.span_ratio
                );
                if r.correlation < 0.9 || !(0.95..=1.05).contains(&r.span_ratio) {
                    failures.push(format!(
                        "room {i}: corr {:.3} span {:.3}",
                        r.correlation, r.span_ratio
                    ));
                }
            }
            Err(e) => failures.push(format!("room {i}: {e:#}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    Ok(())
}
