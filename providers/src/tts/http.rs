//! HTTP voices with streamed PCM bodies: OpenAI-compatible speech and Deepgram Aura.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, future::BoxFuture};

use super::{PcmStream, Tts, default_retry, pcm_from_bytes};
use crate::ProviderError;
use crate::retry::RetryPolicy;

/// Which vendor wire format to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpTtsFlavor {
    /// `POST {base}/audio/speech` with `response_format: "pcm"` (24 kHz s16le mono).
    OpenAi,
    /// `POST {base}/speak?model=...&encoding=linear16&sample_rate=24000`.
    DeepgramAura,
}

/// Settings of an HTTP voice.
#[derive(Debug, Clone)]
pub struct HttpTtsConfig {
    pub flavor: HttpTtsFlavor,
    /// For example `https://api.openai.com/v1` or `https://api.deepgram.com/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    /// Model (`tts-1`, `aura-2-thalia-en`).
    pub model: String,
    /// Voice for OpenAI (`alloy`); unused by Aura.
    pub voice: String,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    pub retry: RetryPolicy,
}

impl HttpTtsConfig {
    /// Defaults for a flavor pointing at `base_url`.
    pub fn new(flavor: HttpTtsFlavor, base_url: impl Into<String>) -> Self {
        let model = match flavor {
            HttpTtsFlavor::OpenAi => "tts-1",
            HttpTtsFlavor::DeepgramAura => "aura-2-thalia-en",
        };
        Self {
            flavor,
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            voice: "alloy".into(),
            first_byte_timeout: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(5),
            retry: default_retry(),
        }
    }
}

/// A streamed-body HTTP voice at 24 kHz.
pub struct HttpTts {
    config: HttpTtsConfig,
    http: reqwest::Client,
}

const SAMPLE_RATE: u32 = 24_000;

impl HttpTts {
    pub fn new(config: HttpTtsConfig) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(ProviderError::from_reqwest)?;
        Ok(Self { config, http })
    }

    async fn open(&self, text: &str) -> Result<reqwest::Response, ProviderError> {
        let base = self.config.base_url.trim_end_matches('/');
        let request = match self.config.flavor {
            HttpTtsFlavor::OpenAi => {
                let request =
                    self.http
                        .post(format!("{base}/audio/speech"))
                        .json(&serde_json::json!({
                            "model": self.config.model,
                            "voice": self.config.voice,
                            "input": text,
                            "response_format": "pcm",
                        }));
                match &self.config.api_key {
                    Some(key) => request.bearer_auth(key),
                    None => request,
                }
            }
            HttpTtsFlavor::DeepgramAura => {
                let url = format!(
                    "{base}/speak?model={}&encoding=linear16&sample_rate={SAMPLE_RATE}",
                    self.config.model
                );
                let request = self
                    .http
                    .post(url)
                    .json(&serde_json::json!({ "text": text }));
                match &self.config.api_key {
                    Some(key) => request.header("Authorization", format!("Token {key}")),
                    None => request,
                }
            }
        };
        let timeout = self.config.first_byte_timeout;
        let response = tokio::time::timeout(timeout, request.send())
            .await
            .map_err(|_| ProviderError::FirstByteTimeout(timeout))?
            .map_err(ProviderError::from_reqwest)?;
        if !response.status().is_success() {
            return Err(ProviderError::from_response(&response));
        }
        Ok(response)
    }
}

impl Tts for HttpTts {
    fn synthesize(&self, text: &str) -> BoxFuture<'_, Result<PcmStream, ProviderError>> {
        let text = text.to_owned();
        Box::pin(async move {
            let started = Instant::now();
            let response = self.config.retry.run(|| self.open(&text)).await?;
            let bytes = response
                .bytes_stream()
                .map(|r| r.map_err(ProviderError::from_reqwest));
            let mut pcm = pcm_from_bytes(bytes, SAMPLE_RATE, started, self.config.idle_timeout);
            // The first chunk must arrive within the first-byte timeout, so a
            // hanging body is an error here, where a fallback can still act.
            let timeout = self.config.first_byte_timeout;
            let first = tokio::time::timeout(timeout, pcm.next())
                .await
                .map_err(|_| ProviderError::FirstByteTimeout(timeout))?;
            match first {
                None => Ok(Box::pin(futures_util::stream::empty()) as PcmStream),
                Some(Err(e)) => Err(e),
                Some(Ok(chunk)) => Ok(Box::pin(
                    futures_util::stream::once(async { Ok(chunk) }).chain(pcm),
                ) as PcmStream),
            }
        })
    }
}
