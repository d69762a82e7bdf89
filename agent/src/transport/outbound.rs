//! The agent's voice: a queue of PCM frames that can be flushed at once, and the pacer that
//! takes one frame every 20 ms, encodes it and writes it to the published track.
//!
//! **Invariant:** frames leave the queue at real-time rate whatever the producer does, so a
//! flush removes everything that has not been sent yet; at most one 20 ms frame (the one being
//! written) is beyond reach. When the queue is empty the pacer sends silence, which keeps the
//! listener's jitter buffer steady: encoded for the first 200 ms, then a silence packet encoded
//! once (an idle agent encodes nothing), with the encoder reset before audio starts again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use rtc::media::Sample;
use rtc::rtp::extension::audio_level_extension::AudioLevelExtension;
use tokio::sync::watch;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;

use super::audio::{FRAME_DURATION, FRAME_SAMPLES};
use super::codec::OpusEncoder;
use super::error::TransportError;

/// Frames queued ahead at most (10 minutes); pushing beyond is an error, not a silent drop.
const MAX_QUEUED: usize = 30_000;

/// PCM frames waiting to be sent.
#[derive(Default)]
pub(crate) struct OutboundQueue {
    frames: Mutex<VecDeque<Box<[i16]>>>,
}

impl OutboundQueue {
    pub(crate) fn push(&self, frame: &[i16]) -> Result<(), TransportError> {
        if frame.len() != FRAME_SAMPLES {
            return Err(TransportError::FrameSize {
                expected: FRAME_SAMPLES,
                got: frame.len(),
            });
        }
        let mut frames = self.lock();
        if frames.len() >= MAX_QUEUED {
            return Err(TransportError::Codec("outbound audio queue is full".into()));
        }
        frames.push_back(frame.into());
        Ok(())
    }

