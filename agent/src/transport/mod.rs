//! The LiveKit room transport: the agent as a first-class room participant without libwebrtc.
//!
//! [`RoomTransport`] is what the conversation shell talks to. [`LiveKitRoom`] implements it
//! against a real livekit-server (own signal client over `/rtc`, webrtc-rs peer connections,
//! Opus); [`memory::MemoryRoom`] implements it in memory for unit tests.
//!
//! Threading and buffering: everything runs as tokio tasks. One supervisor task per room owns
//! the session (signal socket, both peer connections) and rejoins with backoff when it is lost.
//! One pacer task per room takes a 20 ms frame from the outbound queue every 20 ms, encodes it
//! and writes it to the published track; flushing the queue is a lock and a `clear()`. One task
//! per subscribed track decodes Opus into 20 ms frames and hands them to the room's event
//! channel (bounded; audio is dropped, never blocked, when the consumer lags).

pub mod audio;
mod codec;
mod data;
pub mod error;
mod inbound;
pub mod memory;
mod outbound;
mod peer;
mod room;
mod roster;
mod session;
mod signal;

use std::collections::HashMap;
use std::future::Future;

pub use audio::{AudioFrame, FRAME_DURATION, FRAME_SAMPLES, SAMPLE_RATE};
pub use error::TransportError;
pub use room::{ConnectOptions, LiveKitRoom, ReconnectPolicy, RoomHandle};

/// The participant attribute LiveKit front ends read for the agent's state.
pub const AGENT_STATE_ATTRIBUTE: &str = "lk.agent.state";
/// The text-stream topic of transcriptions.
pub const TRANSCRIPTION_TOPIC: &str = "lk.transcription";

/// What the agent is doing, as front ends expect it in `lk.agent.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    /// Starting up.
    Initializing,
    /// Waiting, nobody speaking.
    Idle,
    /// The candidate is speaking.
    Listening,
    /// Preparing a reply.
    Thinking,
    /// The agent is speaking.
    Speaking,
}

impl AgentState {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initializing => "initializing",
            Self::Idle => "idle",
            Self::Listening => "listening",
            Self::Thinking => "thinking",
            Self::Speaking => "speaking",
        }
    }
}

/// A piece of transcript sent as a text stream on [`TRANSCRIPTION_TOPIC`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcription {
    /// `lk.segment_id`: one id per utterance; interim and final texts share it.
    pub segment_id: String,
    /// `lk.transcribed_track_id`: the track the words were heard on (or the agent's own).
    pub track_sid: String,
    /// The text of the segment so far.
    pub text: String,
    /// `lk.transcription_final`.
    pub is_final: bool,
    /// Send on behalf of this participant (the candidate) instead of the agent itself.
    pub on_behalf_of: Option<String>,
}

/// Something that happened in the room.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RoomEvent {
    /// Joined (or rejoined) the room.
    Connected {
        /// Our participant sid (`PA_…`), new on every join.
        sid: String,
        /// Our identity.
        identity: String,
        /// The room name.
        room: String,
    },
    /// The session was lost; the transport is rejoining. Every participant and track of the
    /// lost session has been reported left / unsubscribed; the new session reports them again.
    Reconnecting {
        /// 1 for the first attempt after a loss.
        attempt: u32,
        /// Why the previous session ended.
        reason: String,
    },
    /// A remote participant is in the room.
    ParticipantJoined {
        /// Identity.
        identity: String,
        /// Attributes at join.
        attributes: HashMap<String, String>,
    },
    /// A remote participant left.
    ParticipantLeft {
        /// Identity.
        identity: String,
    },
    /// A participant's attributes changed (ours included).
    AttributesChanged {
        /// Identity.
        identity: String,
        /// All attributes now.
        attributes: HashMap<String, String>,
    },
    /// We now receive this audio track.
    TrackSubscribed {
        /// Publisher identity.
        identity: String,
        /// Track sid.
        track_sid: String,
    },
    /// The track is gone (unpublished, participant left, session lost).
    TrackUnsubscribed {
        /// Publisher identity.
        identity: String,
        /// Track sid.
        track_sid: String,
    },
    /// Someone subscribed to our published track: from now on the agent is heard.
    LocalTrackSubscribed {
        /// Our track's sid.
        track_sid: String,
    },
    /// The publisher muted or unmuted a track.
    TrackMuted {
        /// Publisher identity.
        identity: String,
        /// Track sid.
        track_sid: String,
        /// Muted now.
        muted: bool,
    },
    /// Decoded audio.
    Audio(AudioFrame),
    /// A data packet with a topic.
    Data {
        /// Sender identity, when the server says.
        identity: Option<String>,
        /// Topic ("" when none).
        topic: String,
        /// Payload.
        payload: Vec<u8>,
    },
    /// A complete text stream.
    Text {
        /// Sender identity.
        identity: String,
        /// Topic.
        topic: String,
        /// Stream id.
        stream_id: String,
        /// The whole text.
        text: String,
        /// Header attributes (merged with trailer attributes).
        attributes: HashMap<String, String>,
    },
    /// The room is closed for good (left, removed, or out of reconnect attempts).
    Disconnected {
        /// Why.
        reason: String,
    },
}

/// The room as the conversation shell sees it. Commands are queued and never block; events
/// come from [`RoomTransport::next_event`].
pub trait RoomTransport: Send {
    /// Queues one 20 ms frame ([`FRAME_SAMPLES`] samples, 48 kHz mono) of the agent's voice.
    fn push_audio(&self, frame: &[i16]) -> Result<(), TransportError>;
    /// Drops every queued frame not yet sent (barge-in); returns how many were dropped.
    fn flush_audio(&self) -> usize;
    /// Frames queued and not yet sent.
    fn queued_audio(&self) -> usize;
    /// Sends a reliable data packet with a topic to everyone (or `to` these identities).
    fn send_data(&self, topic: &str, payload: &[u8], to: &[String]) -> Result<(), TransportError>;
    /// Sends a transcription text stream on `lk.transcription`.
    fn send_transcription(&self, transcription: Transcription) -> Result<(), TransportError>;
    /// Sets `lk.agent.state`.
    fn set_agent_state(&self, state: AgentState) -> Result<(), TransportError>;
    /// Waits for the next event; `None` once the room is closed and drained.
    fn next_event(&mut self) -> impl Future<Output = Option<RoomEvent>> + Send;
    /// Leaves the room cleanly and waits until the server was told.
    fn leave(self) -> impl Future<Output = ()> + Send;
}
