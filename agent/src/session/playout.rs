//! Playout of the agent's voice: synthesized audio waits here in 20 ms frames, the
//! transport's outbound queue is kept only a little ahead, and the frames the pacer has
//! sent are mapped back to (speech, samples) progress for the engine.
//!
//! While the engine judges whether candidate speech is an interruption, playout is *held*:
//! the frames not yet sent come back from the transport and wait here, so the agent falls
//! silent at once and, if it was only a backchannel or a noise, resumes on the very next
//! frame: nothing is lost and nothing is repeated.
//!
//! **Invariant:** frames sent = pushed - dropped by flushes - still queued; the frames in
//! flight are the last `pushed - dropped - popped` ones pushed, oldest first.

use std::collections::VecDeque;

use conversation::SpeechId;

use crate::transport::{FRAME_SAMPLES, RoomTransport, TransportError};

/// Frames kept in the transport's queue ahead of the pacer (200 ms): enough to ride out a
/// late wake-up of the shell, short enough that ducking and cancelling act quickly.
pub(crate) const AHEAD_FRAMES: usize = 10;

struct Frame {
    speech: SpeechId,
    /// Real (unpadded) samples of `speech` up to the end of this frame.
    cumulative: u64,
    samples: Box<[i16]>,
}

struct InFlight {
    speech: SpeechId,
    cumulative: u64,
    rms: f32,
    /// Kept so a hold can take the frame back from the transport.
    samples: Box<[i16]>,
}

/// Progress of one sent frame, for the engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sent {
    pub speech: SpeechId,
    pub cumulative: u64,
    /// RMS (0..1) of the frame as sent.
    pub rms: f32,
}

/// The agent's outgoing audio between the voice task and the transport.
#[derive(Default)]
pub(crate) struct Playout {
    local: VecDeque<Frame>,
    in_flight: VecDeque<InFlight>,
    partial: Vec<i16>,
    partial_speech: Option<(SpeechId, u64)>,
    pushed: u64,
    dropped: u64,
    popped: u64,
    held: bool,
    /// The speech of the last frame the pacer sent.
    last_sent: Option<SpeechId>,
}

impl Playout {
    /// Appends synthesized 48 kHz audio of `speech`.
    pub fn add(&mut self, speech: SpeechId, samples: &[i16]) {
        if self.partial_speech.is_some_and(|(s, _)| s != speech) {
            self.end_speech();
        }
        let (_, total) = self.partial_speech.get_or_insert((speech, 0));
        let mut total_now = *total;
        let mut rest = samples;
        while !rest.is_empty() {
            let take = rest.len().min(FRAME_SAMPLES - self.partial.len());
            self.partial.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            total_now += take as u64;
            if self.partial.len() == FRAME_SAMPLES {
                let frame = std::mem::replace(&mut self.partial, Vec::with_capacity(FRAME_SAMPLES));
                self.local.push_back(Frame {
                    speech,
                    cumulative: total_now,
                    samples: frame.into_boxed_slice(),
                });
            }
        }
        self.partial_speech = Some((speech, total_now));
    }

    /// Ends the audio of the speech being assembled (pads its last frame with silence).
    pub fn end_speech(&mut self) {
        if let Some((speech, total)) = self.partial_speech.take()
            && !self.partial.is_empty()
        {
            let mut frame = std::mem::take(&mut self.partial);
            frame.resize(FRAME_SAMPLES, 0);
            self.local.push_back(Frame {
                speech,
                cumulative: total,
                samples: frame.into_boxed_slice(),
            });
        }
        self.partial.clear();
    }

    /// Moves frames to the transport until it holds [`AHEAD_FRAMES`]; returns how many.
    pub fn top_up(&mut self, room: &impl RoomTransport) -> Result<usize, TransportError> {
        let mut n = 0;
        while !self.held && room.queued_audio() < AHEAD_FRAMES {
            let Some(frame) = self.local.pop_front() else {
                break;
            };
            room.push_audio(&frame.samples)?;
            self.pushed += 1;
            n += 1;
            self.in_flight.push_back(InFlight {
                speech: frame.speech,
                cumulative: frame.cumulative,
                rms: rms(&frame.samples),
                samples: frame.samples,
            });
        }
        Ok(n)
    }

    /// Frames the pacer sent since the last call, oldest first.
    pub fn sent(&mut self, room: &impl RoomTransport, out: &mut Vec<Sent>) {
        let queued = room.queued_audio() as u64;
        let sent_total = self.pushed.saturating_sub(self.dropped + queued);
        while self.popped < sent_total {
            let Some(f) = self.in_flight.pop_front() else {
                break;
            };
            self.popped += 1;
            self.last_sent = Some(f.speech);
            out.push(Sent {
                speech: f.speech,
                cumulative: f.cumulative,
                rms: f.rms,
            });
        }
    }

