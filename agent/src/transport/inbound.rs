//! Remote audio: one task per subscribed track turns RTP/Opus into 20 ms PCM frames on a
//! timeline that runs on the receiver's clock.
//!
//! Senders leave gaps: Opus DTX (on by default in LiveKit's SDKs) sends one packet every
//! 400 ms during silence, and lost packets leave holes. [`Timeline`] fills a gap as time
//! passes, not when the next packet arrives: once a frame is [`JITTER_ALLOWANCE`] overdue it
//! emits it (loss concealment for the first 60 ms after loud audio, silence otherwise), and
//! then one frame every 20 ms while the gap lasts, so the VAD downstream hears the silence
//! when it happens. A gap a packet reveals before the clock reached it is filled when the
//! packet arrives (concealment when the sequence numbers show a loss, silence for DTX).
//!
//! **Invariant**: the frames form one continuous, monotonic timeline whose length follows
//! the receiver's clock. A packet that arrives after the clock filled its time (a delay
//! spike beyond the allowance) plays only its part beyond the filled time: filled time is
//! never emitted twice, and the late audio it covered is dropped.
//!
//! [`Timeline`] is sans-IO: `push` a packet or `handle_timeout` with the current time, ask
//! `poll_timeout` for the next deadline. [`spawn_track_reader`] is its tokio driver.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rtc::rtp;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::RoomEvent;
use super::audio::{AudioFrame, FRAME_SAMPLES, SAMPLE_RATE};
use super::codec::OpusDecoder;
use super::error::TransportError;

/// How long after its expected arrival a packet may come and still be played in full; a
/// frame missing for longer is filled. Covers ±30 ms of network and scheduling jitter.
pub(crate) const JITTER_ALLOWANCE: Duration = Duration::from_millis(60);
/// The clock fills a frame one timer tick after its allowance ran out, so a packet arriving
/// exactly at the end of the allowance is still on time.
const TIMER_TICK: Duration = Duration::from_millis(1);
/// The first samples of a loss are concealed by the decoder; the rest of the gap is silence.
const CONCEAL_MAX: u64 = 3 * FRAME_SAMPLES as u64;
/// A packet this far off the receiver's clock (its timestamp jumped) starts a new timeline
/// at the head instead of being filled up to or dropped.
const RESYNC: Duration = Duration::from_secs(1);
/// Microseconds the estimate of the fastest path rises per second between packets, so it
/// follows a sender whose clock runs slow (100 ppm is typical; this is ten times that).
const CREEP_US_PER_S: u64 = 1_000;
/// Mean square (of i16 samples) above which a packet counts as speech (about -40 dBFS).
const SPEECH_MEAN_SQUARE: f64 = 107_000.0;

/// Starts decoding `track`; frames and the end of the track go to `events`.
pub(crate) fn spawn_track_reader(
    track: Arc<dyn TrackRemote>,
    identity: Arc<str>,
    track_sid: Arc<str>,
    events: mpsc::Sender<RoomEvent>,
) -> JoinHandle<()> {
    tokio::spawn(read_track(track, identity, track_sid, events))
}

/// Where a track reader gets its RTP packets: the remote track, or a channel in tests.
pub(crate) trait PacketSource: Send {
    /// The next packet, or `None` once the track has ended.
    fn next_packet(&mut self) -> impl Future<Output = Option<rtp::Packet>> + Send;
}

impl PacketSource for Arc<dyn TrackRemote> {
    async fn next_packet(&mut self) -> Option<rtp::Packet> {
        while let Some(event) = self.poll().await {
            match event {
                TrackRemoteEvent::OnRtpPacket(packet) => return Some(packet),
                TrackRemoteEvent::OnEnded => return None,
                _ => {}
            }
        }
        None
    }
}

impl PacketSource for mpsc::Receiver<rtp::Packet> {
    async fn next_packet(&mut self) -> Option<rtp::Packet> {
        self.recv().await
    }
}

