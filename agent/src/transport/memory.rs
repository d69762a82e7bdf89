//! An in-memory [`RoomTransport`] for unit tests of the conversation shell: the test plays
//! the room, injecting events and inspecting what the agent sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::audio::FRAME_SAMPLES;
use super::error::TransportError;
use super::{AgentState, RoomEvent, RoomTransport, Transcription};

/// What the agent did, as recorded by [`MemoryRoom`].
#[derive(Debug, Default, Clone)]
pub struct Sent {
    /// Every frame pushed and not flushed, in order (the "sent" audio: nothing paces it).
    pub audio: Vec<Box<[i16]>>,
    /// Frames dropped by flushes.
    pub flushed: usize,
    /// Data packets: (topic, payload, destinations).
    pub data: Vec<(String, Vec<u8>, Vec<String>)>,
    /// Transcriptions.
    pub transcriptions: Vec<Transcription>,
    /// Agent states in order.
    pub states: Vec<AgentState>,
}

/// The room side of a [`MemoryRoom`], kept by the test.
#[derive(Clone)]
pub struct MemoryPeer {
    events: mpsc::UnboundedSender<RoomEvent>,
    sent: Arc<Mutex<Sent>>,
}

impl MemoryPeer {
    /// Delivers an event to the agent; false once the room was dropped.
    pub fn inject(&self, event: RoomEvent) -> bool {
        self.events.send(event).is_ok()
    }

    /// A copy of what the agent sent so far.
    pub fn sent(&self) -> Sent {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// An in-memory room.
pub struct MemoryRoom {
    events: mpsc::UnboundedReceiver<RoomEvent>,
    sent: Arc<Mutex<Sent>>,
    /// Frames queued but not yet "played" by [`MemoryRoom::play`].
    queue: Mutex<Vec<Box<[i16]>>>,
}

impl MemoryRoom {
    /// A room and its test-side handle.
    pub fn new() -> (Self, MemoryPeer) {
        let (tx, events) = mpsc::unbounded_channel();
        let sent = Arc::new(Mutex::new(Sent::default()));
        (
            Self {
                events,
                sent: sent.clone(),
                queue: Mutex::new(Vec::new()),
            },
            MemoryPeer { events: tx, sent },
        )
    }

    /// Moves up to `frames` queued frames to the sent audio, as the pacer would in
    /// `frames * 20 ms`.
    pub fn play(&self, frames: usize) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let n = frames.min(queue.len());
        let played: Vec<_> = queue.drain(..n).collect();
        self.with_sent(|s| s.audio.extend(played));
    }

    fn with_sent(&self, f: impl FnOnce(&mut Sent)) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut sent);
    }
}

impl RoomTransport for MemoryRoom {
    fn push_audio(&self, frame: &[i16]) -> Result<(), TransportError> {
        if frame.len() != FRAME_SAMPLES {
            return Err(TransportError::FrameSize {
                expected: FRAME_SAMPLES,
                got: frame.len(),
            });
        }
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(frame.into());
        Ok(())
    }

    fn flush_audio(&self) -> usize {
        let n = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *queue).len()
        };
        self.with_sent(|s| s.flushed += n);
        n
    }

    fn queued_audio(&self) -> usize {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn send_data(&self, topic: &str, payload: &[u8], to: &[String]) -> Result<(), TransportError> {
        self.with_sent(|s| s.data.push((topic.into(), payload.into(), to.into())));
        Ok(())
    }

    fn send_transcription(&self, transcription: Transcription) -> Result<(), TransportError> {
        self.with_sent(|s| s.transcriptions.push(transcription));
        Ok(())
    }

    fn set_agent_state(&self, state: AgentState) -> Result<(), TransportError> {
        self.with_sent(|s| s.states.push(state));
        Ok(())
    }

    async fn next_event(&mut self) -> Option<RoomEvent> {
        self.events.recv().await
    }

    async fn leave(self) {}
}

/// Attributes of a participant as a map (helper for building injected events).
pub fn attributes(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_room_records_and_flushes() {
        let (mut room, peer) = MemoryRoom::new();
        assert!(peer.inject(RoomEvent::ParticipantJoined {
            identity: "cand".into(),
            attributes: attributes(&[]),
        }));
        assert!(matches!(
            room.next_event().await,
            Some(RoomEvent::ParticipantJoined { .. })
        ));
        for _ in 0..3 {
            room.push_audio(&[7; FRAME_SAMPLES]).expect("full frame");
        }
        room.play(1);
        assert_eq!(room.flush_audio(), 2);
        room.set_agent_state(AgentState::Speaking)
            .expect("recorded");
        let sent = peer.sent();
        assert_eq!((sent.audio.len(), sent.flushed), (1, 2));
        assert_eq!(sent.states, [AgentState::Speaking]);
    }
}
