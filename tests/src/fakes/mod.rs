//! Fake vendor servers that speak the real wire formats over real loopback sockets.
//!
//! - [`deepgram`]: Deepgram live `/v1/listen` over a WebSocket, gated on speech energy.
//! - [`http`]: a tiny HTTP/1.1 server (close-delimited streamed bodies) and what it recorded.
//! - [`openai_chat`]: OpenAI chat completions with SSE chunks and faults.
//! - [`speech`]: OpenAI `/v1/audio/speech` and Deepgram Aura `/v1/speak` streaming PCM.
//! - [`transcribe`]: OpenAI-compatible `/v1/audio/transcriptions` (JSON or SSE).

pub mod deepgram;
pub mod http;
pub mod openai_chat;
pub mod speech;
pub mod transcribe;

/// Waits `delay` to within tens of microseconds. Tokio's timer rounds deadlines up to its
/// next 1 ms tick, which would make a fake vendor up to a millisecond slower than scripted
/// and bill that to the agent in latency benchmarks; the last millisecond is spent yielding.
pub async fn precise_sleep(delay: std::time::Duration) {
    let deadline = std::time::Instant::now() + delay;
    let coarse = delay.saturating_sub(std::time::Duration::from_millis(2));
    if !coarse.is_zero() {
        tokio::time::sleep(coarse).await;
    }
    while std::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}