/// Decodes `source` until it ends or `events` closes: packets as they come, and the clock's
/// fill whenever the timeline's deadline passes first.
pub(crate) async fn read_track(
    mut source: impl PacketSource,
    identity: Arc<str>,
    track_sid: Arc<str>,
    events: mpsc::Sender<RoomEvent>,
) {
    let mut timeline = match Timeline::new() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "cannot create an Opus decoder");
            return;
        }
    };
    let mut sink = Sink {
        identity,
        track_sid,
        events,
        dropped: 0,
    };
    let timer = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(timer);
    let mut armed = None;
    'track: loop {
        let next = source.next_packet();
        tokio::pin!(next);
        // The packet future lives across the clock's fills, so none is lost to a timeout.
        let packet = loop {
            let deadline = timeline.poll_timeout();
            if let Some(at) = deadline
                && armed != Some(at)
            {
                timer.as_mut().reset(at);
                armed = Some(at);
            }
            tokio::select! {
                biased;
                packet = &mut next => break packet,
                () = &mut timer, if deadline.is_some() => {
                    armed = None; // re-arm even if the deadline did not move
                    let now = Instant::now();
                    timeline.handle_timeout(now, |at, pcm| sink.send(now, at, pcm));
                }
            }
            if sink.events.is_closed() {
                break 'track;
            }
        };
        let Some(packet) = packet else { break };
        let now = Instant::now();
        timeline.push(
            now,
            packet.header.sequence_number,
            packet.header.timestamp,
            &packet.payload,
            |at, pcm| sink.send(now, at, pcm),
        );
        if sink.events.is_closed() {
            break;
        }
    }
    if sink.dropped > 0 {
        tracing::warn!(dropped = sink.dropped, track = %sink.track_sid, "audio frames dropped: the consumer lagged");
    }
}

/// Hands frames to the room's event channel, dropping them when the consumer lags.
struct Sink {
    identity: Arc<str>,
    track_sid: Arc<str>,
    events: mpsc::Sender<RoomEvent>,
    dropped: u64,
}

impl Sink {
    fn send(&mut self, now: Instant, media_time: Duration, samples: &[i16]) {
        let frame = AudioFrame {
            identity: self.identity.clone(),
            track_sid: self.track_sid.clone(),
            media_time,
            received_at: now.into_std(),
            samples: samples.into(),
        };
        if self.events.try_send(RoomEvent::Audio(frame)).is_err() {
            self.dropped += 1;
        }
    }
}

/// Counters of one track's receive path.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TimelineStats {
    /// Packets received.
    pub packets: u64,
    /// Packets dropped as duplicate or arriving after a later one.
    pub late: u64,
    /// Packets that came after the clock had filled (some of) their time: only their part
    /// beyond the filled time was played.
    pub overtaken: u64,
    /// Packets whose timestamp was too far off the clock to fill to or drop: each started a
    /// new timeline at the head.
    pub resyncs: u64,
    /// Frames synthesized by packet loss concealment.
    pub concealed: u64,
    /// Samples of silence inserted for gaps (DTX, long losses, a stopped sender).
    pub silence_samples: u64,
    /// Samples of the above filled by the clock before a packet showed the gap.
    pub clock_samples: u64,
    /// Packets libopus rejected.
    pub decode_errors: u64,
    /// Samples of silence inserted right after a loud packet: the sender's timeline jumped
    /// or stopped in the middle of speech (a starved sender or a long loss).
    pub gap_in_speech_samples: u64,
}

/// Turns RTP packets and the passing of time into a gap-free run of 20 ms frames.
pub(crate) struct Timeline {
    decoder: OpusDecoder,
    frames: Frames,
    last_seq: Option<u16>,
    /// The sender's timestamp of the head, the next sample to place.
    head_ts: u32,
    /// Set by the first packet; no time is filled before it.
    clock: Option<Clock>,
    /// Samples filled since the last packet (concealment covers the first `CONCEAL_MAX`).
    gap: u64,
    last_was_loud: bool,
    pub(crate) stats: TimelineStats,
}

