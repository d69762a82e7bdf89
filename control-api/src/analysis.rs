//! Seed 004's real-time analysis socket, `/ws/analysis/{session_id}`: the client streams its
//! microphone as binary Float32 PCM (little-endian, mono, at `?sample_rate=`, default 48000;
//! any rate from 8 kHz is resampled) and receives, as JSON text, one `metrics` message per
//! second of audio and a `nudge` message when the coaching policy fires. It runs the same
//! `dsp` pipeline (volume, WebRTC VAD, pitch, syllable rate) and the same `NudgePolicy` as
//! the agent, on a thread of its own per socket (the pipeline is not `Send`), fed through a
//! bounded channel so that a client faster than the analysis is slowed by TCP, not buffered.
//!
//! Authentication as the seed says: `Authorization: Bearer <access token>`, or `?token=` for
//! browsers (which cannot set headers on a WebSocket). `session_id` is one of the caller's
//! interviews. One socket per user and `ANALYSIS_MAX_SOCKETS` in all (seed 004: 1 per user,
//! 100 concurrent). Bad input never closes the socket: a binary frame that is not whole f32
//! samples, holds non-finite samples or is larger than [`MAX_FRAME_SAMPLES`], and a text
//! message that is not `{"type": "ping"}` or `{"type": "answer_expected", "value": bool}`,
//! each get `{"type": "error", "detail": ...}` and are dropped. After `ANALYSIS_MAX_SECONDS`
//! of audio the socket says so and closes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use dsp::frame::SampleRate;
use dsp::nudge::{NudgeConfig, NudgePolicy};
use dsp::pipeline::{Output, Pipeline, PipelineConfig};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::AppState;
use crate::error::ApiError;

/// Most samples one binary frame may carry: one second at 48 kHz (a browser sends 4096).
pub const MAX_FRAME_SAMPLES: usize = 48_000;

/// Who holds a socket now; a slot is given back when its guard drops.
#[derive(Debug, Default)]
pub struct Slots {
    users: Mutex<HashSet<String>>,
}

/// A user's claim on one analysis socket.
pub struct Slot {
    slots: Arc<Slots>,
    user: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut users = self.slots.users.lock().unwrap_or_else(|p| p.into_inner());
        users.remove(&self.user);
    }
}

/// Claims the user's one socket: 409 when they hold one, 503 when `max` are open.
pub fn claim(slots: &Arc<Slots>, user: &str, max: usize) -> Result<Slot, ApiError> {
    let mut users = slots.users.lock().unwrap_or_else(|p| p.into_inner());
    if users.contains(user) {
        return Err(ApiError::Conflict(
            "this account already has an analysis socket open".to_owned(),
        ));
    }
    if users.len() >= max {
        return Err(ApiError::Busy(5));
    }
    users.insert(user.to_owned());
    Ok(Slot {
        slots: Arc::clone(slots),
        user: user.to_owned(),
    })
}

/// Query of the upgrade request.
#[derive(Debug, Deserialize)]
pub struct AnalysisParams {
    /// The access token, for clients that cannot send an `Authorization` header.
    pub token: Option<String>,
    /// Rate of the streamed samples in Hz, 8000 to 384000; default 48000.
    pub sample_rate: Option<u32>,
}

/// Routes of this module (at the root, as seed 004 has it).
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/analysis/{session_id}", get(upgrade))
}

async fn upgrade(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    Query(params): Query<AnalysisParams>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let token = crate::auth::bearer(&headers)
        .map(str::to_owned)
        .or(params.token)
        .ok_or_else(|| ApiError::Unauthorized("not authenticated".to_owned()))?;
    let (user, _) = crate::auth::user_of(&state, &token).await?;
    crate::interviews::by_id(state.db(), &user.id, &session_id)
        .await?
        .ok_or_else(crate::interviews::not_found)?;
    let hz = params.sample_rate.unwrap_or(48_000);
    let rate = SampleRate::new(hz)
        .ok()
        .filter(|_| hz >= 8_000)
        .ok_or_else(|| {
            ApiError::Unprocessable("sample_rate must be 8000 to 384000 Hz".to_owned())
        })?;
    let config = state.config();
    let slot = claim(
        state.analysis_slots(),
        &user.id,
        config.analysis_max_sockets,
    )?;
    let max_samples = config.analysis_max_seconds.saturating_mul(u64::from(hz));
    // Frames over the application limit are refused with a message (the socket stays); the
    // protocol limit only stops absurd frames before they are buffered.
    Ok(ws
        .max_message_size(16 * MAX_FRAME_SAMPLES * 4)
        .max_frame_size(16 * MAX_FRAME_SAMPLES * 4)
        .on_upgrade(move |socket| serve(socket, rate, max_samples, slot)))
}

/// What the socket hands the analysis thread.
enum Input {
    Samples(Vec<f32>),
    AnswerExpected(bool),
}

fn error(detail: &str) -> Message {
    Message::Text(
        json!({"type": "error", "detail": detail})
            .to_string()
            .into(),
    )
}

