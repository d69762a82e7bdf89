//! The transport's error type: everything that can go wrong joining or staying in a room.

/// Errors of the room transport. Nothing the server or a peer sends panics: it ends up here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The URL is not a usable `ws://` or `wss://` LiveKit URL.
    #[error("invalid LiveKit URL: {0}")]
    InvalidUrl(String),
    /// The WebSocket to `/rtc` could not be opened (refused, bad token, HTTP error).
    #[error("signal connection failed: {0}")]
    SignalConnect(String),
    /// The signal connection closed or stopped answering.
    #[error("signal connection lost: {0}")]
    SignalLost(String),
    /// The server sent bytes that are not a valid `SignalResponse`.
    #[error("malformed signal message: {0}")]
    Protocol(String),
    /// The server did not answer in time (join, offer, track publication).
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The server asked us to leave and not come back.
    #[error("the server removed us from the room: {0}")]
    Removed(String),
    /// A WebRTC operation failed.
    #[error("webrtc: {0}")]
    WebRtc(String),
    /// A peer connection failed (ICE or DTLS).
    #[error("peer connection failed: {0}")]
    PeerConnectionFailed(&'static str),
    /// Opus encoding or decoding failed.
    #[error("opus: {0}")]
    Codec(String),
    /// The frame handed to the transport has the wrong length.
    #[error("audio frame must hold {expected} samples, got {got}")]
    FrameSize {
        /// Samples per frame the transport wants.
        expected: usize,
        /// Samples received.
        got: usize,
    },
    /// The room task has stopped (left, removed or out of reconnect attempts).
    #[error("the room is closed")]
    Closed,
}

impl From<webrtc::error::Error> for TransportError {
    fn from(e: webrtc::error::Error) -> Self {
        Self::WebRtc(e.to_string())
    }
}

impl From<opus::Error> for TransportError {
    fn from(e: opus::Error) -> Self {
        Self::Codec(e.to_string())
    }
}
