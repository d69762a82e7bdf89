//! Vendor clients (STT, LLM, TTS) behind small traits, chosen by configuration.
//!
//! - [`config`]: typed provider choices (clap/serde), building boxed providers.
//! - [`error`]: the one error enum of this crate boundary.
//! - [`retry`]: exponential backoff that honours `Retry-After`.
//! - [`llm`]: OpenAI-compatible streaming chat completions and a scripted responder.
//! - [`stt`]: Deepgram live messages and the reconnect audio ring (sans-IO).
//! - [`tts`]: the local espeak-ng voice, OpenAI-compatible speech, and a fallback wrapper.
//!
//! **Invariant:** nothing a vendor sends can panic this crate; every remote
//! failure becomes a [`ProviderError`].

pub mod config;
pub mod error;
pub mod llm;
pub mod retry;
pub mod stt;
pub mod tts;

pub use error::ProviderError;