async fn serve(mut socket: WebSocket, rate: SampleRate, max_samples: u64, slot: Slot) {
    let (input_tx, input_rx) = mpsc::channel::<Input>(16);
    let (output_tx, mut output_rx) = mpsc::channel::<Value>(64);
    let analysis = std::thread::Builder::new()
        .name("ws-analysis".to_owned())
        .spawn(move || analyze(rate, input_rx, output_tx));
    if analysis.is_err() {
        let _ = socket.send(error("the analysis could not start")).await;
        return;
    }
    let mut received: u64 = 0;
    loop {
        tokio::select! {
            message = socket.recv() => {
                let reply = match message {
                    Some(Ok(Message::Binary(bytes))) => match samples(&bytes) {
                        Ok(samples) => {
                            received += samples.len() as u64;
                            if received > max_samples {
                                let _ = socket.send(error("the session's length limit is reached")).await;
                                let _ = socket.send(Message::Close(Some(CloseFrame { code: 1008, reason: "length limit".into() }))).await;
                                break;
                            }
                            if input_tx.send(Input::Samples(samples)).await.is_err() {
                                break;
                            }
                            None
                        }
                        Err(detail) => Some(error(detail)),
                    },
                    Some(Ok(Message::Text(text))) => match control(&text) {
                        Ok(Some(input)) => {
                            if input_tx.send(input).await.is_err() {
                                break;
                            }
                            None
                        }
                        Ok(None) => Some(Message::Text(json!({"type": "pong"}).to_string().into())),
                        Err(detail) => Some(error(&detail)),
                    },
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => None,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                };
                if let Some(reply) = reply
                    && socket.send(reply).await.is_err()
                {
                    break;
                }
            }
            Some(out) = output_rx.recv() => {
                if socket.send(Message::Text(out.to_string().into())).await.is_err() {
                    break;
                }
            }
        }
    }
    drop(slot);
}

/// Binary frame to samples: whole little-endian f32s, finite, at most [`MAX_FRAME_SAMPLES`].
fn samples(bytes: &[u8]) -> Result<Vec<f32>, &'static str> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return Err("binary frames are Float32 PCM: a non-zero multiple of 4 bytes");
    }
    if bytes.len() / 4 > MAX_FRAME_SAMPLES {
        return Err("a frame may carry at most 48000 samples");
    }
    let samples: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if samples.iter().any(|s| !s.is_finite()) {
        return Err("samples must be finite numbers");
    }
    Ok(samples)
}

/// A text message: `ping` (answered with `pong`) or `answer_expected`.
fn control(text: &str) -> Result<Option<Input>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("text messages are JSON: {e}"))?;
    match (value["type"].as_str(), value.get("value")) {
        (Some("ping"), _) => Ok(None),
        (Some("answer_expected"), Some(Value::Bool(b))) => Ok(Some(Input::AnswerExpected(*b))),
        _ => Err("unknown message: send {\"type\": \"ping\"} or {\"type\": \"answer_expected\", \"value\": true}".to_owned()),
    }
}

/// The analysis thread: the dsp pipeline and the nudge policy over one stream.
fn analyze(rate: SampleRate, mut input: mpsc::Receiver<Input>, output: mpsc::Sender<Value>) {
    let config = PipelineConfig {
        input_rate: rate,
        reserve_seconds: 60,
        ..PipelineConfig::default()
    };
    let Ok(mut pipeline) = Pipeline::new(config, None) else {
        let _ = output
            .blocking_send(json!({"type": "error", "detail": "the analysis could not start"}));
        return;
    };
    let mut policy = NudgePolicy::new(NudgeConfig::default());
    let mut answer_expected = true;
    while let Some(message) = input.blocking_recv() {
        match message {
            Input::AnswerExpected(b) => answer_expected = b,
            Input::Samples(samples) => {
                if pipeline.push(&samples).is_err() {
                    let _ = output.blocking_send(
                        json!({"type": "error", "detail": "the analysis failed on this frame"}),
                    );
                    continue;
                }
                while let Some(out) = pipeline.poll_output() {
                    let Output::Second(point) = out else { continue };
                    let now = Duration::from_secs(u64::from(point.second) + 1);
                    let nudge = policy.observe(now, &point.observation(answer_expected));
                    let volume = 10f32.powf(point.rms_dbfs / 20.0);
                    let is_speaking = point.speech_ratio >= 0.5;
                    let message = nudge.map(|n| n.message());
                    if let Some(n) = nudge {
                        let sent = output.blocking_send(json!({"type": "nudge", "message": n.message(),
                            "data": {"volume": volume, "is_speaking": is_speaking, "nudge": n.message(), "kind": n,
                                     "second": point.second}}));
                        if sent.is_err() {
                            return;
                        }
                    }
                    let sent = output.blocking_send(json!({"type": "metrics", "data": {
                        "volume": volume, "is_speaking": is_speaking, "nudge": message,
                        "second": point.second, "volume_dbfs": point.rms_dbfs, "speech_dbfs": point.speech_dbfs,
                        "f0_hz": point.f0_hz, "syllables_per_second": point.recent_syllables_per_second,
                        "clipping_ratio": point.clipping_ratio}}));
                    if sent.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