    /// Barge-in: drops every frame not yet sent, here and in the transport.
    pub fn flush(&mut self, room: &impl RoomTransport) -> usize {
        let dropped = room.flush_audio();
        self.dropped += dropped as u64;
        let keep = self.in_flight.len().saturating_sub(dropped);
        self.in_flight.truncate(keep);
        let local = self.local.len();
        self.local.clear();
        self.partial.clear();
        self.partial_speech = None;
        dropped + local
    }

    /// Drops audio of speeches whose playout has not started (cancelled synthesis).
    pub fn cancel_unstarted(&mut self) {
        // While held, nothing is in flight: the speech heard last is the one started.
        let started = self.in_flight.back().map(|f| f.speech).or(self.last_sent);
        self.local.retain(|f| Some(f.speech) == started);
        if self.partial_speech.is_some_and(|(s, _)| Some(s) != started) {
            self.partial.clear();
            self.partial_speech = None;
        }
    }

    /// Holds playout: takes back every frame the pacer has not sent yet and sends nothing
    /// until [`Self::release`]. Returns how many frames came back.
    pub fn hold(&mut self, room: &impl RoomTransport) -> usize {
        self.held = true;
        let back = room.flush_audio();
        self.dropped += back as u64;
        let keep = self.in_flight.len().saturating_sub(back);
        for f in self.in_flight.drain(keep..).rev() {
            self.local.push_front(Frame {
                speech: f.speech,
                cumulative: f.cumulative,
                samples: f.samples,
            });
        }
        back
    }

    /// Ends a hold: playout goes on from the first frame not sent.
    pub fn release(&mut self) {
        self.held = false;
    }

    /// True while audio is waiting or in flight.
    pub fn busy(&self) -> bool {
        !self.local.is_empty() || !self.in_flight.is_empty() || !self.partial.is_empty()
    }
}

/// RMS of a frame, 0..1 of full scale.
pub(crate) fn rms(samples: &[i16]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    ((energy / samples.len() as f64).sqrt() / 32768.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::memory::MemoryRoom;

    #[test]
    fn progress_follows_the_pacer_and_flushes() {
        let (room, _peer) = MemoryRoom::new();
        let mut p = Playout::default();
        p.add(1, &vec![100; FRAME_SAMPLES * 3 / 2]);
        p.add(2, &vec![100; FRAME_SAMPLES * 30]);
        p.end_speech();
        assert_eq!(p.top_up(&room).expect("push"), AHEAD_FRAMES);
        room.play(3);
        let mut sent = Vec::new();
        p.sent(&room, &mut sent);
        let progress: Vec<_> = sent.iter().map(|s| (s.speech, s.cumulative)).collect();
        assert_eq!(progress, [(1, 960), (1, 1440), (2, 960)]);
        assert_eq!(p.top_up(&room).expect("push"), 3);
        assert_eq!(p.flush(&room), AHEAD_FRAMES + 32 - 13);
        sent.clear();
        p.sent(&room, &mut sent);
        assert!(sent.is_empty());
        assert!(!p.busy());
        p.add(3, &[5; 10]);
        p.end_speech();
        p.top_up(&room).expect("push");
        room.play(1);
        p.sent(&room, &mut sent);
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].speech, sent[0].cumulative), (3, 10));
    }

    #[test]
    fn a_hold_takes_unsent_frames_back_and_a_release_resumes_where_it_stopped() {
        let (room, _peer) = MemoryRoom::new();
        let mut p = Playout::default();
        let samples: Vec<i16> = (0..FRAME_SAMPLES as i16 * 20).collect();
        p.add(1, &samples);
        p.end_speech();
        p.top_up(&room).expect("push");
        room.play(4);
        let mut sent = Vec::new();
        p.sent(&room, &mut sent);
        assert_eq!(sent.len(), 4);
        assert_eq!(p.hold(&room), AHEAD_FRAMES - 4);
        assert_eq!(room.queued_audio(), 0);
        assert_eq!(p.top_up(&room).expect("held"), 0);
        p.add(2, &[9; FRAME_SAMPLES * 3]);
        p.end_speech();
        p.cancel_unstarted();
        assert_eq!(
            p.local.len(),
            16,
            "the held speech stays, the unstarted one goes"
        );
        sent.clear();
        p.sent(&room, &mut sent);
        assert!(sent.is_empty(), "nothing is sent while held");
        p.release();
        while p.busy() {
            p.top_up(&room).expect("push");
            room.play(3);
            p.sent(&room, &mut sent);
        }
        let progress: Vec<u64> = sent.iter().map(|s| s.cumulative).collect();
        let expected: Vec<u64> = (5..=20).map(|i| i * FRAME_SAMPLES as u64).collect();
        assert_eq!(progress, expected, "every frame once, in order");
        assert!(!p.busy());
    }
}
