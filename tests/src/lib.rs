//! Cross-process test harness shared by every crate's tests.
//!
//! - [`fakes`]: Deepgram, OpenAI and TTS fakes speaking the vendors' wire formats.
//! - [`logs`]: log lines captured in memory, for tests of what gets logged.
//! - [`livekit`]: a real livekit-server on free loopback ports.
//! - [`postgres`]: a throwaway database in the machine's PostgreSQL cluster.
//! - [`pyclient`]: the official Python LiveKit SDK driven as a subprocess.
//! - [`speech`]: speech generated at test time with espeak-ng and sox.
//! - [`signal`]: measurements on audio (RMS envelopes, correlation, gaps).

pub mod fakes;
pub mod livekit;
pub mod logs;
pub mod paths;
pub mod postgres;
pub mod pyclient;
pub mod signal;
pub mod speech;
