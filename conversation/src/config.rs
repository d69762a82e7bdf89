//! Typed configuration of the engine. Defaults follow the anchors (LiveKit/pipecat) but
//! lean towards patience: pauses after "and" or a filler wait up to the maximum delay.

use std::time::Duration;

/// Everything the engine can be tuned with.
#[derive(Clone, Debug)]
pub struct Config {
    pub endpoint: EndpointConfig,
    pub barge_in: BargeInConfig,
    pub echo: EchoConfig,
    pub tts: TtsConfig,
    pub llm: LlmConfig,
    /// Longest time the agent may sit in "thinking" (or speak without playout progress)
    /// before it gives up on the reply (apology first, then listening again).
    pub watchdog: Duration,
}

/// End-of-turn delays after VAD silence, chosen by how complete the text looks.
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    /// Silence needed after a text that looks complete ("... in Rust.").
    pub min_delay: Duration,
    /// Silence needed when completeness is unknown (no punctuation, no trailing cue).
    pub neutral_delay: Duration,
    /// Silence needed after a trailing "and", "so", "because", a filler, or a comma.
    pub max_delay: Duration,
    /// The same three, used after a question flagged as needing thought.
    pub thinking_min_delay: Duration,
    pub thinking_neutral_delay: Duration,
    pub thinking_max_delay: Duration,
    /// After the delay, how long to wait for the STT final when only interim text exists.
    pub stt_final_grace: Duration,
    /// Quiet after the last voiced frame and the last recognised word that ends a turn
    /// whose settled text looks complete, without waiting for the VAD's own speech end
    /// (its hangover). Needs per-frame speech probabilities.
    pub complete_quiet: Duration,
    /// Start the LLM on a settled, complete-looking text before the turn commits.
    pub speculate: bool,
    /// Time without words after which the recognizer's utterance end counts as the end of
    /// a turn (Deepgram's `utterance_end_ms`, as the agent asks for it).
    pub utterance_end_quiet: Duration,
}

/// When candidate speech during agent playout counts as an interruption.
#[derive(Clone, Debug)]
pub struct BargeInConfig {
    /// Voiced speech needed before speech without (known) words interrupts. The agent is
    /// ducked meanwhile, so this can wait for the recognizer's first words.
    pub min_speech: Duration,
    /// Non-backchannel words that interrupt at once, whatever the duration.
    pub min_words: usize,
    /// Voiced speech after which a single non-backchannel word interrupts.
    pub one_word_speech: Duration,
    /// Backchannel-only speech ("mhmm", "yeah") longer than this interrupts anyway.
    pub backchannel_max_speech: Duration,
    /// After an interruption with no words, resume the agent after this long.
    pub false_interruption_timeout: Duration,
    /// Duck the agent's voice (quieter, nothing lost) while candidate speech is judged.
    pub duck: bool,
}

/// The echo test on the agent's own outbound envelope.
#[derive(Clone, Debug)]
pub struct EchoConfig {
    /// Envelope frame length (one RMS value per step).
    pub step: Duration,
    /// Longest echo path delay considered.
    pub max_delay: Duration,
    /// Envelope correlation at or above which inbound speech is echo.
    pub min_correlation: f32,
    /// Inbound/outbound RMS ratio at or below which inbound speech may be echo.
    pub max_ratio: f32,
    /// Share of STT words found in the agent's recent words that marks the text as echo.
    pub word_match: f32,
}

/// Text pacing towards the TTS.
#[derive(Clone, Debug)]
pub struct TtsConfig {
    /// At most this much audio synthesized but not yet played.
    pub max_ahead: Duration,
    /// Shortest sentence chunk sent to the TTS (except the last one).
    pub min_sentence_chars: usize,
    /// Estimated audio per character, before the TTS reports the real duration.
    pub estimate_per_char: Duration,
    /// A sentence with no TTS audio after this long is sent again (once per reply); after
    /// a second timeout the reply is given up (apology if nothing was heard yet).
    pub first_byte_timeout: Duration,
    /// Playout sample rate of `PlayoutProgress` samples.
    pub sample_rate: u32,
}

/// LLM retries.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    /// Time from request to first token before the attempt counts as failed.
    pub first_token_timeout: Duration,
    /// Time between tokens before the attempt counts as failed.
    pub stall_timeout: Duration,
    /// Attempts before the apology.
    pub max_attempts: u32,
    /// Backoff before retry n is `backoff_base * 2^(n-1)`, capped by `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Spoken when every attempt failed.
    pub apology: String,
}

const fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: EndpointConfig::default(),
            barge_in: BargeInConfig::default(),
            echo: EchoConfig::default(),
            tts: TtsConfig::default(),
            llm: LlmConfig::default(),
            watchdog: ms(20_000),
        }
    }
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            min_delay: ms(500),
            neutral_delay: ms(1000),
            max_delay: ms(3000),
            thinking_min_delay: ms(2000),
            thinking_neutral_delay: ms(2500),
            thinking_max_delay: ms(6000),
            stt_final_grace: ms(1000),
            complete_quiet: ms(600),
            speculate: true,
            utterance_end_quiet: ms(1000),
        }
    }
}

impl Default for BargeInConfig {
    fn default() -> Self {
        BargeInConfig {
            min_speech: ms(700),
            min_words: 2,
            one_word_speech: ms(250),
            backchannel_max_speech: ms(1500),
            false_interruption_timeout: ms(2000),
            duck: true,
        }
    }
}

impl Default for EchoConfig {
    fn default() -> Self {
        EchoConfig {
            step: ms(20),
            max_delay: ms(800),
            min_correlation: 0.6,
            max_ratio: 0.5,
            word_match: 0.8,
        }
    }
}

impl Default for TtsConfig {
    fn default() -> Self {
        TtsConfig {
            max_ahead: ms(5000),
            min_sentence_chars: 20,
            estimate_per_char: ms(65),
            first_byte_timeout: ms(3000),
            sample_rate: 48_000,
        }
    }
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            first_token_timeout: ms(5000),
            stall_timeout: ms(5000),
            max_attempts: 3,
            backoff_base: ms(250),
            backoff_max: ms(4000),
            apology: "Sorry, I'm having technical trouble. Could you say that again?".to_owned(),
        }
    }
}
