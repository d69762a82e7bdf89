//! Remote audio: one task per subscribed track turns RTP/Opus into 20 ms PCM frames.
//!
//! Gaps in the RTP timestamps (the sender's DTX, or loss) are filled so that the frames form
//! a continuous timeline: packet loss concealment for short losses, silence otherwise.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::RoomEvent;
use super::audio::{AudioFrame, FRAME_SAMPLES, SAMPLE_RATE};
use super::codec::OpusDecoder;
use super::error::TransportError;

/// Losses up to this many samples are concealed by the decoder; longer gaps become silence.
const CONCEAL_MAX: u32 = 3 * FRAME_SAMPLES as u32;
/// A timestamp jump beyond this (10 s) is a new timeline, not a gap to fill.
const GAP_MAX: u32 = 10 * SAMPLE_RATE;

/// Starts decoding `track`; frames and the end of the track go to `events`.
pub(crate) fn spawn_track_reader(
    track: Arc<dyn TrackRemote>,
    identity: Arc<str>,
    track_sid: Arc<str>,
    events: mpsc::Sender<RoomEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut timeline = match Timeline::new() {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "cannot create an Opus decoder");
                return;
            }
        };
        let mut dropped = 0u64;
        while let Some(event) = track.poll().await {
            let TrackRemoteEvent::OnRtpPacket(packet) = event else {
                if matches!(event, TrackRemoteEvent::OnEnded) {
                    break;
                }
                continue;
            };
            let now = Instant::now();
            timeline.push(
                packet.header.sequence_number,
                packet.header.timestamp,
                &packet.payload,
                |media_time, samples| {
                    let frame = AudioFrame {
                        identity: identity.clone(),
                        track_sid: track_sid.clone(),
                        media_time,
                        received_at: now,
                        samples: samples.into(),
                    };
                    if events.try_send(RoomEvent::Audio(frame)).is_err() {
                        dropped += 1;
                    }
                },
            );
            if events.is_closed() {
                break;
            }
        }
        if dropped > 0 {
            tracing::warn!(dropped, track = %track_sid, "audio frames dropped: the consumer lagged");
        }
    })
}

impl Drop for Timeline {
    fn drop(&mut self) {
        let s = &self.stats;
        tracing::info!(
            packets = s.packets,
            late = s.late,
            concealed = s.concealed,
            silence_ms = s.silence_samples / 48,
            gap_in_speech_ms = s.gap_in_speech_samples / 48,
            decode_errors = s.decode_errors,
            "remote track receive stats"
        );
    }
}

/// Counters of one track's receive path.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TimelineStats {
    /// Packets received.
    pub packets: u64,
    /// Packets dropped as duplicate or arriving after a later one.
    pub late: u64,
    /// Frames synthesized by packet loss concealment.
    pub concealed: u64,
    /// Samples of silence inserted for timestamp gaps (DTX, long losses).
    pub silence_samples: u64,
    /// Packets libopus rejected.
    pub decode_errors: u64,
    /// Samples of silence inserted right after a loud packet: the sender's timeline jumped
    /// in the middle of speech (a starved sender, not loss on our side).
    pub gap_in_speech_samples: u64,
}

/// Mean square (of i16 samples) above which a packet counts as speech (about -40 dBFS).
const SPEECH_MEAN_SQUARE: f64 = 107_000.0;

/// Turns a sequence of RTP packets into a gap-free run of 20 ms frames.
pub(crate) struct Timeline {
    decoder: OpusDecoder,
    pending: Vec<i16>,
    last_seq: Option<u16>,
    next_ts: Option<u32>,
    emitted: u64,
    last_was_loud: bool,
    pub(crate) stats: TimelineStats,
}

impl Timeline {
    pub(crate) fn new() -> Result<Self, TransportError> {
        Ok(Self {
            decoder: OpusDecoder::new()?,
            pending: Vec::with_capacity(8 * FRAME_SAMPLES),
            last_seq: None,
            next_ts: None,
            emitted: 0,
            last_was_loud: false,
            stats: TimelineStats::default(),
        })
    }