/// When the receiver expects each timeline position to arrive.
#[derive(Debug, Clone, Copy)]
struct Clock {
    /// Arrival of the first packet.
    start: Instant,
    last_arrival: Instant,
    /// The smallest recent *slack* of a packet: its arrival (µs after `start`) minus the
    /// timeline position of its first sample (µs). Position `p` is expected at
    /// `start + base_us + p`: on the fastest path seen.
    base_us: i64,
}

/// Where an arriving packet goes, relative to the head.
enum Placement {
    /// At the head, after filling this many samples the packet skipped.
    After(u64),
    /// This many of its samples lie before the head: the clock already filled them.
    Overtaken(u64),
    /// Too far off the clock: at the head, as the start of a new timeline.
    Resync,
}

impl Timeline {
    pub(crate) fn new() -> Result<Self, TransportError> {
        Ok(Self {
            decoder: OpusDecoder::new()?,
            frames: Frames {
                pending: Vec::with_capacity(FRAME_SAMPLES),
                emitted: 0,
            },
            last_seq: None,
            head_ts: 0,
            clock: None,
            gap: 0,
            last_was_loud: false,
            stats: TimelineStats::default(),
        })
    }

    /// When the clock next fills a frame: a frame's time plus [`JITTER_ALLOWANCE`] after the
    /// head was due. `None` before the first packet.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let clock = self.clock?;
        let due_us =
            clock.base_us + micros(self.frames.head()) + JITTER_ALLOWANCE.as_micros() as i64;
        Some(clock.start + Duration::from_micros(due_us.max(0) as u64) + TIMER_TICK)
    }

    /// Fills every frame whose deadline has passed at `now`; calls `emit(media_time, frame)`
    /// for each.
    pub(crate) fn handle_timeout(&mut self, now: Instant, mut emit: impl FnMut(Duration, &[i16])) {
        while self.poll_timeout().is_some_and(|due| due <= now) {
            let n = (FRAME_SAMPLES - self.frames.pending.len()) as u64;
            let conceal = self.last_was_loud;
            self.fill(n, conceal, &mut emit);
            self.stats.clock_samples += n;
        }
    }

    /// Adds one packet that arrived at `now`; calls `emit(media_time, frame)` for every frame
    /// it completes.
    pub(crate) fn push(
        &mut self,
        now: Instant,
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
        let head = self.frames.head();
        let first = self.clock.is_none();
        let clock = *self.clock.get_or_insert(Clock {
            start: now,
            last_arrival: now,
            base_us: 0,
        });
        let arrived_us = now.saturating_duration_since(clock.start).as_micros() as i64;
        // Samples from the head to the packet's first sample (negative: before the head).
        let offset = i64::from(ts.wrapping_sub(self.head_ts) as i32);
        let resync_us = RESYNC.as_micros() as i64;
        let placement = if first
            || micros_signed(-offset) > resync_us
            || arrived_us - micros_signed(head as i64 + offset) < clock.base_us - resync_us
        {
            Placement::Resync
        } else if offset < 0 {
            Placement::Overtaken(offset.unsigned_abs())
        } else {
            Placement::After(offset as u64)
        };
        let start = match placement {
            Placement::Resync => head as i64,
            _ => head as i64 + offset,
        };
        self.update_clock(now, arrived_us - micros_signed(start), &placement);
        let mut skip = 0;
        match placement {
            Placement::Resync => {
                self.stats.resyncs += u64::from(!first);
                self.head_ts = ts;
            }
            Placement::Overtaken(n) => {
                self.stats.overtaken += 1;
                skip = n;
            }
            Placement::After(n) => self.fill(n, seq_gap > 1, &mut emit),
        }
        self.gap = 0;
        if payload.is_empty() {
            return;
        }
        match self.decoder.decode(payload) {
            Ok(pcm) => {
                let energy: f64 = pcm.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
                self.last_was_loud = energy / pcm.len().max(1) as f64 > SPEECH_MEAN_SQUARE;
                let played = &pcm[(skip.min(pcm.len() as u64) as usize)..];
                self.frames.push(played, &mut emit);
                self.head_ts = self.head_ts.wrapping_add(played.len() as u32);
            }
            Err(_) => self.stats.decode_errors += 1,
        }
    }

    /// Takes a packet's slack (µs) into the estimate of the fastest path. A packet that came
    /// after its time was filled resets the estimate to its own path (the delay grew); any
    /// other keeps the minimum, which rises slowly so a slow sender clock is followed.
    fn update_clock(&mut self, now: Instant, slack_us: i64, placement: &Placement) {
        let Some(clock) = self.clock.as_mut() else {
            return;
        };
        let quiet = now.saturating_duration_since(clock.last_arrival);
        let creep = (quiet.as_micros() as u64 * CREEP_US_PER_S / 1_000_000) as i64;
        let crept = clock.base_us.saturating_add(creep);
        clock.base_us = match placement {
            Placement::Overtaken(_) => crept.max(slack_us),
            _ => crept.min(slack_us),
        };
        clock.last_arrival = now;
    }

    /// Places `n` samples of concealment (while `conceal` and the gap is young) or silence.
    fn fill(&mut self, mut n: u64, conceal: bool, emit: &mut impl FnMut(Duration, &[i16])) {
        self.head_ts = self.head_ts.wrapping_add(n as u32);
        while n > 0 {
            let take = n.min(FRAME_SAMPLES as u64);
            if conceal
                && self.gap < CONCEAL_MAX
                && let Ok(pcm) = self.decoder.conceal()
                && !pcm.is_empty()
            {
                let take = take.min(pcm.len() as u64);
                self.frames.push(&pcm[..take as usize], emit);
                self.stats.concealed += 1;
                self.gap += take;
                n -= take;
                continue;
            }
            self.frames.push(&SILENCE[..take as usize], emit);
            self.stats.silence_samples += take;
            if self.last_was_loud {
                self.stats.gap_in_speech_samples += take;
            }
            self.gap += take;
            n -= take;
        }
    }
}

