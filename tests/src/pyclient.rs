//! The official Python LiveKit SDK as a test participant (tests/py/lk_client.py).
//!
//! Commands go to the script's stdin and events come back from its stdout, one JSON object
//! per line. Every event the client printed is kept, so a test can wait for a condition and
//! later look at the whole history.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::paths;

/// How long joining a room may take.
const JOIN_TIMEOUT: Duration = Duration::from_secs(20);

/// Options for [`PyClient::join`].
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Record the remote audio heard to this WAV (48 kHz mono); a `.json` timeline beside it.
    pub record: Option<PathBuf>,
    /// Record only this participant's audio.
    pub record_identity: Option<String>,
    /// Mix what is heard back into the microphone at this gain in dB (a speakerphone).
    pub echo_db: Option<f32>,
    /// Slack of the microphone queue in ms (the script's default, 100 ms, when `None`): more
    /// survives a starved client under load, less keeps `play_started` close to the audio.
    pub mic_queue_ms: Option<u32>,
    /// Publish the microphone with Opus DTX on (`true`) or off (`false`); `None` leaves the
    /// SDK's default, which is on.
    pub dtx: Option<bool>,
}

/// A running Python participant.
pub struct PyClient {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::UnboundedReceiver<Value>,
    seen: Vec<Value>,
    /// Index into `seen` of the first event not yet returned by `wait_for`.
    cursor: usize,
}

impl PyClient {
    /// Starts the client and waits until it has joined the room.
    pub async fn join(url: &str, token: &str, options: ClientOptions) -> Result<Self> {
        let python = paths::python();
        if !python.exists() {
            bail!("{} is missing: run scripts/setup.sh", python.display());
        }
        let script = paths::repo_root().join("tests/py/lk_client.py");
        let mut cmd = Command::new(&python);
        cmd.arg("-u")
            .arg(&script)
            .arg("--url")
            .arg(url)
            .arg("--token")
            .arg(token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(path) = &options.record {
            cmd.arg("--record").arg(path);
        }
        if let Some(identity) = &options.record_identity {
            cmd.arg("--record-identity").arg(identity);
        }
        if let Some(db) = options.echo_db {
            cmd.arg("--echo-db").arg(db.to_string());
        }
        if let Some(ms) = options.mic_queue_ms {
            cmd.arg("--mic-queue-ms").arg(ms.to_string());
        }
        if let Some(dtx) = options.dtx {
            cmd.arg("--dtx").arg(if dtx { "on" } else { "off" });
        }
        let mut child = cmd.spawn().context("starting the Python LiveKit client")?;
        let stdin = child.stdin.take().context("client stdin")?;
        let stdout = child.stdout.take().context("client stdout")?;
        let (tx, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Value>(&line) {
                    Ok(v) => {
                        if tx.send(v).is_err() {
                            break;
                        }
                    }
                    Err(_) => eprintln!("[lk_client stdout] {line}"),
                }
            }
        });
        let mut client = Self {
            child,
            stdin,
            events,
            seen: Vec::new(),
            cursor: 0,
        };
        client
            .wait_event("connected", JOIN_TIMEOUT)
            .await
            .context("the Python client did not join")?;
        Ok(client)
    }

    /// Sends one command object.
    pub async fn send(&mut self, command: Value) -> Result<()> {
        let mut line = serde_json::to_vec(&command)?;
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// Starts the microphone track (silence until something is played).
    pub async fn publish(&mut self) -> Result<Value> {
        self.send(json!({"cmd": "publish"})).await?;
        self.wait_event("published", Duration::from_secs(10)).await
    }

    /// Plays a 48 kHz mono WAV on the microphone (publishing it first if needed).
    pub async fn play(&mut self, path: &Path) -> Result<()> {
        self.send(json!({"cmd": "play", "path": path})).await
    }

    /// Sends a data packet with a topic.
    pub async fn send_data(&mut self, topic: &str, text: &str) -> Result<()> {
        self.send(json!({"cmd": "send_data", "topic": topic, "text": text}))
            .await?;
        self.wait_event("data_sent", Duration::from_secs(10))
            .await
            .map(drop)
    }

    /// Sends a text stream with a topic and attributes.
    pub async fn send_text(&mut self, topic: &str, text: &str, attributes: Value) -> Result<()> {
        self.send(
            json!({"cmd": "send_text", "topic": topic, "text": text, "attributes": attributes}),
        )
        .await?;
        self.wait_event("text_sent", Duration::from_secs(10))
            .await
            .map(drop)
    }

    /// Waits until the recorder has taken in `seconds` more audio than it had when asked: what
    /// was in flight to it (network, jitter buffer, a lagging event loop) is then recorded.
    pub async fn record_more(&mut self, seconds: f64, timeout: Duration) -> Result<()> {
        self.send(json!({"cmd": "record_more", "seconds": seconds}))
            .await?;
        self.wait_event("recorded", timeout).await.map(drop)
    }

    /// Waits for the next event (after those already returned) matching `pred`.
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        mut pred: impl FnMut(&Value) -> bool,
    ) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            while self.cursor < self.seen.len() {
                let event = &self.seen[self.cursor];
                self.cursor += 1;
                if event["event"] == "error" {
                    bail!("client error: {}", event["message"]);
                }
                if pred(event) {
                    return Ok(event.clone());
                }
            }
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => self.seen.push(event),
                Ok(None) => bail!("the Python client exited; events: {:?}", self.seen),
                Err(_) => bail!(
                    "timed out after {timeout:?}; events so far: {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Waits for the next event named `name`.
    pub async fn wait_event(&mut self, name: &str, timeout: Duration) -> Result<Value> {
        self.wait_for(timeout, |e| e["event"] == name).await
    }

    /// Every event seen so far (including those not yet waited for).
    pub fn events(&mut self) -> &[Value] {
        while let Ok(event) = self.events.try_recv() {
            self.seen.push(event);
        }
        &self.seen
    }

    /// Leaves the room, saves the recording and waits for the process to exit.
    pub async fn leave(mut self) -> Result<Vec<Value>> {
        self.send(json!({"cmd": "leave"})).await?;
        self.wait_event("left", Duration::from_secs(20)).await?;
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .map_err(|_| anyhow!("the Python client did not exit"))??;
        if !status.success() {
            bail!("the Python client exited with {status}");
        }
        Ok(self.seen)
    }
}

