//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong in `dsp`. Garbage audio is never an error: it is sanitized.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A sample rate this crate cannot process.
    #[error("unsupported sample rate: {0} Hz")]
    UnsupportedRate(u32),
    /// A frame whose length this component cannot take.
    #[error("frame of {got} samples where {expected} were expected")]
    FrameLength {
        /// The length this component takes.
        expected: usize,
        /// The length it was given.
        got: usize,
    },
    /// A configuration value out of its valid range.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    /// The resampler could not be built or failed on a chunk.
    #[error("resampler: {0}")]
    Resampler(String),
    /// The ONNX Runtime library could not be loaded.
    #[error("loading ONNX Runtime from {path}: {reason}")]
    Runtime {
        /// The library path that was tried.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// The Silero model could not be loaded or does not have the expected inputs.
    #[error("Silero model {path}: {reason}")]
    Model {
        /// The model path that was tried.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// Silero inference failed on a window.
    #[error("Silero inference: {0}")]
    Inference(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
