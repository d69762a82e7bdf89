//! Fake OpenAI `/v1/audio/speech` and Deepgram Aura `/v1/speak`, streaming a
//! 24 kHz s16le tone whose length is proportional to the text.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use tokio::io::AsyncWriteExt;

use super::http::{Server, respond, serve, write_head};

/// Audio per character of input text.
pub const SECONDS_PER_CHAR: f64 = 0.06;
/// Output sample rate of both vendors as configured.
pub const SAMPLE_RATE: u32 = 24_000;

/// Behaviour of the fake.
#[derive(Debug, Clone, Default)]
pub struct SpeechScript {
    pub time_to_first_byte: Duration,
    /// Accept the request and never answer.
    pub hang: bool,
    /// The first N requests hang like `hang`; later ones are answered.
    pub hang_first: usize,
}

/// Starts the fake on a free loopback port; serves both vendors' paths.
pub async fn start(script: SpeechScript) -> Result<Server> {
    let script = Arc::new(script);
    serve(move |request, index, mut socket| {
        let script = script.clone();
        async move {
            let text = if request.target == "/v1/audio/speech" {
                let json = request.json();
                if json["response_format"] != "pcm" {
                    return respond(socket, "400 Bad Request", &[], "{\"error\":\"pcm only\"}")
                        .await;
                }
                json["input"].as_str().unwrap_or_default().to_owned()
            } else if request.target.starts_with("/v1/speak?") {
                if !request.target.contains("encoding=linear16")
                    || !request.target.contains("sample_rate=24000")
                {
                    return respond(
                        socket,
                        "400 Bad Request",
                        &[],
                        "{\"err_msg\":\"bad query\"}",
                    )
                    .await;
                }
                request.json()["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            } else {
                return respond(socket, "404 Not Found", &[], "{}").await;
            };
            if script.hang || index < script.hang_first {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            super::precise_sleep(script.time_to_first_byte).await;
            write_head(
                &mut socket,
                "200 OK",
                &[("Content-Type", "application/octet-stream")],
            )
            .await?;
            let samples = tone(text.chars().count() as f64 * SECONDS_PER_CHAR);
            // Odd-sized writes exercise the client's byte carry-over.
            for piece in samples.chunks(4801) {
                socket.write_all(piece).await?;
            }
            socket.shutdown().await?;
            Ok(())
        }
    })
    .await
}

/// A 220 Hz tone of `seconds` as s16le bytes.
fn tone(seconds: f64) -> Vec<u8> {
    let n = (seconds * f64::from(SAMPLE_RATE)) as usize;
    (0..n)
        .flat_map(|i| {
            let t = i as f64 / f64::from(SAMPLE_RATE);
            let v = (t * 220.0 * std::f64::consts::TAU).sin() * 8000.0;
            (v as i16).to_le_bytes()
        })
        .collect()
}
