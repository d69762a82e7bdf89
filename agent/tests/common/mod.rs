//! Helpers shared by the transport's end-to-end tests: an agent joined to a real server,
//! a collector task that keeps reading its events, and generated speech.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent::transport::{ConnectOptions, LiveKitRoom, RoomEvent, RoomHandle, RoomTransport};
use anyhow::{Context, Result, bail};
use tests::livekit::LiveKitServer;
use tests::{signal, speech};
use tokio::sync::mpsc;

/// Audio the agent received from one participant: samples and when the first one arrived.
#[derive(Default, Clone)]
pub struct Heard {
    pub samples: Vec<i16>,
    /// (sample offset, arrival) every 50 frames.
    pub timeline: Vec<(usize, Instant)>,
}

/// An agent joined to a room, with its events read by a background task.
pub struct Agent {
    pub handle: RoomHandle,
    heard: Arc<Mutex<HashMap<String, Heard>>>,
    events: mpsc::UnboundedReceiver<RoomEvent>,
    seen: Vec<RoomEvent>,
    task: tokio::task::JoinHandle<LiveKitRoom>,
    stop: tokio::sync::oneshot::Sender<()>,
}

/// Loopback options for the test server.
pub fn options(url: &str, token: String) -> ConnectOptions {
    let mut options = ConnectOptions::new(url, token);
    options.loopback_only = true;
    options.ignore_ice_servers = true;
    options
}

impl Agent {
    /// Joins `room` on `server` as `identity`.
    pub async fn join(server: &LiveKitServer, room: &str, identity: &str) -> Result<Self> {
        Self::join_with(options(&server.ws_url(), server.token(identity, room)?)).await
    }

    /// Joins with explicit options.
    pub async fn join_with(options: ConnectOptions) -> Result<Self> {
        init_tracing();
        let room = tokio::time::timeout(Duration::from_secs(20), LiveKitRoom::connect(options))
            .await
            .context("join timed out")??;
        Ok(Self::spawn(room))
    }

    fn spawn(mut room: LiveKitRoom) -> Self {
        let handle = room.handle();
        let heard: Arc<Mutex<HashMap<String, Heard>>> = Arc::default();
        let (tx, events) = mpsc::unbounded_channel();
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let sink = heard.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    event = room.next_event() => match event {
                        Some(RoomEvent::Audio(frame)) => {
                            let mut heard = sink.lock().expect("collector lock");
                            let h = heard.entry(frame.identity.to_string()).or_default();
                            if h.samples.len().is_multiple_of(50 * 960) {
                                h.timeline.push((h.samples.len(), frame.received_at));
                            }
                            h.samples.extend_from_slice(&frame.samples);
                        }
                        Some(other) => {
                            if tx.send(other).is_err() {
                                break;
                            }
                        }
                        None => break,
                    }
                }
            }
            room
        });
        Self {
            handle,
            heard,
            events,
            seen: Vec::new(),
            task,
            stop,
        }
    }

    /// Everything heard from `identity` so far.
    pub fn heard(&self, identity: &str) -> Heard {
        self.heard
            .lock()
            .expect("collector lock")
            .get(identity)
            .cloned()
            .unwrap_or_default()
    }

    /// Forgets what was heard so far.
    pub fn clear_heard(&self) {
        self.heard.lock().expect("collector lock").clear();
    }

    /// Waits for the next event matching `pred`.
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        mut pred: impl FnMut(&RoomEvent) -> bool,
    ) -> Result<RoomEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => {
                    self.seen.push(event.clone());
                    if pred(&event) {
                        return Ok(event);
                    }
                }
                Ok(None) => bail!("the agent's room closed; events: {:?}", self.seen),
                Err(_) => bail!("timed out after {timeout:?}; agent events: {:?}", self.seen),
            }
        }
    }

    /// Leaves the room.
    pub async fn leave(self) -> Result<()> {
        let _ = self.stop.send(());
        let room = self.task.await?;
        tokio::time::timeout(Duration::from_secs(10), room.leave())
            .await
            .context("leave timed out")?;
        Ok(())
    }
}

/// Speech followed by a second of silence, as 48 kHz mono.
pub fn utterance(dir: &Path, name: &str, text: &str, pitch: u32) -> Result<PathBuf> {
    let spoken = dir.join(format!("{name}.spoken.wav"));
    speech::speak(
        text,
        &speech::Voice {
            pitch,
            ..Default::default()
        },
        &spoken,
    )?;
    let (rate, mut samples) = speech::read_wav(&spoken)?;
    samples.extend(speech::silence(1.0));
    let out = dir.join(format!("{name}.wav"));
    speech::write_wav(&out, rate, &samples)?;
    Ok(out)
}

/// PCM i16 to f32 in [-1, 1].
pub fn to_f32(samples: &[i16]) -> Vec<f32> {
    samples.iter().map(|&s| f32::from(s) / 32768.0).collect()
}

