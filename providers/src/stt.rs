//! Speech to text: Deepgram live wire messages, the reconnect audio ring and
//! the WebSocket driver that uses both.

pub mod deepgram;
pub mod live;
pub mod replay;

pub use live::{LiveConfig, LiveStt, SttEvent};
