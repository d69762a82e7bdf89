//! A fake Deepgram live (`/v1/listen`) server over a real loopback WebSocket.
//!
//! It speaks Deepgram's live JSON (`Results`, `SpeechStarted`, `UtteranceEnd`,
//! `Metadata`) and answers with scripted text only while it receives real
//! speech energy: an RMS gate on the received linear16 audio finds bursts,
//! and each burst long enough to be speech consumes the next scripted
//! utterance when its final result is sent. Times are audio time (samples
//! received), so results do not depend on how fast the client streams.
//! `Finalize` settles the burst in progress at once with its whole utterance;
//! speech resuming within the endpointing silence continues that utterance.
//! Faults: a configurable result latency and dropping the socket after some
//! audio on the first connection (the utterance in progress is not consumed,
//! so a client that replays its audio loses nothing).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

/// What the fake says and how it misbehaves.
#[derive(Debug, Clone)]
pub struct DeepgramScript {
    /// One utterance per speech burst, in order.
    pub utterances: Vec<String>,
    /// Delay added to every result message (wall time).
    pub latency: Duration,
    /// Silence (audio seconds) that ends a burst: Deepgram's endpointing.
    pub endpointing: f64,
    /// Audio seconds of speech between interim results.
    pub interim_every: f64,
    /// RMS (0..1 of full scale) above which a 10 ms block counts as speech.
    pub rms_gate: f32,
    /// Bursts shorter than this (voiced seconds) are noise, not words.
    pub min_speech: f64,
    /// Drop the socket (no close frame) of the first connection that receives this much
    /// audio.
    pub drop_after_audio: Option<f64>,
    /// Drop the socket of the first connection whose speech burst reaches this many voiced
    /// seconds (mid-answer, whenever the answer comes).
    pub drop_mid_speech: Option<f64>,
    /// Accept only this many connections; later handshakes get HTTP 503 (the service is
    /// down).
    pub accept_connections: Option<usize>,
    /// The only key accepted (`Authorization: Token KEY`); others get HTTP 401, as
    /// Deepgram answers an invalid key. `None` accepts any.
    pub api_key: Option<String>,
    /// Voiced seconds per word when a `Finalize` settles an utterance early: the final holds
    /// the words heard so far at this pace (at least one) and the speech that resumes the
    /// utterance brings the rest, as Deepgram sends the words said so far; whatever is left
    /// comes once `endpointing` passes without speech. Once a connection has heard an
    /// utterance to its end, its own pace (voiced seconds over words) replaces this one, so a
    /// fast speaker's words are settled at the pace they were said at. `None` settles the
    /// whole utterance at once (the fake cannot align words to audio), its words timed inside
    /// the audio so far.
    pub finalize_words: Option<f64>,
}

impl Default for DeepgramScript {
    fn default() -> Self {
        Self {
            utterances: Vec::new(),
            latency: Duration::ZERO,
            endpointing: 0.3,
            interim_every: 0.3,
            rms_gate: 0.02,
            min_speech: 0.25,
            drop_after_audio: None,
            drop_mid_speech: None,
            accept_connections: None,
            api_key: None,
            finalize_words: None,
        }
    }
}

/// What the fake saw, for assertions.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Request target of each connection (path and query).
    pub targets: Vec<String>,
    /// `Authorization` header of each connection.
    pub authorizations: Vec<Option<String>>,
    /// Text (control) messages received, in order.
    pub controls: Vec<String>,
    /// Transcripts of the final results sent (non-empty ones).
    pub finals: Vec<String>,
    /// Audio seconds received, over all connections.
    pub audio_seconds: f64,
}

/// A running fake; the server stops when this is dropped.
pub struct FakeDeepgram {
    addr: std::net::SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    script: DeepgramScript,
    next: VecDeque<String>,
    recorded: Recorded,
    /// Whether a connection was dropped already (the drop knobs fire once).
    dropped: bool,
}