    pub(crate) fn flush(&self) -> usize {
        let mut frames = self.lock();
        let n = frames.len();
        frames.clear();
        n
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn pop(&self) -> Option<Box<[i16]>> {
        self.lock().pop_front()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Box<[i16]>>> {
        // A poisoned queue only means a pusher panicked mid-push; the frames are still valid.
        self.frames.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The track the pacer writes to, replaced on every (re)join.
#[derive(Clone)]
pub(crate) struct PublishedTrack {
    pub track: Arc<TrackLocalStaticSample>,
    pub ssrc: u32,
    pub payload_type: u8,
}

/// Where the pacer writes each 20 ms Opus packet: the published track, or a recorder in
/// tests (so the pacer runs in paused `tokio::time`).
#[async_trait::async_trait]
pub(crate) trait PacketSink: Clone + Send + Sync + 'static {
    async fn write(&self, packet: Bytes, level: AudioLevelExtension) -> Result<(), String>;
}

#[async_trait::async_trait]
impl PacketSink for PublishedTrack {
    async fn write(&self, packet: Bytes, level: AudioLevelExtension) -> Result<(), String> {
        let sample = Sample {
            data: packet,
            duration: FRAME_DURATION,
            ..Sample::new(Instant::now())
        };
        self.track
            .sample_writer(self.ssrc, self.payload_type)
            .with_audio_level(level)
            .write_sample(&sample)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Frames of silence still run through the encoder after audio stops (then the cached
/// silence packet is sent).
const QUIET_ENCODED: u32 = 10;

/// Runs until the queue's owner drops the track channel: one packet every 20 ms of
/// `tokio::time`, the next queued frame or silence.
pub(crate) async fn run_pacer<S: PacketSink>(
    queue: Arc<OutboundQueue>,
    mut track: watch::Receiver<Option<S>>,
) {
    let mut encoder = match OpusEncoder::new() {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the Opus encoder; the agent stays silent");
            return;
        }
    };
    let silence = vec![0i16; FRAME_SAMPLES];
    // An idle agent (most of an interview: it listens) sends a cached silence packet instead
    // of encoding zeros every 20 ms. The encoder still encodes the first frames of a quiet
    // spell, so the decoder hears speech end the encoder's way, and starts afresh after it.
    let silent_packet = OpusEncoder::silence_packet().ok().map(Bytes::from);
    let mut quiet_frames = 0u32;
    let mut tick = tokio::time::interval(FRAME_DURATION);
    let mut current = track.borrow_and_update().clone();
    let mut write_failed = false;
    loop {
        tokio::select! {
            changed = track.changed() => {
                if changed.is_err() {
                    return;
                }
                current = track.borrow_and_update().clone();
                write_failed = false;
                continue;
            }
            _ = tick.tick() => {}
        }
        let frame = queue.pop();
        let Some(published) = &current else { continue };
        let pcm = frame.as_deref().unwrap_or(&silence);
        quiet_frames = if frame.is_some() {
            if quiet_frames > QUIET_ENCODED
                && let Err(e) = encoder.reset()
            {
                tracing::warn!(error = %e, "opus reset failed");
            }
            0
        } else {
            quiet_frames.saturating_add(1)
        };
        let packet = match (&silent_packet, quiet_frames > QUIET_ENCODED) {
            (Some(cached), true) => cached.clone(),
            _ => match encoder.encode(pcm) {
                Ok(p) => Bytes::copy_from_slice(p),
                Err(e) => {
                    tracing::warn!(error = %e, "opus encode failed");
                    continue;
                }
            },
        };
        let result = published.write(packet, audio_level(pcm)).await;
        if let Err(e) = result
            && !write_failed
        {
            write_failed = true;
            tracing::debug!(error = %e, "writing to the published track failed");
        }
    }
}

/// The RFC 6464 level of a frame: -dBov from 0 (loudest) to 127 (silence).
fn audio_level(pcm: &[i16]) -> AudioLevelExtension {
    let energy: f64 = pcm.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (energy / pcm.len().max(1) as f64).sqrt() / 32768.0;
    let dbov = if rms > 0.0 {
        -20.0 * rms.log10()
    } else {
        127.0
    };
    let level = dbov.clamp(0.0, 127.0) as u8;
    AudioLevelExtension {
        level,
        voice: level < VOICE_LEVEL,
    }
}

/// Frames louder than -50 dBov are flagged as voice.
const VOICE_LEVEL: u8 = 50;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn flush_drops_everything_queued() {
        let q = OutboundQueue::default();
        for _ in 0..5 {
            q.push(&[1; FRAME_SAMPLES])
                .expect("a full frame is accepted");
        }
        assert!(q.push(&[1; 10]).is_err());
        assert_eq!(q.len(), 5);
        assert_eq!(q.flush(), 5);
        assert_eq!(q.len(), 0);
        assert!(q.pop().is_none());
    }

    /// Records every packet with its (paused) time and level.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<(tokio::time::Instant, u8)>>>);

    #[async_trait::async_trait]
    impl PacketSink for Recorder {
        async fn write(&self, _packet: Bytes, level: AudioLevelExtension) -> Result<(), String> {
            let mut packets = self.0.lock().map_err(|e| e.to_string())?;
            packets.push((tokio::time::Instant::now(), level.level));
            Ok(())
        }
    }

    impl Recorder {
        fn packets(&self) -> Vec<(tokio::time::Instant, u8)> {
            self.0.lock().map(|p| p.clone()).unwrap_or_default()
        }
    }

    /// A loud frame: level 6 dBov (silence is 127).
    const TONE: [i16; FRAME_SAMPLES] = [16384; FRAME_SAMPLES];

    #[tokio::test(start_paused = true)]
    async fn the_pacer_sends_a_frame_every_20_ms_without_gaps_and_a_flush_silences_the_next() {
        let queue = Arc::new(OutboundQueue::default());
        let sink = Recorder::default();
        let (tx, rx) = watch::channel(Some(sink.clone()));
        let pacer = tokio::spawn(run_pacer(queue.clone(), rx));
        for _ in 0..100 {
            queue.push(&TONE).expect("a frame");
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let flushed_at = tokio::time::Instant::now();
        let dropped = queue.flush();
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(tx);
        pacer.await.expect("the pacer ends with its track channel");

        let packets = sink.packets();
        let gaps: Vec<Duration> = packets.windows(2).map(|w| w[1].0 - w[0].0).collect();
        assert!(
            gaps.iter().all(|g| *g == FRAME_DURATION),
            "one packet every 20 ms: {gaps:?}"
        );
        let loud: Vec<_> = packets.iter().filter(|(_, level)| *level < 50).collect();
        assert_eq!(
            loud.len() + dropped,
            100,
            "every frame sent once or flushed"
        );
        assert!(loud.len() >= 50, "a second of tone played: {}", loud.len());
        let last_loud = loud.last().expect("tone sent").0;
        assert!(
            last_loud <= flushed_at,
            "nothing of the tone after the flush ({:?} after)",
            last_loud - flushed_at
        );
        assert!(
            packets
                .iter()
                .filter(|(at, _)| *at > flushed_at)
                .all(|(_, level)| *level == 127),
            "silence after the flush"
        );
    }

    #[test]
    fn audio_levels_follow_loudness() {
        assert_eq!(audio_level(&[0; FRAME_SAMPLES]).level, 127);
        let loud = audio_level(&[16384; FRAME_SAMPLES]);
        assert_eq!((loud.level, loud.voice), (6, true));
        assert!(!audio_level(&[3; FRAME_SAMPLES]).voice);
    }
}
