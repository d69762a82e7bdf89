//! Typed configuration of a voice session, read once at the edge (clap with `env`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use conversation::Question;
use dsp::pipeline::PipelineConfig;
use providers::config::{LlmKind, ProviderArgs, SttArgs};
use providers::llm::Llm;
use providers::stt::SpeechToText;
use providers::tts::Tts;

use super::listen::{DspMode, SileroPaths};

/// Questions asked when none are configured (scripted runs).
const DEFAULT_QUESTIONS: &[&str] = &[
    "Hello, and welcome. I am your interviewer today. Could you start by telling me a little about yourself?",
    "Thank you. What is a project you are proud of, and what was your part in it?",
    "Tell me about a hard technical problem you solved. How did you approach it?",
];

/// Command-line and environment options of the voice session.
#[derive(Debug, Clone, clap::Args)]
pub struct VoiceArgs {
    #[command(flatten)]
    pub providers: ProviderArgs,
    #[command(flatten)]
    pub stt: SttArgs,
    /// ONNX Runtime library for the Silero VAD (without it the WebRTC gate decides alone).
    #[arg(long, env = "ONNX_RUNTIME_LIB")]
    pub onnx_runtime: Option<PathBuf>,
    /// Silero VAD model file.
    #[arg(long, env = "SILERO_MODEL")]
    pub silero_model: Option<PathBuf>,
    /// The closing line after the last scripted question.
    #[arg(
        long,
        env = "INTERVIEW_CLOSING",
        default_value = "Thank you, that was my last question. Goodbye."
    )]
    pub closing: String,
    /// Never show the candidate coaching nudges (an interview's `interview_config.nudges:
    /// false` turns them off for that interview alone).
    #[arg(long, env = "INTERVIEW_NO_NUDGES")]
    pub no_nudges: bool,
    /// System prompt of the LLM interviewer.
    #[arg(
        long,
        env = "INTERVIEW_SYSTEM_PROMPT",
        default_value = "You are a friendly, professional job interviewer speaking with a candidate by voice. Ask one clear question at a time, keep each reply under three sentences, and never use lists or markdown."
    )]
    pub system_prompt: String,
}

/// Everything one session needs; cheap to clone per job.
#[derive(Clone)]
pub struct VoiceConfig {
    pub engine: conversation::Config,
    pub pipeline: PipelineConfig,
    pub silero: SileroPaths,
    /// How the session waits for the dsp thread ([`DspMode::Lockstep`] in paused-time tests).
    pub dsp: DspMode,
    /// The speech recognizer; streams are opened at the transport's rate (48 kHz).
    pub stt: Arc<dyn SpeechToText>,
    /// The language the candidate speaks (ISO 639-1), for the recognizer.
    pub language: Option<String>,
    /// `None`: the scripted responder asks `questions` and closes with `closing`.
    pub llm: Option<Arc<dyn Llm>>,
    pub questions: Vec<Question>,
    pub closing: String,
    pub system_prompt: String,
    pub tts: Arc<dyn Tts>,
    /// Leave once the closing line has been played.
    pub end_when_done: bool,
    /// Run the coaching nudge policy and send its nudges to the room.
    pub nudges: bool,
    /// The policy's thresholds.
    pub nudge_policy: dsp::nudge::NudgeConfig,
    /// What the interview is for: with one, the conductor runs the interview (the LLM, if
    /// any, words its decisions); without, the scripted questions or the LLM alone.
    pub brief: Option<conversation::conductor::Brief>,
}

impl VoiceConfig {
    /// Builds the providers from parsed options.
    pub fn from_args(args: &VoiceArgs) -> Result<Self, providers::ProviderError> {
        let llm: Option<Arc<dyn Llm>> = match args.providers.llm {
            LlmKind::Scripted => None,
            _ => Some(Arc::from(args.providers.llm()?)),
        };
        let stt = Arc::from(args.stt.stt()?);
        let questions = if args.providers.questions.is_empty() {
            DEFAULT_QUESTIONS.iter().map(|q| (*q).to_owned()).collect()
        } else {
            args.providers.questions.clone()
        };
        let mut engine = conversation::Config::default();
        engine.tts.first_byte_timeout =
            Duration::from_millis(args.providers.first_byte_timeout_ms.saturating_add(1000));
        Ok(Self {
            engine,
            pipeline: PipelineConfig::default(),
            silero: SileroPaths {
                runtime: args.onnx_runtime.clone(),
                model: args.silero_model.clone(),
            },
            dsp: DspMode::Thread,
            stt,
            language: None,
            llm,
            questions: questions
                .into_iter()
                .map(|text| Question {
                    text,
                    expect_thinking: false,
                })
                .collect(),
            closing: args.closing.clone(),
            system_prompt: args.system_prompt.clone(),
            tts: Arc::from(args.providers.tts()?),
            end_when_done: true,
            nudges: !args.no_nudges,
            nudge_policy: dsp::nudge::NudgeConfig::default(),
            brief: None,
        })
    }
}
