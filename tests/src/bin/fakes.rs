//! The vendor wire-format fakes as a command, to run the whole stack by hand without vendor
//! accounts: Deepgram's live speech-to-text WebSocket, an OpenAI-compatible transcription
//! server, OpenAI's streaming chat completions, and OpenAI's and Deepgram Aura's
//! text-to-speech (a tone as long as the text), each on a
//! loopback port, with their latency and fault knobs.
//!
//! ```sh
//! cargo run -p tests --bin fakes -- --stt-latency-ms 250 --llm-first-token-ms 300
//! ```
//!
//! It prints the settings to give the agent (`DEEPGRAM_URL=...`, `LLM_BASE_URL=...`,
//! `TTS_BASE_URL=...`, and `STT_TRANSCRIPTIONS_URL=...` for the transcription server), one
//! per line, then serves until interrupted. The speech recognizers do not recognize: they
//! answer each burst of speech with the next `--stt-utterance`.

use std::time::Duration;

use anyhow::Result;
use clap::Parser;
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::fakes::openai_chat::{self, ChatScript};
use tests::fakes::speech::{self, SpeechScript};
use tests::fakes::transcribe::{self, TranscribeScript};

#[derive(Debug, Parser)]
#[command(about = "Vendor wire-format fakes (Deepgram live STT, OpenAI chat, OpenAI/Aura TTS)")]
struct Args {
    /// What the fake recognizer "hears" in each burst of speech, in turn (repeatable; the
    /// list repeats).
    #[arg(
        long = "stt-utterance",
        default_value = "I have worked on distributed systems for five years."
    )]
    stt_utterances: Vec<String>,
    /// Delay added to every recognizer result.
    #[arg(long, default_value_t = 0)]
    stt_latency_ms: u64,
    /// Seconds of silence that end a burst (Deepgram's endpointing).
    #[arg(long, default_value_t = 0.5)]
    stt_endpointing: f64,
    /// Drop the first socket that has received this many seconds of audio.
    #[arg(long)]
    stt_drop_after_s: Option<f64>,
    /// Accept only this many recognizer connections, then answer 503 (down for good).
    #[arg(long)]
    stt_accept: Option<usize>,
    /// The only recognizer key accepted (others get 401); any key when not set.
    #[arg(long)]
    stt_api_key: Option<String>,
    /// Delay before every transcription answer.
    #[arg(long, default_value_t = 0)]
    transcriptions_latency_ms: u64,
    /// The first N transcription requests answer HTTP 500.
    #[arg(long, default_value_t = 0)]
    transcriptions_fail_first: usize,
    /// The chat replies, in turn (repeatable; the last repeats).
    #[arg(
        long = "llm-reply",
        default_value = "Thank you. Could you tell me more about that?"
    )]
    llm_replies: Vec<String>,
    /// Delay before the first token of every chat reply.
    #[arg(long, default_value_t = 0)]
    llm_first_token_ms: u64,
    /// Delay between tokens.
    #[arg(long, default_value_t = 0)]
    llm_token_ms: u64,
    /// The first N chat calls answer HTTP 500.
    #[arg(long, default_value_t = 0)]
    llm_fail_first: usize,
    /// Delay before the first byte of every synthesized answer.
    #[arg(long, default_value_t = 0)]
    tts_first_byte_ms: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let utterances: Vec<String> = args
        .stt_utterances
        .iter()
        .cycle()
        .take(args.stt_utterances.len().max(1) * 10_000)
        .cloned()
        .collect();
    let stt = FakeDeepgram::start(DeepgramScript {
        utterances,
        latency: Duration::from_millis(args.stt_latency_ms),
        endpointing: args.stt_endpointing,
        drop_after_audio: args.stt_drop_after_s,
        accept_connections: args.stt_accept,
        api_key: args.stt_api_key.clone(),
        ..Default::default()
    })
    .await?;
    let transcriptions = transcribe::start(TranscribeScript {
        texts: args.stt_utterances.clone(),
        latency: Duration::from_millis(args.transcriptions_latency_ms),
        fail_first: args.transcriptions_fail_first,
        ..Default::default()
    })
    .await?;
    let llm = openai_chat::start(ChatScript {
        replies: args.llm_replies.clone(),
        time_to_first_token: Duration::from_millis(args.llm_first_token_ms),
        per_token_delay: Duration::from_millis(args.llm_token_ms),
        fail_first: args.llm_fail_first,
        ..Default::default()
    })
    .await?;
    let tts = speech::start(SpeechScript {
        time_to_first_byte: Duration::from_millis(args.tts_first_byte_ms),
        hang: false,
        hang_first: 0,
    })
    .await?;
    println!("DEEPGRAM_URL={}", stt.base_url());
    println!("LLM_PROVIDER=open-ai");
    println!("LLM_BASE_URL={}", llm.base_url());
    println!("TTS_BASE_URL={}", tts.base_url());
    // Used when DEEPGRAM_URL is not set, or with STT_PROVIDER=transcriptions.
    println!("STT_TRANSCRIPTIONS_URL={}", transcriptions.base_url());
    println!("# serving; Ctrl-C stops");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
