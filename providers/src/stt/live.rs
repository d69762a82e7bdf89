//! The Deepgram live WebSocket driver: one task per audio stream.
//!
//! Audio goes in through [`SttStream::send_audio`]; Deepgram's messages come out as
//! vendor-neutral [`SttEvent`]s. The task sends `KeepAlive` while no audio
//! flows, `Finalize` and `CloseStream` on request, and reconnects with backoff
//! when the socket breaks, first resending the audio no final result covered
//! yet (kept in a [`Replay`] ring), so nothing the candidate said is lost.
//!
//! **Invariant:** event times are absolute seconds since the stream began,
//! across reconnects (each connection's times are shifted by the replay offset).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;

use super::deepgram::{self, CLOSE_STREAM, Event, FINALIZE, KEEP_ALIVE};
use super::replay::Replay;
use super::{
    BoxFuture, SpeechToText, SttCommand as Command, SttEvent, SttStream, Transcript, Word,
};
use crate::ProviderError;

/// How to reach Deepgram and how hard to try.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// `wss://api.deepgram.com` or a fake's `ws://127.0.0.1:port`.
    pub base_url: String,
    /// Sent as `Authorization: Token <key>`; never logged.
    pub api_key: Option<String>,
    /// Sample rate of the linear16 mono audio sent.
    pub sample_rate: u32,
    /// `KeepAlive` is sent after this long without audio (Deepgram closes after 10 s).
    pub keep_alive: Duration,
    /// Seconds of not yet finalised audio kept for a reconnect.
    pub replay_seconds: f64,
    /// Consecutive failed connection attempts before giving up.
    pub max_reconnects: u32,
    /// Delay before the first reconnect; doubles per consecutive failure.
    pub reconnect_backoff: Duration,
    /// Bound on one connection attempt (TCP, TLS and upgrade).
    pub connect_timeout: Duration,
    /// The language spoken (ISO 639-1), sent as Deepgram's `language`.
    pub language: Option<String>,
}

impl LiveConfig {
    /// Defaults for 16 kHz audio against `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            sample_rate: 16_000,
            keep_alive: Duration::from_secs(3),
            replay_seconds: 30.0,
            max_reconnects: 5,
            reconnect_backoff: Duration::from_millis(50),
            connect_timeout: Duration::from_secs(5),
            language: None,
        }
    }
}

/// Deepgram as a [`SpeechToText`]: each stream is one driver task.
#[derive(Debug, Clone)]
pub struct Deepgram {
    pub config: LiveConfig,
}

impl SpeechToText for Deepgram {
    fn name(&self) -> &'static str {
        "deepgram"
    }

    fn open(&self, sample_rate: u32, language: Option<&str>) -> SttStream {
        let mut config = self.config.clone();
        config.sample_rate = sample_rate;
        config.language = language.map(str::to_owned);
        let (stream, driver) = SttStream::pair();
        tokio::spawn(run(config, driver.commands, driver.events));
        stream
    }

    fn check(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(check(&self.config))
    }
}

