//! Typed provider choices, parsed once at the edge (clap and serde friendly).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ProviderError;
use crate::llm::{Fallback as LlmFallback, Llm, OpenAiChat, OpenAiChatConfig, Scripted};
use crate::retry::RetryPolicy;
use crate::stt::live::Deepgram;
use crate::stt::sphinx::{Sphinx, SphinxConfig};
use crate::stt::transcribe::{TranscribeConfig, Transcriptions};
use crate::stt::{LiveConfig, SpeechToText};
use crate::tts::{Espeak, Fallback, HttpTts, HttpTtsConfig, HttpTtsFlavor, Tts};

/// Which LLM to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LlmKind {
    /// Ask the configured questions in order (no key needed).
    #[default]
    Scripted,
    /// Any OpenAI-compatible chat completions server.
    OpenAi,
}

/// Which voice to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum TtsKind {
    /// Local espeak-ng (no key needed).
    #[default]
    Espeak,
    /// OpenAI-compatible `/v1/audio/speech`.
    OpenAi,
    /// Deepgram Aura `/v1/speak`.
    Aura,
}

/// Provider settings, for `#[command(flatten)]` in a binary.
#[derive(Debug, Clone, clap::Args)]
pub struct ProviderArgs {
    #[arg(long, env = "LLM_PROVIDER", value_enum, default_value_t)]
    pub llm: LlmKind,
    #[arg(
        long,
        env = "LLM_BASE_URL",
        default_value = "https://api.openai.com/v1"
    )]
    pub llm_base_url: String,
    #[arg(long, env = "LLM_API_KEY", hide_env_values = true)]
    pub llm_api_key: Option<String>,
    #[arg(long, env = "LLM_MODEL", default_value = "gpt-4o-mini")]
    pub llm_model: String,
    /// A second OpenAI-compatible server used when the first cannot answer.
    #[arg(long, env = "LLM_FALLBACK_BASE_URL")]
    pub llm_fallback_base_url: Option<String>,
    #[arg(long, env = "LLM_FALLBACK_API_KEY", hide_env_values = true)]
    pub llm_fallback_api_key: Option<String>,
    /// The fallback's model (default: the same as `LLM_MODEL`).
    #[arg(long, env = "LLM_FALLBACK_MODEL")]
    pub llm_fallback_model: Option<String>,
    /// Questions for the scripted responder, separated by `|`.
    #[arg(long, env = "INTERVIEW_QUESTIONS", value_delimiter = '|')]
    pub questions: Vec<String>,
    #[arg(long, env = "TTS_PROVIDER", value_enum, default_value_t)]
    pub tts: TtsKind,
    #[arg(long, env = "TTS_BASE_URL")]
    pub tts_base_url: Option<String>,
    #[arg(long, env = "TTS_API_KEY", hide_env_values = true)]
    pub tts_api_key: Option<String>,
    #[arg(long, env = "TTS_MODEL")]
    pub tts_model: Option<String>,
    /// First byte/token timeout in milliseconds.
    #[arg(long, env = "PROVIDER_FIRST_BYTE_TIMEOUT_MS", default_value_t = 3000)]
    pub first_byte_timeout_ms: u64,
}

impl ProviderArgs {
    /// Builds the configured LLM.
    pub fn llm(&self) -> Result<Box<dyn Llm>, ProviderError> {
        Ok(match self.llm {
            LlmKind::Scripted => Box::new(Scripted::new(self.questions.clone())),
            LlmKind::OpenAi => {
                let primary = self.openai_chat(
                    &self.llm_base_url,
                    self.llm_api_key.clone(),
                    &self.llm_model,
                )?;
                match &self.llm_fallback_base_url {
                    None => Box::new(primary),
                    Some(url) => Box::new(LlmFallback {
                        primary,
                        fallback: self.openai_chat(
                            url,
                            self.llm_fallback_api_key.clone(),
                            self.llm_fallback_model.as_ref().unwrap_or(&self.llm_model),
                        )?,
                    }),
                }
            }
        })
    }

    fn openai_chat(
        &self,
        base_url: &str,
        api_key: Option<String>,
        model: &str,
    ) -> Result<OpenAiChat, ProviderError> {
        OpenAiChat::new(OpenAiChatConfig {
            base_url: base_url.to_owned(),
            api_key,
            model: model.to_owned(),
            first_token_timeout: Duration::from_millis(self.first_byte_timeout_ms),
            idle_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        })
    }