impl FakeDeepgram {
    /// Binds 127.0.0.1:0 and serves until dropped.
    pub async fn start(script: DeepgramScript) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Mutex::new(Shared {
            next: script.utterances.iter().cloned().collect(),
            script,
            recorded: Recorded::default(),
            dropped: false,
        }));
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            let mut index = 0usize;
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(connection(stream, accept_shared.clone(), index));
                index += 1;
            }
        });
        Ok(Self { addr, shared, task })
    }

    /// `ws://127.0.0.1:port`, to use as the client's base URL.
    pub fn base_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// A snapshot of what was seen so far.
    pub fn recorded(&self) -> Recorded {
        lock(&self.shared).recorded.clone()
    }
}

impl Drop for FakeDeepgram {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Per-connection recogniser state, in this connection's audio time.
struct Burst {
    rate: f64,
    samples: u64,
    in_burst: bool,
    burst_start: f64,
    last_voiced: f64,
    voiced: f64,
    since_interim: f64,
    interims: usize,
    /// End of the audio the last final result covered.
    final_end: f64,
    /// The utterance was finalized early (`Finalize` mid-utterance): speech that resumes
    /// within `endpointing` continues it and brings no new words, since a fake cannot
    /// split a scripted utterance by time (Deepgram would send the remaining words).
    finalized_early: bool,
    /// The burst in progress continues an utterance finalized early.
    continuation: bool,
    /// An utterance settled early in part (`finalize_words`).
    rest: Option<Rest>,
    /// Voiced seconds per word of the last utterance this connection heard to its end.
    pace: Option<f64>,
}

/// The words of an utterance settled early in part that were not sent yet.
struct Rest {
    words: VecDeque<String>,
    /// Voiced seconds heard of the utterance so far.
    heard: f64,
    /// Words sent so far.
    given: usize,
}

impl Rest {
    /// Voiced seconds per word of the whole utterance, once `more` voiced seconds end it.
    fn pace(&self, more: f64) -> Option<f64> {
        let words = self.given + self.words.len();
        (words > 0).then(|| (self.heard + more) / words as f64)
    }
}

// The handshake callback's error type is tungstenite's `ErrorResponse`, not ours.
#[allow(clippy::result_large_err)]
async fn connection(stream: TcpStream, shared: Arc<Mutex<Shared>>, index: usize) {
    let mut target = String::new();
    let mut auth = None;
    let (down, key) = {
        let s = lock(&shared);
        let down = s.script.accept_connections.is_some_and(|n| index >= n);
        (down, s.script.api_key.clone())
    };
    let callback = |request: &Request, response: Response| {
        let refuse = |status: StatusCode, why: &str| {
            let mut refused = ErrorResponse::new(Some(why.to_owned()));
            *refused.status_mut() = status;
            Err(refused)
        };
        if down {
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "service unavailable");
        }
        if let Some(key) = &key {
            let given = request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok());
            if given != Some(format!("Token {key}").as_str()) {
                return refuse(StatusCode::UNAUTHORIZED, "invalid credentials");
            }
        }
        target = request.uri().to_string();
        auth = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(response)
    };
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let rate = query_value(&target, "sample_rate")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|r| *r >= 8_000.0)
        .unwrap_or(16_000.0);
    let script = {
        let mut s = lock(&shared);
        s.recorded.targets.push(target);
        s.recorded.authorizations.push(auth);
        s.script.clone()
    };
    let (mut sink, mut source) = socket.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<(Instant, Option<String>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, message)) = out_rx.recv().await {
            tokio::time::sleep_until(at).await;
            let sent = match message {
                Some(text) => sink.send(Message::text(text)).await,
                None => sink.close().await,
            };
            if sent.is_err() {
                return;
            }
        }
    });
    let send = |text: Option<String>| {
        let _ = out_tx.send((Instant::now() + script.latency, text));
    };
    send(Some(
        json!({"type": "Metadata", "request_id": format!("fake-{index}")}).to_string(),
    ));
    let mut b = Burst {
        rate,
        samples: 0,
        in_burst: false,
        burst_start: 0.0,
        last_voiced: 0.0,
        voiced: 0.0,
        since_interim: 0.0,
        interims: 0,
        final_end: 0.0,
        finalized_early: false,
        continuation: false,
        rest: None,
        pace: None,
    };
    let block = (rate / 100.0) as usize;
    let mut carry: Vec<i16> = Vec::new();
    while let Some(Ok(message)) = source.next().await {
        match message {
            Message::Binary(bytes) => {
                carry.extend(
                    bytes
                        .chunks_exact(2)
                        .map(|c| i16::from_le_bytes([c[0], c[1]])),
                );
                let whole = carry.len() / block * block;
                for chunk in carry[..whole].chunks(block) {
                    for text in b.feed(chunk, &script, &shared) {
                        send(Some(text));
                    }
                }
                carry.drain(..whole);
                lock(&shared).recorded.audio_seconds += bytes.len() as f64 / 2.0 / rate;
                let t = b.samples as f64 / rate;
                let mid_speech = script
                    .drop_mid_speech
                    .is_some_and(|d| b.in_burst && b.voiced >= d);
                if script.drop_after_audio.is_some_and(|d| t >= d) || mid_speech {
                    let first = !std::mem::replace(&mut lock(&shared).dropped, true);
                    if first {
                        writer.abort();
                        return;
                    }
                }
            }
            Message::Text(text) => {
                let kind = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
                    .unwrap_or_default();
                lock(&shared).recorded.controls.push(kind.clone());
                match kind.as_str() {
                    "Finalize" if b.in_burst && b.voiced < script.min_speech => {
                        // Too little speech for words yet: nothing to settle, the burst
                        // goes on.
                        send(Some(b.results("", true, true, true)));
                    }
                    "Finalize" => {
                        // Outside a burst there is nothing to settle: an utterance settled
                        // early stays open for the speech that resumes it.
                        b.finalized_early |= b.in_burst;
                        send(Some(b.finish(&shared, true)));
                    }
                    "CloseStream" => {
                        send(Some(b.finish(&shared, true)));
                        send(Some(
                            json!({"type": "Metadata", "request_id": format!("fake-{index}"),
                                "duration": b.now()})
                            .to_string(),
                        ));
                        send(None);
                        break;
                    }
                    _ => {}
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    drop(out_tx);
    let _ = writer.await;
}

impl Burst {
    fn now(&self) -> f64 {
        self.samples as f64 / self.rate
    }

    /// Feeds one 10 ms block; returns the messages it triggers.
    fn feed(
        &mut self,
        block: &[i16],
        script: &DeepgramScript,
        shared: &Mutex<Shared>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let start = self.now();
        self.samples += block.len() as u64;
        let end = self.now();
        let rms = (block
            .iter()
            .map(|&s| (f64::from(s) / 32768.0).powi(2))
            .sum::<f64>()
            / block.len().max(1) as f64)
            .sqrt();
        if rms > f64::from(script.rms_gate) {
            if !self.in_burst {
                self.continuation = std::mem::take(&mut self.finalized_early)
                    && start - self.last_voiced < script.endpointing;
                self.in_burst = true;
                self.burst_start = start;
                self.voiced = 0.0;
                self.since_interim = 0.0;
                self.interims = 0;
                out.push(
                    json!({"type": "SpeechStarted", "channel": [0], "timestamp": start})
                        .to_string(),
                );
            }
            self.last_voiced = end;
            self.voiced += end - start;
            self.since_interim += end - start;
            if self.since_interim >= script.interim_every
                && self.voiced >= script.min_speech
                && !self.continuation
            {
                self.since_interim = 0.0;
                self.interims += 1;
                let words: Vec<String> = current(shared)
                    .split_whitespace()
                    .take(self.interims)
                    .map(str::to_owned)
                    .collect();
                out.push(self.results(&words.join(" "), false, false, false));
            }
        } else if self.in_burst && end - self.last_voiced >= script.endpointing {
            out.push(self.finish(shared, false));
            let last = self.final_end;
            out.push(
                json!({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": last})
                    .to_string(),
            );
        } else if !self.in_burst
            && self.rest.is_some()
            && end - self.last_voiced >= script.endpointing
        {
            // The utterance settled in part did not resume: the rest of its words now.
            let text = self.settle_rest(0.0);
            out.push(self.results(&text, true, true, false));
            self.final_end = end;
        } else if !self.in_burst && end - self.final_end >= 1.0 {
            out.push(self.results("", true, false, false));
            self.final_end = end;
        }
        out
    }

    /// Ends the burst in progress with a final result (empty for noise).
    fn finish(&mut self, shared: &Mutex<Shared>, from_finalize: bool) -> String {
        let (min_speech, pace) = {
            let s = lock(shared);
            (s.script.min_speech, s.script.finalize_words)
        };
        // The connection's own pace, once it has heard an utterance to its end.
        let pace = pace.map(|p| self.pace.unwrap_or(p));
        let continuation = std::mem::take(&mut self.continuation);
        let speech = self.in_burst && !continuation && self.voiced >= min_speech;
        let early = from_finalize && self.in_burst;
        let text = if speech {
            let mut s = lock(shared);
            let text = s.next.pop_front().unwrap_or_default();
            if !text.is_empty() {
                s.recorded.finals.push(text.clone());
            }
            drop(s);
            match pace.filter(|_| early) {
                Some(pace) => {
                    self.rest = Some(Rest {
                        words: text.split_whitespace().map(str::to_owned).collect(),
                        heard: 0.0,
                        given: 0,
                    });
                    self.take_words(pace, true)
                }
                None => {
                    let words = text.split_whitespace().count();
                    if words > 0 && !early {
                        self.pace = Some(self.voiced / words as f64);
                    }
                    text
                }
            }
        } else if continuation && self.in_burst && self.rest.is_some() {
            match pace.filter(|_| early) {
                Some(pace) => self.take_words(pace, false),
                None => self.settle_rest(self.voiced),
            }
        } else {
            String::new()
        };
        self.in_burst = false;
        let message = self.results(&text, true, true, from_finalize);
        self.final_end = self.now();
        message
    }

    /// Ends the utterance settled in part, `more` voiced seconds after what was heard of it:
    /// the words not sent yet, and its pace becomes the connection's.
    fn settle_rest(&mut self, more: f64) -> String {
        let Some(rest) = self.rest.take() else {
            return String::new();
        };
        self.pace = rest.pace(more).or(self.pace);
        Vec::from(rest.words).join(" ")
    }

    /// The words of the utterance settled in part that the voiced time heard of it so far
    /// covers at `pace` (at least one when `first`); the rest stays for later.
    fn take_words(&mut self, pace: f64, first: bool) -> String {
        let Some(rest) = self.rest.as_mut() else {
            return String::new();
        };
        rest.heard += self.voiced;
        let due = (rest.heard / pace).floor() as usize;
        let n = due
            .saturating_sub(rest.given)
            .max(usize::from(first))
            .min(rest.words.len());
        let words: Vec<String> = rest.words.drain(..n).collect();
        rest.given += n;
        if rest.words.is_empty() {
            self.settle_rest(0.0);
        }
        words.join(" ")
    }

    fn results(
        &self,
        text: &str,
        is_final: bool,
        speech_final: bool,
        from_finalize: bool,
    ) -> String {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (from, to) = (self.burst_start, self.last_voiced.max(self.burst_start));
        let step = (to - from) / words.len().max(1) as f64;
        let words: Vec<serde_json::Value> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let bare: String = w
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '\'')
                    .collect::<String>()
                    .to_lowercase();
                json!({"word": bare, "start": from + step * i as f64,
                    "end": from + step * (i + 1) as f64, "confidence": 0.98,
                    "punctuated_word": w})
            })
            .collect();
        let start = self.final_end;
        json!({
            "type": "Results",
            "channel_index": [0, 1],
            "duration": self.now() - start,
            "start": start,
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": {"alternatives": [{"transcript": text, "confidence": 0.98, "words": words}]},
            "metadata": {"request_id": "fake", "model_info": {"name": "2-general-nova", "version": "fake", "arch": "nova-3"}},
        })
        .to_string()
    }
}

fn current(shared: &Mutex<Shared>) -> String {
    lock(shared).next.front().cloned().unwrap_or_default()
}

fn query_value<'a>(target: &'a str, key: &str) -> Option<&'a str> {
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}