/// The vendor-neutral form of a Deepgram event; `None` for metadata and unknown types.
fn neutral(event: Event) -> Option<SttEvent> {
    Some(match event {
        Event::Transcript {
            text,
            words,
            is_final,
            speech_final,
            start,
            duration,
            confidence,
        } => SttEvent::Transcript(Transcript {
            text,
            words: words
                .into_iter()
                .map(|w| Word {
                    word: w.word,
                    start: w.start,
                    end: w.end,
                    confidence: w.confidence.unwrap_or(1.0),
                })
                .collect(),
            is_final,
            speech_final,
            start,
            duration,
            confidence,
        }),
        Event::SpeechStarted { timestamp } => SttEvent::SpeechStarted { at: timestamp },
        Event::UtteranceEnd { last_word_end } => SttEvent::UtteranceEnd { last_word_end },
        Event::Metadata { .. } | Event::Other => return None,
    })
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Samples per resent message after a reconnect (0.25 s at 16 kHz).
const REPLAY_CHUNK: usize = 4_000;

async fn connect(config: &LiveConfig) -> Result<Socket, ProviderError> {
    let url = deepgram::listen_url(
        &config.base_url,
        config.sample_rate,
        config.language.as_deref(),
    );
    let mut request = url
        .into_client_request()
        .map_err(|e| ProviderError::Connect(e.to_string()))?;
    if let Some(key) = &config.api_key {
        let value = HeaderValue::from_str(&format!("Token {key}"))
            .map_err(|_| ProviderError::Connect("the API key is not a valid header".into()))?;
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    match tokio::time::timeout(
        config.connect_timeout,
        tokio_tungstenite::connect_async(request),
    )
    .await
    {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(e)) => Err(ProviderError::Connect(e.to_string())),
        Err(_) => Err(ProviderError::Connect("connect timed out".into())),
    }
}

/// Checks that the service can be reached and takes the key: a live socket is opened and
/// closed at once, with no audio.
pub async fn check(config: &LiveConfig) -> Result<(), ProviderError> {
    let mut socket = connect(config).await?;
    let _ = socket.send(Message::text(CLOSE_STREAM)).await;
    let _ = socket.close(None).await;
    Ok(())
}

fn binary(samples: impl Iterator<Item = i16>) -> Message {
    Message::binary(samples.flat_map(i16::to_le_bytes).collect::<Vec<u8>>())
}

/// Why a connection ended.
enum End {
    /// The socket broke: reconnect.
    Broken,
    /// The stream is over.
    Done,
}

async fn run(
    config: LiveConfig,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<SttEvent>,
) {
    let mut replay = Replay::new(config.sample_rate, config.replay_seconds);
    let mut closing = false;
    let mut failures = 0u32;
    let mut reconnects = 0u32;
    let mut connected_before = false;
    loop {
        let socket = match connect(&config).await {
            Ok(socket) => socket,
            Err(e) => {
                failures += 1;
                if failures > config.max_reconnects {
                    let _ = events.send(SttEvent::Closed {
                        error: Some(e.to_string()),
                    });
                    return;
                }
                tracing::warn!(error = %e, failures, "deepgram connect failed");
                tokio::time::sleep(config.reconnect_backoff * 2u32.pow(failures.min(6) - 1)).await;
                continue;
            }
        };
        failures = 0;
        let offset = replay.offset_seconds();
        let (mut sink, mut stream) = socket.split();
        let pending: Vec<i16> = replay.pending().collect();
        let mut resend_ok = true;
        for chunk in pending.chunks(REPLAY_CHUNK) {
            if sink.send(binary(chunk.iter().copied())).await.is_err() {
                resend_ok = false;
                break;
            }
        }
        if connected_before {
            reconnects += 1;
            let _ = events.send(SttEvent::Reconnected {
                reconnects,
                replayed_samples: pending.len(),
            });
        }
        connected_before = true;
        if resend_ok && closing && sink.send(Message::text(CLOSE_STREAM)).await.is_err() {
            resend_ok = false;
        }
        let end = if resend_ok {
            let mut keep_alive = tokio::time::interval(config.keep_alive);
            keep_alive.reset();
            drive(
                &mut sink,
                &mut stream,
                &mut commands,
                &events,
                &mut replay,
                &mut keep_alive,
                offset,
                &mut closing,
            )
            .await
        } else {
            End::Broken
        };
        match end {
            End::Done => {
                let _ = events.send(SttEvent::Closed { error: None });
                return;
            }
            End::Broken => {
                tracing::warn!(reconnects, "deepgram socket broke; reconnecting");
                tokio::time::sleep(config.reconnect_backoff).await;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn drive(
    sink: &mut futures_util::stream::SplitSink<Socket, Message>,
    stream: &mut futures_util::stream::SplitStream<Socket>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    events: &mpsc::UnboundedSender<SttEvent>,
    replay: &mut Replay,
    keep_alive: &mut tokio::time::Interval,
    offset: f64,
    closing: &mut bool,
) -> End {
    loop {
        tokio::select! {
            command = commands.recv(), if !*closing => {
                let sent = match command {
                    Some(Command::Audio(samples)) => {
                        replay.push(&samples);
                        keep_alive.reset();
                        sink.send(binary(samples.into_iter())).await
                    }
                    Some(Command::Finalize) => sink.send(Message::text(FINALIZE)).await,
                    Some(Command::Close) | None => {
                        *closing = true;
                        sink.send(Message::text(CLOSE_STREAM)).await
                    }
                };
                if sent.is_err() {
                    return End::Broken;
                }
            }
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => match deepgram::parse(&text, offset) {
                    Ok(event) => {
                        if let Event::Transcript { is_final: true, start, duration, .. } = &event {
                            replay.finalized_until(start + duration);
                        }
                        if let Some(event) = neutral(event) {
                            let _ = events.send(event);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "ignoring a malformed deepgram message"),
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    return if *closing { End::Done } else { End::Broken };
                }
                Some(Ok(_)) => {}
            },
            _ = keep_alive.tick() => {
                if sink.send(Message::text(KEEP_ALIVE)).await.is_err() {
                    return End::Broken;
                }
            }
        }
    }
}
