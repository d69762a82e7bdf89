//! TTS providers: the local espeak-ng voice (default), OpenAI-compatible
//! `/v1/audio/speech`, Deepgram Aura, and a fallback wrapper.

use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt, future::BoxFuture};

use crate::ProviderError;
use crate::retry::RetryPolicy;

/// Mono signed 16-bit PCM and when it arrived, measured from the request.
#[derive(Debug, Clone, PartialEq)]
pub struct PcmChunk {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
    pub since_request: Duration,
}

/// A stream of audio; dropping it cancels synthesis.
pub type PcmStream = Pin<Box<dyn Stream<Item = Result<PcmChunk, ProviderError>> + Send>>;

/// Anything that turns text into streamed audio.
pub trait Tts: Send + Sync {
    /// Starts synthesis; errors before the first byte are returned here.
    fn synthesize(&self, text: &str) -> BoxFuture<'_, Result<PcmStream, ProviderError>>;

    /// The same voice for another language (ISO 639-1), if this provider picks voices by
    /// language; `None` keeps this one.
    fn for_language(&self, _language: &str) -> Option<std::sync::Arc<dyn Tts>> {
        None
    }
}

mod espeak;
mod http;

pub use espeak::Espeak;
pub use http::{HttpTts, HttpTtsConfig, HttpTtsFlavor};

/// Uses `primary`, and `fallback` when the primary fails before its first byte.
pub struct Fallback<P, F> {
    pub primary: P,
    pub fallback: F,
}

impl<P: Tts, F: Tts> Tts for Fallback<P, F> {
    fn synthesize(&self, text: &str) -> BoxFuture<'_, Result<PcmStream, ProviderError>> {
        let text = text.to_owned();
        Box::pin(async move {
            match self.primary.synthesize(&text).await {
                Ok(stream) => Ok(stream),
                Err(e) => {
                    tracing::warn!(error = %e, "primary TTS failed; using the fallback");
                    self.fallback.synthesize(&text).await
                }
            }
        })
    }
}

/// Turns a byte stream of s16le audio into PCM chunks, keeping an odd byte for the next chunk.
pub(crate) fn pcm_from_bytes<S>(
    bytes: S,
    sample_rate: u32,
    started: Instant,
    idle: Duration,
) -> PcmStream
where
    S: Stream<Item = Result<bytes::Bytes, ProviderError>> + Send + 'static,
{
    let state = (Box::pin(bytes), None::<u8>, false);
    Box::pin(futures_util::stream::unfold(
        state,
        move |(mut bytes, mut carry, done)| async move {
            if done {
                return None;
            }
            loop {
                let chunk = match tokio::time::timeout(idle, bytes.next()).await {
                    Err(_) => {
                        return Some((Err(ProviderError::IdleTimeout(idle)), (bytes, carry, true)));
                    }
                    Ok(None) => return None,
                    Ok(Some(Err(e))) => return Some((Err(e), (bytes, carry, true))),
                    Ok(Some(Ok(c))) => c,
                };
                let mut data: Vec<u8> = Vec::with_capacity(chunk.len() + 1);
                data.extend(carry.take());
                data.extend_from_slice(&chunk);
                if data.len() % 2 == 1 {
                    carry = data.pop();
                }
                if data.is_empty() {
                    continue;
                }
                let samples = data
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                let pcm = PcmChunk {
                    sample_rate,
                    samples,
                    since_request: started.elapsed(),
                };
                return Some((Ok(pcm), (bytes, carry, false)));
            }
        },
    ))
}

/// Shared retry settings for HTTP voices.
pub(crate) fn default_retry() -> RetryPolicy {
    RetryPolicy::default()
}

impl<T: Tts + ?Sized> Tts for Box<T> {
    fn synthesize(&self, text: &str) -> BoxFuture<'_, Result<PcmStream, ProviderError>> {
        (**self).synthesize(text)
    }
}