/// The recording timeline written beside a recording: (sample offset, unix seconds) pairs.
pub fn recording_timeline(wav: &Path) -> Result<Vec<(u64, f64)>> {
    let path = PathBuf::from(format!("{}.json", wav.display()));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    v["timeline"]
        .as_array()
        .context("timeline array")?
        .iter()
        .map(|p| {
            Ok((
                p[0].as_u64().context("sample offset")?,
                p[1].as_f64().context("wall clock")?,
            ))
        })
        .collect()
}

/// Wall-clock time (unix seconds) at which the recorder received sample `offset`.
///
/// The client stamps each frame when its event loop takes it, which may be late. Frames arrive
/// in real time, so sample `offset` arrived no later than any later stamp minus the audio in
/// between: the earliest such bound within the next two seconds is the estimate.
pub fn wall_time(timeline: &[(u64, f64)], offset: u64) -> Option<f64> {
    const RATE: f64 = 48_000.0;
    let window = 2 * 48_000;
    // The timeline is in sample order: start at the first stamp at or after `offset`.
    let from = timeline.partition_point(|(o, _)| *o < offset);
    let bound = timeline[from..]
        .iter()
        .take_while(|(o, _)| *o - offset <= window)
        .map(|(o, t)| t - (o - offset) as f64 / RATE)
        .min_by(f64::total_cmp);
    bound.or_else(|| {
        let (o, t) = timeline.iter().rev().find(|(o, _)| *o <= offset)?;
        Some(t + (offset - o) as f64 / RATE)
    })
}

/// Whether event `e` says its participant is now in agent state `state` (`lk.agent.state`):
/// as a change, or with the participant's arrival when the client learnt of it only after
/// that state was set.
pub fn announces_agent_state(e: &Value, state: &str) -> bool {
    (e["event"] == "attributes_changed" && e["changed"]["lk.agent.state"] == state)
        || (e["event"] == "participant_connected" && e["attributes"]["lk.agent.state"] == state)
}
