//! The one error enum of the provider boundary.

use std::time::Duration;

/// Everything that can go wrong talking to a vendor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The connection could not be made or broke.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The vendor answered with an unexpected HTTP status.
    #[error("HTTP status {status}")]
    Status { status: u16 },
    /// The vendor asked us to slow down.
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// No first byte or token arrived in time.
    #[error("timed out waiting for the first byte after {0:?}")]
    FirstByteTimeout(Duration),
    /// The stream went silent for too long.
    #[error("stream idle for {0:?}")]
    IdleTimeout(Duration),
    /// The vendor sent something we could not parse.
    #[error("malformed vendor data: {0}")]
    Protocol(String),
    /// A local process (espeak-ng) failed.
    #[error("local synthesis failed: {0}")]
    Local(String),
}

impl ProviderError {
    /// Whether a retry may succeed (429, 5xx, connection errors, timeouts).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(_) | Self::RateLimited { .. } | Self::FirstByteTimeout(_) => true,
            Self::Status { status } => *status >= 500,
            _ => false,
        }
    }

    /// The delay the vendor asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// Maps a non-success HTTP response to an error, reading `Retry-After`.
    pub(crate) fn from_response(response: &reqwest::Response) -> Self {
        let status = response.status().as_u16();
        if status == 429 {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0 && *s < 3600.0)
                .map(Duration::from_secs_f64);
            Self::RateLimited { retry_after }
        } else {
            Self::Status { status }
        }
    }

    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        Self::Connect(e.without_url().to_string())
    }
}