    /// Builds the configured voice; HTTP voices fall back to espeak-ng.
    pub fn tts(&self) -> Result<Box<dyn Tts>, ProviderError> {
        let flavor = match self.tts {
            TtsKind::Espeak => return Ok(Box::new(Espeak::default())),
            TtsKind::OpenAi => HttpTtsFlavor::OpenAi,
            TtsKind::Aura => HttpTtsFlavor::DeepgramAura,
        };
        let default_base = match flavor {
            HttpTtsFlavor::DeepgramAura => "https://api.deepgram.com/v1",
            _ => "https://api.openai.com/v1",
        };
        let mut config = HttpTtsConfig::new(
            flavor,
            self.tts_base_url
                .clone()
                .unwrap_or_else(|| default_base.into()),
        );
        config.api_key = self.tts_api_key.clone();
        if let Some(model) = &self.tts_model {
            config.model = model.clone();
        }
        config.first_byte_timeout = Duration::from_millis(self.first_byte_timeout_ms);
        Ok(Box::new(Fallback {
            primary: HttpTts::new(config)?,
            fallback: Espeak::default(),
        }))
    }
}

/// Which speech recognizer to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SttKind {
    /// Deepgram when `DEEPGRAM_API_KEY` or `DEEPGRAM_URL` is set, else an OpenAI-compatible
    /// transcription server when `STT_TRANSCRIPTIONS_URL` is set, else the local one.
    #[default]
    Auto,
    /// Deepgram live (`/v1/listen`).
    Deepgram,
    /// An OpenAI-compatible `/v1/audio/transcriptions` server, per speech segment.
    Transcriptions,
    /// The local, offline recognizer (Debian's pocketsphinx, US English).
    Local,
}

/// Speech recognizer settings, for `#[command(flatten)]` in a binary.
#[derive(Debug, Clone, clap::Args)]
pub struct SttArgs {
    #[arg(long = "stt", env = "STT_PROVIDER", value_enum, default_value_t)]
    pub kind: SttKind,
    /// Deepgram live base URL (default `wss://api.deepgram.com`; a local fake's `ws://`).
    #[arg(long, visible_alias = "stt-url", env = "DEEPGRAM_URL")]
    pub deepgram_url: Option<String>,
    /// Deepgram API key.
    #[arg(
        long,
        visible_alias = "stt-api-key",
        env = "DEEPGRAM_API_KEY",
        hide_env_values = true
    )]
    pub deepgram_api_key: Option<String>,
    /// Base URL of an OpenAI-compatible transcription server (`http://host:8000/v1`).
    #[arg(long, env = "STT_TRANSCRIPTIONS_URL")]
    pub transcriptions_url: Option<String>,
    #[arg(long, env = "STT_TRANSCRIPTIONS_API_KEY", hide_env_values = true)]
    pub transcriptions_api_key: Option<String>,
    #[arg(long, env = "STT_TRANSCRIPTIONS_MODEL", default_value = "whisper-1")]
    pub transcriptions_model: String,
    /// Ask the transcription server to stream (`stream=true`): interim results as its text
    /// arrives, for servers that support it.
    #[arg(long, env = "STT_TRANSCRIPTIONS_STREAM")]
    pub transcriptions_stream: bool,
    /// The local recognizer's model directory.
    #[arg(long, env = "POCKETSPHINX_MODEL", default_value = sphinx::DEFAULT_MODEL)]
    pub pocketsphinx_model: std::path::PathBuf,
}

impl SttArgs {
    /// The recognizer `auto` stands for, or the one asked for.
    pub fn resolved(&self) -> SttKind {
        match self.kind {
            SttKind::Auto if self.deepgram_api_key.is_some() || self.deepgram_url.is_some() => {
                SttKind::Deepgram
            }
            SttKind::Auto if self.transcriptions_url.is_some() => SttKind::Transcriptions,
            SttKind::Auto => SttKind::Local,
            kind => kind,
        }
    }

    /// Builds the configured recognizer.
    pub fn stt(&self) -> Result<Box<dyn SpeechToText>, ProviderError> {
        Ok(match self.resolved() {
            SttKind::Deepgram | SttKind::Auto => {
                let mut config = LiveConfig::new(
                    self.deepgram_url
                        .clone()
                        .unwrap_or_else(|| "wss://api.deepgram.com".into()),
                );
                config.api_key = self.deepgram_api_key.clone();
                Box::new(Deepgram { config })
            }
            SttKind::Transcriptions => {
                let url = self.transcriptions_url.clone().ok_or_else(|| {
                    ProviderError::Connect("STT_TRANSCRIPTIONS_URL is not set".into())
                })?;
                let mut config = TranscribeConfig::new(url);
                config.api_key = self.transcriptions_api_key.clone();
                config.model = self.transcriptions_model.clone();
                config.stream = self.transcriptions_stream;
                Box::new(Transcriptions::new(config)?)
            }
            SttKind::Local => Box::new(Sphinx::new(SphinxConfig {
                model: self.pocketsphinx_model.clone(),
                ..SphinxConfig::default()
            })),
        })
    }
}
