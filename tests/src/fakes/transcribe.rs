//! A fake OpenAI-compatible transcription server: `POST /v1/audio/transcriptions` with a
//! multipart form (`file` a WAV, `model`, `response_format`, `timestamp_granularities[]`,
//! `language`, `stream`), answering `verbose_json` with word times, or server-sent
//! `transcript.text.delta` / `transcript.text.done` events when asked to stream.
//!
//! It does not recognise speech: each request with voiced audio gets the next scripted text
//! (the last repeats), its words spread over the voiced part of the file. A file with no
//! voiced audio gets an empty text, as a real server gives for silence.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use tokio::io::AsyncWriteExt;

use super::http::{Request, Server, respond, serve, write_head};

/// Behaviour of the fake.
#[derive(Debug, Clone, Default)]
pub struct TranscribeScript {
    /// Texts, one per voiced request, in order (the last repeats).
    pub texts: Vec<String>,
    /// Answer every request this much later (the server's processing time).
    pub latency: Duration,
    /// The first N requests answer HTTP 500.
    pub fail_first: usize,
    /// Every request answers 503 (a server that stays down).
    pub down: bool,
    /// Requests must carry `Authorization: Bearer <key>`; others get 401.
    pub api_key: Option<String>,
}

/// One part of a multipart form.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub data: Vec<u8>,
}

/// The parts of a `multipart/form-data` request body; empty if it is not one.
pub fn form(request: &Request) -> Vec<Part> {
    let Some(boundary) = request
        .header("content-type")
        .and_then(|v| v.split("boundary=").nth(1))
        .map(|b| format!("--{}", b.trim_matches('"')))
    else {
        return Vec::new();
    };
    let body = &request.body;
    let mut parts = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let needle = boundary.as_bytes();
    let mut i = 0;
    while i + needle.len() <= body.len() {
        if &body[i..i + needle.len()] == needle {
            starts.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    for pair in starts.windows(2) {
        let chunk = &body[pair[0] + needle.len()..pair[1]];
        let Some(split) = chunk.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&chunk[..split]);
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
        else {
            continue;
        };
        let mut data = chunk[split + 4..].to_vec();
        if data.ends_with(b"\r\n") {
            data.truncate(data.len() - 2);
        }
        parts.push(Part {
            name: name.to_owned(),
            data,
        });
    }
    parts
}

/// The text of form field `name`.
pub fn field(parts: &[Part], name: &str) -> Option<String> {
    parts
        .iter()
        .find(|p| p.name == name)
        .map(|p| String::from_utf8_lossy(&p.data).into_owned())
}

/// The voiced span (seconds) of a mono 16-bit WAV, or an error for anything else.
fn voiced_span(wav: &[u8]) -> Result<Option<(f64, f64, f64)>> {
    let reader = hound::WavReader::new(std::io::Cursor::new(wav))?;
    let spec = reader.spec();
    anyhow::ensure!(
        spec.channels == 1 && spec.bits_per_sample == 16,
        "not mono 16-bit"
    );
    let rate = f64::from(spec.sample_rate);
    let samples: Vec<i16> = reader.into_samples::<i16>().collect::<Result<_, _>>()?;
    let frame = (spec.sample_rate / 50).max(1) as usize;
    let voiced: Vec<usize> = samples
        .chunks(frame)
        .enumerate()
        .filter(|(_, f)| {
            let energy: f64 = f.iter().map(|&s| f64::from(s).powi(2)).sum();
            (energy / f.len() as f64).sqrt() > 300.0
        })
        .map(|(i, _)| i)
        .collect();
    let seconds = samples.len() as f64 / rate;
    Ok(match (voiced.first(), voiced.last()) {
        (Some(&a), Some(&b)) => Some((
            a as f64 * frame as f64 / rate,
            (b + 1) as f64 * frame as f64 / rate,
            seconds,
        )),
        _ => None,
    })
}

/// Starts the fake on a free loopback port; its base URL (`.../v1`) is `server.base_url()`.
pub async fn start(script: TranscribeScript) -> Result<Server> {
    let script = Arc::new(script);
    let voiced_calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    serve(move |request, index, mut socket| {
        let script = script.clone();
        let voiced_calls = voiced_calls.clone();
        async move {
            if request.target != "/v1/audio/transcriptions" || request.method != "POST" {
                return respond(socket, "404 Not Found", &[], "{}").await;
            }
            if let Some(key) = &script.api_key
                && request.header("authorization") != Some(&format!("Bearer {key}"))
            {
                let body = r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
                return respond(socket, "401 Unauthorized", &[], body).await;
            }
            super::precise_sleep(script.latency).await;
            if script.down || index < script.fail_first {
                let body = r#"{"error":{"message":"server error","type":"server_error"}}"#;
                let status = if script.down {
                    "503 Service Unavailable"
                } else {
                    "500 Internal Server Error"
                };
                return respond(socket, status, &[], body).await;
            }
            let parts = form(&request);
            let file = parts.iter().find(|p| p.name == "file");
            let span = match file.map(|f| voiced_span(&f.data)) {
                Some(Ok(span)) => span,
                Some(Err(e)) => {
                    let body = serde_json::json!({"error": {"message": format!("Invalid file format: {e}"), "type": "invalid_request_error"}});
                    return respond(socket, "400 Bad Request", &[], &body.to_string()).await;
                }
                None => {
                    let body = r#"{"error":{"message":"file is required","type":"invalid_request_error"}}"#;
                    return respond(socket, "400 Bad Request", &[], body).await;
                }
            };
            if field(&parts, "model").is_none() {
                let body = r#"{"error":{"message":"model is required","type":"invalid_request_error"}}"#;
                return respond(socket, "400 Bad Request", &[], body).await;
            }
            let (text, from, to, seconds) = match span {
                Some((from, to, seconds)) => {
                    let n = voiced_calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let text = script
                        .texts
                        .get(n)
                        .or(script.texts.last())
                        .cloned()
                        .unwrap_or_default();
                    (text, from, to, seconds)
                }
                None => (String::new(), 0.0, 0.0, 0.0),
            };
            if field(&parts, "stream").as_deref() == Some("true") {
                write_head(&mut socket, "200 OK", &[("Content-Type", "text/event-stream")])
                    .await?;
                for word in text.split_inclusive(' ') {
                    let event = serde_json::json!({"type": "transcript.text.delta", "delta": word});
                    socket.write_all(format!("data: {event}\n\n").as_bytes()).await?;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let done = serde_json::json!({"type": "transcript.text.done", "text": text});
                socket.write_all(format!("data: {done}\n\n").as_bytes()).await?;
                socket.shutdown().await?;
                return Ok(());
            }
            let plain: Vec<&str> = text.split_whitespace().collect();
            let step = (to - from) / plain.len().max(1) as f64;
            let words: Vec<serde_json::Value> = plain
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let word: String = w.chars().filter(|c| c.is_alphanumeric() || *c == '\'').collect();
                    serde_json::json!({"word": word, "start": from + step * i as f64, "end": from + step * (i + 1) as f64})
                })
                .collect();
            let body = serde_json::json!({
                "task": "transcribe",
                "language": field(&parts, "language").unwrap_or_else(|| "english".into()),
                "duration": seconds,
                "text": text,
                "words": words,
                "segments": [{"id": 0, "start": from, "end": to, "text": text, "avg_logprob": -0.2}],
            });
            respond(socket, "200 OK", &[("Content-Type", "application/json")], &body.to_string()).await
        }
    })
    .await
}
