//! An in-memory [`RoomTransport`] for unit tests of the conversation shell: the test plays
//! the room, injecting events and inspecting what the agent sent.
//!
//! [`MemoryRoom::new`] leaves the pacing to the test ([`MemoryRoom::play`]);
//! [`MemoryRoom::paced`] sends one queued frame every 20 ms of tokio time, like the real
//! pacer, so a session runs in it unattended (in paused time too) and the test waits on
//! what the agent did ([`MemoryPeer::wait_for`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use super::audio::{FRAME_DURATION, FRAME_SAMPLES};
use super::error::TransportError;
use super::{AgentState, RoomEvent, RoomTransport, Transcription};

/// What the agent did, as recorded by [`MemoryRoom`].
#[derive(Debug, Default, Clone)]
pub struct Sent {
    /// Every frame pushed, not flushed and played, in order (the audio the room heard).
    pub audio: Vec<Box<[i16]>>,
    /// When each frame of `audio` was played (tokio time).
    pub played_at: Vec<tokio::time::Instant>,
    /// Frames dropped by flushes.
    pub flushed: usize,
    /// Data packets: (topic, payload, destinations).
    pub data: Vec<(String, Vec<u8>, Vec<String>)>,
    /// Transcriptions.
    pub transcriptions: Vec<Transcription>,
    /// Agent states in order.
    pub states: Vec<AgentState>,
}

/// What the agent sent, and a version bumped on every change (for waiting on it).
struct Record {
    sent: Mutex<Sent>,
    changed: watch::Sender<u64>,
}

impl Record {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            sent: Mutex::new(Sent::default()),
            changed: watch::Sender::new(0),
        })
    }

    fn update(&self, f: impl FnOnce(&mut Sent)) {
        f(&mut self.sent.lock().unwrap_or_else(|e| e.into_inner()));
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn inspect<R>(&self, f: impl FnOnce(&Sent) -> R) -> R {
        f(&self.sent.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Frames queued by the agent and not played yet.
type Queue = Arc<Mutex<VecDeque<Box<[i16]>>>>;

/// Moves up to `frames` queued frames to the played audio, stamped with the time now.
fn play_from(queue: &Queue, record: &Record, frames: usize) {
    let played: Vec<_> = {
        let mut queue = queue.lock().unwrap_or_else(|e| e.into_inner());
        let n = frames.min(queue.len());
        queue.drain(..n).collect()
    };
    if played.is_empty() {
        return;
    }
    let now = tokio::time::Instant::now();
    record.update(|s| {
        s.played_at.extend(std::iter::repeat_n(now, played.len()));
        s.audio.extend(played);
    });
}

/// The room side of a [`MemoryRoom`], kept by the test.
#[derive(Clone)]
pub struct MemoryPeer {
    events: mpsc::UnboundedSender<RoomEvent>,
    record: Arc<Record>,
}

impl MemoryPeer {
    /// Delivers an event to the agent; false once the room was dropped.
    pub fn inject(&self, event: RoomEvent) -> bool {
        self.events.send(event).is_ok()
    }

    /// A copy of what the agent sent so far.
    pub fn sent(&self) -> Sent {
        self.record.inspect(Sent::clone)
    }

    /// Looks at what the agent sent so far without copying it.
    pub fn inspect<R>(&self, f: impl FnOnce(&Sent) -> R) -> R {
        self.record.inspect(f)
    }

    /// Waits until what the agent sent satisfies `done`; returns its answer. Bound it with
    /// a timeout: it waits forever for something that never happens.
    pub async fn wait_for<R>(&self, mut done: impl FnMut(&Sent) -> Option<R>) -> R {
        let mut changed = self.record.changed.subscribe();
        loop {
            if let Some(answer) = self.record.inspect(&mut done) {
                return answer;
            }
            if changed.changed().await.is_err() {
                // Unreachable while `self` holds the sender; wait like a silent room.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// An in-memory room.
pub struct MemoryRoom {
    events: mpsc::UnboundedReceiver<RoomEvent>,
    record: Arc<Record>,
    /// Frames queued but not yet played (by [`MemoryRoom::play`] or the pacer).
    queue: Queue,
    pacer: Option<tokio::task::JoinHandle<()>>,
}

impl MemoryRoom {
    /// A room and its test-side handle; the test plays queued audio with
    /// [`MemoryRoom::play`].
    pub fn new() -> (Self, MemoryPeer) {
        let (tx, events) = mpsc::unbounded_channel();
        let record = Record::new();
        (
            Self {
                events,
                record: record.clone(),
                queue: Queue::default(),
                pacer: None,
            },
            MemoryPeer { events: tx, record },
        )
    }

    /// A room whose pacer plays one queued frame every 20 ms of tokio time, on the current
    /// runtime, until the room is dropped.
    pub fn paced() -> (Self, MemoryPeer) {
        let (mut room, peer) = Self::new();
        let (queue, record) = (room.queue.clone(), room.record.clone());
        room.pacer = Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(FRAME_DURATION);
            loop {
                tick.tick().await;
                play_from(&queue, &record, 1);
            }
        }));
        (room, peer)
    }

    /// Moves up to `frames` queued frames to the sent audio, as the pacer would in
    /// `frames * 20 ms`.
    pub fn play(&self, frames: usize) {
        play_from(&self.queue, &self.record, frames);
    }

    fn with_sent(&self, f: impl FnOnce(&mut Sent)) {
        self.record.update(f);
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<Box<[i16]>>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for MemoryRoom {
    fn drop(&mut self) {
        if let Some(pacer) = &self.pacer {
            pacer.abort();
        }
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
        self.queue().push_back(frame.into());
        Ok(())
    }

    fn flush_audio(&self) -> usize {
        let n = std::mem::take(&mut *self.queue()).len();
        self.with_sent(|s| s.flushed += n);
        n
    }

    fn queued_audio(&self) -> usize {
        self.queue().len()
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

    #[tokio::test(start_paused = true)]
    async fn the_paced_room_plays_a_frame_every_20_ms_and_wakes_waiters() {
        let (room, peer) = MemoryRoom::paced();
        let start = tokio::time::Instant::now();
        for i in 0..5 {
            room.push_audio(&[i; FRAME_SAMPLES]).expect("full frame");
        }
        let played = peer
            .wait_for(|s| (s.audio.len() == 3).then(|| s.played_at.clone()))
            .await;
        let after: Vec<_> = played.iter().map(|t| *t - start).collect();
        assert_eq!(after, [0, 20, 40].map(std::time::Duration::from_millis));
        assert_eq!(room.queued_audio(), 2);
        assert_eq!(room.flush_audio(), 2);
        peer.wait_for(|s| (s.flushed == 2).then_some(())).await;
        let frames = peer.inspect(|s| s.audio.iter().map(|f| f[0]).collect::<Vec<_>>());
        assert_eq!(frames, [0, 1, 2]);
    }
}