    /// Adds one packet; calls `emit(media_time, frame)` for every complete frame.
    pub(crate) fn push(
        &mut self,
        seq: u16,
        ts: u32,
        payload: &[u8],
        mut emit: impl FnMut(Duration, &[i16]),
    ) {
        self.stats.packets += 1;
        let seq_gap = match self.last_seq {
            Some(last) => {
                let d = seq.wrapping_sub(last);
                if d == 0 || d > u16::MAX / 2 {
                    self.stats.late += 1;
                    return; // duplicate or late: already played past it
                }
                d
            }
            None => 1,
        };
        self.last_seq = Some(seq);
        if let Some(next) = self.next_ts {
            let gap = ts.wrapping_sub(next);
            if gap > 0 && gap <= GAP_MAX {
                if seq_gap > 1 && gap <= CONCEAL_MAX {
                    for _ in 0..gap / FRAME_SAMPLES as u32 {
                        if let Ok(pcm) = self.decoder.conceal() {
                            self.pending.extend_from_slice(pcm);
                            self.stats.concealed += 1;
                        }
                    }
                } else {
                    self.pending.resize(self.pending.len() + gap as usize, 0);
                    self.stats.silence_samples += u64::from(gap);
                    if self.last_was_loud {
                        self.stats.gap_in_speech_samples += u64::from(gap);
                    }
                }
            }
        }
        if payload.is_empty() {
            return;
        }
        match self.decoder.decode(payload) {
            Ok(pcm) => {
                let energy: f64 = pcm.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
                self.last_was_loud = energy / pcm.len().max(1) as f64 > SPEECH_MEAN_SQUARE;
                self.pending.extend_from_slice(pcm);
                self.next_ts = Some(ts.wrapping_add(pcm.len() as u32));
            }
            Err(_) => self.stats.decode_errors += 1,
        }
        let mut start = 0;
        while self.pending.len() - start >= FRAME_SAMPLES {
            let media_time =
                Duration::from_micros(self.emitted * 1_000_000 / u64::from(SAMPLE_RATE));
            emit(media_time, &self.pending[start..start + FRAME_SAMPLES]);
            self.emitted += FRAME_SAMPLES as u64;
            start += FRAME_SAMPLES;
        }
        self.pending.drain(..start);
    }
}

#[cfg(test)]
mod tests {
    use super::super::codec::OpusEncoder;
    use super::*;

    fn packets(n: usize) -> Vec<Vec<u8>> {
        let mut enc = OpusEncoder::new().expect("encoder");
        (0..n)
            .map(|i| {
                let frame: Vec<i16> = (0..FRAME_SAMPLES)
                    .map(|s| (((i * FRAME_SAMPLES + s) as f32 * 0.05).sin() * 5000.0) as i16)
                    .collect();
                enc.encode(&frame).expect("encode").to_vec()
            })
            .collect()
    }

    #[test]
    fn dtx_gaps_and_losses_keep_the_timeline_continuous() {
        let p = packets(10);
        let mut t = Timeline::new().expect("timeline");
        let mut frames = Vec::new();
        let mut push = |t: &mut Timeline, seq: u16, ts: u32, i: usize| {
            t.push(seq, ts, &p[i], |mt, f| frames.push((mt, f.len())));
        };
        let base = u32::MAX - 960; // wraps around
        push(&mut t, 65535, base, 0);
        push(&mut t, 0, base.wrapping_add(960), 1);
        push(&mut t, 0, base.wrapping_add(960), 1); // duplicate: ignored
        push(&mut t, 2, base.wrapping_add(3 * 960), 2); // one packet lost: concealed
        push(&mut t, 3, base.wrapping_add(20 * 960), 3); // DTX: silence fills 16 frames
        assert_eq!(frames.len(), 21);
        assert!(frames.iter().all(|&(_, n)| n == FRAME_SAMPLES));
        assert_eq!(frames[20].0, Duration::from_millis(400));
    }
}
