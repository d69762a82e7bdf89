//! The voice session's configuration against the vendor fakes, one for every benchmark:
//! Deepgram's live STT, OpenAI's chat in LLM mode and OpenAI's speech, each at its fake's URL,
//! with the engine's default settings.

use std::sync::Arc;
use std::time::Duration;

use agent::session::{DspMode, SileroPaths, VoiceConfig};
use anyhow::Result;
use providers::llm::{OpenAiChat, OpenAiChatConfig};
use providers::retry::RetryPolicy;
use providers::stt::LiveConfig;
use providers::tts::{HttpTts, HttpTtsConfig, HttpTtsFlavor};

/// Silero's runtime and model where `scripts/setup.sh` installs them; without them (said on
/// stderr) the WebRTC gate decides alone.
pub fn installed_silero() -> SileroPaths {
    let (runtime, model) = (
        tests::paths::onnxruntime_lib(),
        tests::paths::silero_model(),
    );
    if runtime.exists() && model.exists() {
        SileroPaths {
            runtime: Some(runtime),
            model: Some(model),
        }
    } else {
        eprintln!("Silero is not installed (run scripts/setup.sh): the WebRTC gate decides alone");
        SileroPaths::default()
    }
}

/// The session's configuration against the fakes at `stt`, `llm` and `tts`.
pub fn voice_config(stt: &str, llm: &str, tts: &str, silero: SileroPaths) -> Result<VoiceConfig> {
    let live = Arc::new(providers::stt::live::Deepgram {
        config: LiveConfig::new(stt),
    });
    let mut tts_config = HttpTtsConfig::new(HttpTtsFlavor::OpenAi, tts);
    tts_config.api_key = Some("sk-bench".into());
    Ok(VoiceConfig {
        engine: conversation::Config::default(),
        pipeline: dsp::pipeline::PipelineConfig::default(),
        silero,
        dsp: DspMode::Thread,
        stt: live,
        language: None,
        llm: Some(Arc::new(OpenAiChat::new(OpenAiChatConfig {
            base_url: llm.to_owned(),
            api_key: Some("sk-bench".into()),
            model: "fake".into(),
            first_token_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        })?)),
        questions: Vec::new(),
        closing: String::new(),
        system_prompt: "You are an interviewer.".into(),
        tts: Arc::new(HttpTts::new(tts_config)?),
        end_when_done: false,
        nudges: true,
        nudge_policy: dsp::nudge::NudgeConfig::default(),
        brief: None,
    })
}