/// Correlation of the 20 ms envelopes of `sent` and `received`, best over all lags.
pub fn correlation(sent: &[f32], received: &[f32]) -> (f32, usize) {
    let reference = signal::envelope_20ms(sent, speech::RATE);
    let recorded = signal::envelope_20ms(received, speech::RATE);
    let max_lag = recorded.len().saturating_sub(reference.len() / 2);
    signal::best_ncc(&reference, &recorded, max_lag)
}

/// Samples between the first and the last sample louder than `threshold`.
pub fn speech_span(samples: &[f32], threshold: f32) -> usize {
    match (
        signal::first_above(samples, threshold),
        signal::last_above(samples, threshold),
    ) {
        (Some(a), Some(b)) => b - a,
        _ => 0,
    }
}

/// An agent token (participant kind AGENT), so the server lets it send on others' behalf.
pub fn agent_token(server: &LiveKitServer, identity: &str, room: &str) -> Result<String> {
    use livekit_api::access_token::{AccessToken, VideoGrants};
    AccessToken::with_api_key(server.api_key(), server.api_secret())
        .with_identity(identity)
        .with_name(identity)
        .with_kind("agent")
        .with_ttl(Duration::from_secs(3600))
        .with_grants(VideoGrants {
            room_join: true,
            room: room.to_string(),
            can_publish: Some(true),
            can_subscribe: Some(true),
            can_publish_data: Some(true),
            can_update_own_metadata: Some(true),
            ..Default::default()
        })
        .to_jwt()
        .context("minting an agent token")
}

/// Pushes a WAV into the agent's outbound queue; returns the samples pushed.
pub fn push_wav(handle: &RoomHandle, path: &Path) -> Result<Vec<f32>> {
    let frames = agent::join::read_frames(path)?;
    let mut all = Vec::with_capacity(frames.len() * 960);
    for frame in &frames {
        handle.push_audio(frame)?;
        all.extend(frame.iter().map(|&s| f32::from(s) / 32768.0));
    }
    Ok(all)
}

/// Waits until the outbound queue is empty (checked every 20 ms, bounded).
pub async fn drained(handle: &RoomHandle, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    while handle.queued_audio() > 0 {
        if Instant::now() > deadline {
            bail!(
                "{} frames still queued after {timeout:?}",
                handle.queued_audio()
            );
        }
        tick.tick().await;
    }
    Ok(())
}

/// Unix time now, in seconds.
pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A tone with a slow tremolo (never silent), 48 kHz mono, `seconds` long, then 1 s silence.
pub fn tremolo_tone(dir: &Path, name: &str, seconds: f32) -> Result<PathBuf> {
    let out = dir.join(format!("{name}.wav"));
    let out_str = out.to_str().context("non-UTF-8 path")?;
    speech::sox(&[
        "-n",
        "-r",
        "48000",
        "-c",
        "1",
        "-b",
        "16",
        out_str,
        "synth",
        &seconds.to_string(),
        "sine",
        "330",
        "tremolo",
        "1.5",
        "60",
        "vol",
        "0.5",
        "pad",
        "0",
        "1",
    ])?;
    Ok(out)
}

/// Default log filter: our warnings; webrtc-rs internals only when they are errors.
const QUIET: &str =
    "warn,webrtc=error,rtc=error,rtc_ice=error,rtc_dtls=error,rtc_sctp=error,rtc_srtp=error";

/// Logs to the test output, filtered by RUST_LOG (default: [`QUIET`]).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| QUIET.into()),
        )
        .with_test_writer()
        .try_init();
}

/// Starts a livekit-server, retrying when a port picked as free was taken meanwhile (the
/// harness picks ports before the server binds them; parallel tests can race for one).
pub async fn start_server() -> Result<LiveKitServer> {
    let mut last = None;
    for _ in 0..3 {
        match LiveKitServer::start().await {
            Ok(server) => return Ok(server),
            Err(e) if format!("{e:#}").contains("address already in use") => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("livekit-server did not start")))
}

/// The candidate speaks `text`; returns the correlation of what the agent heard with it.
pub async fn agent_hears(
    agent: &Agent,
    client: &mut tests::pyclient::PyClient,
    dir: &Path,
    name: &str,
    text: &str,
) -> Result<f32> {
    let said = utterance(dir, name, text, 45)?;
    agent.clear_heard();
    client.play(&said).await?;
    client
        .wait_for(Duration::from_secs(30), |e| {
            e["event"] == "play_done"
                && e["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(&format!("{name}.wav")))
        })
        .await?;
    let (_, sent) = speech::read_wav(&said)?;
    let (corr, lag) = correlation(&sent, &to_f32(&agent.heard("candidate").samples));
    eprintln!(
        "{name}: the agent heard the candidate with correlation {corr:.3} at lag {} ms",
        lag * 20
    );
    Ok(corr)
}
