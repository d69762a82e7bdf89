//! Playout of the agent's voice: synthesized audio waits here in 20 ms frames, the
//! transport's outbound queue is kept only a little ahead, and the frames the pacer has
//! sent are mapped back to (speech, samples) progress for the engine.
//!
//! While the engine judges whether candidate speech is an interruption, playout is
//! *ducked*: the frames the pacer has not sent yet come back from the transport and go out
//! again at [`DUCK_GAIN`] (the first one ramps down, so there is no click). The candidate
//! hears the agent yield at once, and a backchannel or a noise leaves no hole in its
//! speech: when the duck ends, the frames not yet sent come back again and go out at full
//! level. Nothing is lost and nothing is repeated; an interruption flushes.
//!
//! **Invariant:** frames sent = pushed - dropped by flushes - still queued; the frames in
//! flight are the last `pushed - dropped - popped` ones pushed, oldest first.

use std::collections::VecDeque;

use conversation::SpeechId;

use crate::transport::{FRAME_SAMPLES, RoomTransport, TransportError};

/// Frames kept in the transport's queue ahead of the pacer (200 ms): enough to ride out a
/// late wake-up of the shell, short enough that ducking and cancelling act quickly.
pub(crate) const AHEAD_FRAMES: usize = 10;

/// Level of the agent's voice while ducked: -18 dB, clearly yielding but never a gap.
pub(crate) const DUCK_GAIN: f32 = 0.125;

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
    /// The frame as synthesized (before any duck), kept so a change of level can take it
    /// back from the transport and send it again.
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
pub(crate) struct Playout {
    local: VecDeque<Frame>,
    in_flight: VecDeque<InFlight>,
    partial: Vec<i16>,
    partial_speech: Option<(SpeechId, u64)>,
    pushed: u64,
    dropped: u64,
    popped: u64,
    ducked: bool,
    /// Gain of the last frame pushed (ramps start from it).
    gain: f32,
    /// The speech of the last frame the pacer sent.
    last_sent: Option<SpeechId>,
}

impl Default for Playout {
    fn default() -> Self {
        Self {
            local: VecDeque::new(),
            in_flight: VecDeque::new(),
            partial: Vec::new(),
            partial_speech: None,
            pushed: 0,
            dropped: 0,
            popped: 0,
            ducked: false,
            gain: 1.0,
            last_sent: None,
        }
    }
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
        while room.queued_audio() < AHEAD_FRAMES {
            let Some(frame) = self.local.pop_front() else {
                break;
            };
            let target = if self.ducked { DUCK_GAIN } else { 1.0 };
            let sent = if self.gain == 1.0 && target == 1.0 {
                None
            } else {
                Some(ramped(&frame.samples, self.gain, target))
            };
            self.gain = target;
            let out = sent.as_deref().unwrap_or(&frame.samples);
            room.push_audio(out)?;
            self.pushed += 1;
            n += 1;
            self.in_flight.push_back(InFlight {
                speech: frame.speech,
                cumulative: frame.cumulative,
                rms: rms(out),
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
        // The speech pushed last (or, with nothing in flight, sent last) has started.
        let started = self.in_flight.back().map(|f| f.speech).or(self.last_sent);
        self.local.retain(|f| Some(f.speech) == started);
        if self.partial_speech.is_some_and(|(s, _)| Some(s) != started) {
            self.partial.clear();
            self.partial_speech = None;
        }
    }

    /// Ducks the agent's voice: every frame the pacer has not sent yet goes out again at
    /// [`DUCK_GAIN`]. Returns how many frames came back from the transport.
    pub fn duck(&mut self, room: &impl RoomTransport) -> usize {
        self.set_ducked(room, true)
    }

    /// Ends a duck: the frames not sent yet go out again at full level.
    pub fn unduck(&mut self, room: &impl RoomTransport) -> usize {
        self.set_ducked(room, false)
    }

    fn set_ducked(&mut self, room: &impl RoomTransport, ducked: bool) -> usize {
        if self.ducked == ducked {
            return 0;
        }
        self.ducked = ducked;
        let back = room.flush_audio();
        self.dropped += back as u64;
        let keep = self.in_flight.len().saturating_sub(back);
        // The next frame ramps from the level the pacer really sent last.
        self.gain = if ducked { 1.0 } else { DUCK_GAIN };
        for f in self.in_flight.drain(keep..).rev() {
            self.local.push_front(Frame {
                speech: f.speech,
                cumulative: f.cumulative,
                samples: f.samples,
            });
        }
        back
    }

    /// True while audio is waiting or in flight.
    pub fn busy(&self) -> bool {
        !self.local.is_empty() || !self.in_flight.is_empty() || !self.partial.is_empty()
    }
}

/// `samples` scaled by a gain that moves linearly from `from` to `to` across the frame.
fn ramped(samples: &[i16], from: f32, to: f32) -> Vec<i16> {
    let n = samples.len().max(1) as f32;
    samples
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let g = from + (to - from) * (i as f32 + 1.0) / n;
            (f32::from(s) * g).round() as i16
        })
        .collect()
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
    fn a_duck_lowers_unsent_frames_at_once_and_an_unduck_restores_them_with_nothing_lost() {
        let (room, peer) = MemoryRoom::new();
        let mut p = Playout::default();
        p.add(1, &vec![8000; FRAME_SAMPLES * 20]);
        p.end_speech();
        p.top_up(&room).expect("push");
        room.play(4);
        let mut sent = Vec::new();
        p.sent(&room, &mut sent);
        assert_eq!(sent.len(), 4);
        assert_eq!(p.duck(&room), AHEAD_FRAMES - 4, "unsent frames come back");
        assert_eq!(p.duck(&room), 0, "a second duck changes nothing");
        p.top_up(&room).expect("push");
        room.play(4);
        p.sent(&room, &mut sent);
        let levels: Vec<f32> = sent.iter().map(|s| s.rms).collect();
        let full = 8000.0 / 32768.0;
        assert!((levels[3] - full).abs() < 1e-3, "{levels:?}");
        assert!(
            levels[4] < full && levels[4] > full * DUCK_GAIN,
            "a ramp: {levels:?}"
        );
        assert!((levels[5] - full * DUCK_GAIN).abs() < 1e-3, "{levels:?}");
        p.add(2, &[9; FRAME_SAMPLES * 3]);
        p.end_speech();
        p.cancel_unstarted();
        p.unduck(&room);
        while p.busy() {
            p.top_up(&room).expect("push");
            room.play(3);
            p.sent(&room, &mut sent);
        }
        let progress: Vec<u64> = sent.iter().map(|s| s.cumulative).collect();
        let expected: Vec<u64> = (1..=20).map(|i| i * FRAME_SAMPLES as u64).collect();
        assert_eq!(progress, expected, "every frame once, in order");
        let last = sent.last().expect("sent").rms;
        assert!((last - full).abs() < 1e-3, "full level again: {last}");
        // What the room heard: 20 frames, none silent.
        let heard = peer.sent().audio;
        assert_eq!(heard.len(), 20, "every frame reached the room once");
        assert!(
            heard.iter().all(|f| rms(f) > full * DUCK_GAIN * 0.9),
            "no hole"
        );
    }
}