impl Drop for Timeline {
    fn drop(&mut self) {
        let s = &self.stats;
        tracing::info!(
            packets = s.packets,
            late = s.late,
            overtaken = s.overtaken,
            resyncs = s.resyncs,
            concealed = s.concealed,
            silence_ms = s.silence_samples / 48,
            clock_ms = s.clock_samples / 48,
            gap_in_speech_ms = s.gap_in_speech_samples / 48,
            decode_errors = s.decode_errors,
            "remote track receive stats"
        );
    }
}

/// One frame of digital silence, the source of every silent fill.
static SILENCE: [i16; FRAME_SAMPLES] = [0; FRAME_SAMPLES];

/// Cuts placed samples into frames; at most one partial frame is held.
struct Frames {
    pending: Vec<i16>,
    emitted: u64,
}

impl Frames {
    /// Samples placed so far: the timeline position of the next one.
    fn head(&self) -> u64 {
        self.emitted + self.pending.len() as u64
    }

    fn push(&mut self, mut samples: &[i16], emit: &mut impl FnMut(Duration, &[i16])) {
        while !samples.is_empty() {
            if self.pending.is_empty() && samples.len() >= FRAME_SAMPLES {
                let (frame, rest) = samples.split_at(FRAME_SAMPLES);
                emit(media_time(self.emitted), frame);
                self.emitted += FRAME_SAMPLES as u64;
                samples = rest;
                continue;
            }
            let take = samples.len().min(FRAME_SAMPLES - self.pending.len());
            self.pending.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.pending.len() == FRAME_SAMPLES {
                emit(media_time(self.emitted), &self.pending);
                self.emitted += FRAME_SAMPLES as u64;
                self.pending.clear();
            }
        }
    }
}

/// Position of timeline sample `samples` as a duration.
fn media_time(samples: u64) -> Duration {
    Duration::from_micros(micros(samples) as u64)
}

/// Microseconds of `samples` at [`SAMPLE_RATE`].
fn micros(samples: u64) -> i64 {
    (u128::from(samples) * 1_000_000 / u128::from(SAMPLE_RATE)) as i64
}

/// Microseconds of a signed sample count.
fn micros_signed(samples: i64) -> i64 {
    samples.saturating_mul(1_000_000) / i64::from(SAMPLE_RATE)
}

#[cfg(test)]
mod tests;
