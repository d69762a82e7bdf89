//! The local espeak-ng voice: no key, no network.

use std::time::Instant;

use futures_util::future::BoxFuture;
use tokio::process::Command;

use super::{PcmChunk, PcmStream, Tts};
use crate::ProviderError;

/// Spawns `espeak-ng --stdout` and emits its WAV as 20 ms PCM chunks.
#[derive(Debug, Clone)]
pub struct Espeak {
    /// Executable, `espeak-ng` by default.
    pub program: String,
    /// Voice name, for example `en-us`.
    pub voice: String,
    /// Words per minute.
    pub speed: u32,
}

impl Default for Espeak {
    fn default() -> Self {
        Self {
            program: "espeak-ng".into(),
            voice: "en-us".into(),
            speed: 170,
        }
    }
}

impl Tts for Espeak {
    fn synthesize(&self, text: &str) -> BoxFuture<'_, Result<PcmStream, ProviderError>> {
        let text = text.to_owned();
        Box::pin(async move {
            let started = Instant::now();
            let output = Command::new(&self.program)
                .arg("--stdout")
                .arg("-v")
                .arg(&self.voice)
                .arg("-s")
                .arg(self.speed.to_string())
                .arg("--")
                .arg(&text)
                .kill_on_drop(true)
                .output()
                .await
                .map_err(|e| ProviderError::Local(e.to_string()))?;
            if !output.status.success() {
                return Err(ProviderError::Local(format!(
                    "espeak-ng exited with {}",
                    output.status
                )));
            }
            let (sample_rate, samples) = parse_wav(&output.stdout)?;
            let since_request = started.elapsed();
            let per_chunk = (sample_rate as usize / 50).max(1);
            let chunks: Vec<Result<PcmChunk, ProviderError>> = samples
                .chunks(per_chunk)
                .map(|c| {
                    Ok(PcmChunk {
                        sample_rate,
                        samples: c.to_vec(),
                        since_request,
                    })
                })
                .collect();
            Ok(Box::pin(futures_util::stream::iter(chunks)) as PcmStream)
        })
    }

    /// espeak-ng has a voice per language: `es`, `de`, `fr`, ... (`en` keeps `en-us`).
    fn for_language(&self, language: &str) -> Option<std::sync::Arc<dyn Tts>> {
        let code = language.get(..2)?.to_ascii_lowercase();
        if !code.chars().all(|c| c.is_ascii_lowercase()) {
            return None;
        }
        let voice = if code == "en" {
            "en-us".to_owned()
        } else {
            code
        };
        Some(std::sync::Arc::new(Self {
            voice,
            ..self.clone()
        }))
    }
}

/// Parses a mono s16le RIFF WAV. espeak-ng writes a streaming header whose
/// data size may be wrong, so the data chunk runs to the end of the input.
pub fn parse_wav(bytes: &[u8]) -> Result<(u32, Vec<i16>), ProviderError> {
    let bad = |m: &str| ProviderError::Protocol(format!("WAV: {m}"));
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(bad("not RIFF/WAVE"));
    }
    let mut pos = 12;
    let mut rate = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            let fmt = bytes.get(body..body + 16).ok_or_else(|| bad("short fmt"))?;
            let channels = u16::from_le_bytes([fmt[2], fmt[3]]);
            let sample_rate = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
            let bits = u16::from_le_bytes([fmt[14], fmt[15]]);
            if channels != 1 || bits != 16 || sample_rate == 0 {
                return Err(bad("expected mono 16-bit"));
            }
            rate = Some(sample_rate);
        } else if id == b"data" {
            let rate = rate.ok_or_else(|| bad("data before fmt"))?;
            let data = &bytes[body..];
            let samples = data
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
            return Ok((rate, samples));
        }
        pos = body.saturating_add(size).saturating_add(size % 2);
    }
    Err(bad("no data chunk"))
}
