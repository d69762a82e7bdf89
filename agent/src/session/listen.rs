//! Listening to the candidate: the dsp pipeline on its own thread, and the map from stream
//! positions (VAD samples, STT seconds) back to the session clock.
//!
//! The pipeline is not `Send` (the WebRTC gate wraps a C object), so each session runs it on
//! a dedicated thread: frames go in over a bounded channel (one second of audio), VAD events
//! and the one-second timeline points come back over another, and the summary is asked for
//! once at the end ([`Listener::finish`]).
//!
//! Lateness is measured where it happens: a frame is late when its analysis finishes more
//! than [`LATE_FRAME`] after the frame was decoded, queueing on the channel included, and a
//! frame that finds the channel full (the thread is a second behind) is dropped and counted
//! late. A lagging analysis thread therefore shows in the worker's load, which it did not
//! when lateness was taken as the frame was queued.
//! **Invariant:** frames reach the thread in arrival order, so 16 kHz position `p` lies in
//! the `p / 320`-th frame the shell recorded in its [`TimeMap`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use conversation::Instant;
use dsp::pipeline::{Output as DspOutput, Pipeline, PipelineConfig};
use dsp::silero::Silero;
use dsp::summary::{Summary, TimelinePoint};
use dsp::vad::VadEvent;
use tokio::sync::{mpsc, oneshot};

use crate::transport::FRAME_SAMPLES;

/// Where the Silero model lives; without one the WebRTC gate alone decides.
#[derive(Debug, Clone, Default)]
pub struct SileroPaths {
    /// `libonnxruntime.so`.
    pub runtime: Option<PathBuf>,
    /// `silero_vad.onnx`.
    pub model: Option<PathBuf>,
}

/// What the dsp thread reports.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Heard {
    /// A VAD event, produced while processing the `frame`-th frame (0-based).
    Vad { event: VadEvent, frame: u64 },
    /// How likely the latest frame is speech (Silero's latest window while the gate is
    /// open, 0 while it is shut; the gate's verdict alone without Silero).
    Probability(f32),
    /// A second of the candidate's audio was completed.
    Second(TimelinePoint),
    /// The pipeline failed to start; the session goes on without VAD events.
    Failed,
}

/// What the shell sends the dsp thread.
enum ToDsp {
    /// A 20 ms frame and when it was decoded.
    Frame(Box<[i16]>, std::time::Instant),
    /// End of the stream: the summary, with fillers counted in `transcript`.
    Finish {
        transcript: String,
        reply: oneshot::Sender<Summary>,
    },
}

/// How long the summary may take once asked for (the queue holds one second of audio).
const FINISH_TIMEOUT: Duration = Duration::from_secs(5);

/// A frame analysed this long after it was decoded counts as late.
pub(crate) const LATE_FRAME: Duration = Duration::from_millis(20);

/// Frames the channel to the dsp thread holds: one second of audio.
const FRAME_QUEUE: usize = 50;

/// Called for every candidate frame once its fate is known: whether it was late.
pub(crate) type FrameHook = Arc<dyn Fn(bool) + Send + Sync>;

/// Frames analysed (or dropped) and how many of them late, shared with the dsp thread.
#[derive(Debug, Default)]
pub(crate) struct FrameCounts {
    pub frames: AtomicU64,
    pub late: AtomicU64,
}

/// Counts one frame and tells the hook.
fn count(counts: &FrameCounts, hook: Option<&FrameHook>, late: bool) {
    counts.frames.fetch_add(1, Ordering::Relaxed);
    counts.late.fetch_add(u64::from(late), Ordering::Relaxed);
    if let Some(hook) = hook {
        hook(late);
    }
}

/// The shell's side of the dsp thread. Dropping it ends the thread.
pub(crate) struct Listener {
    frames: std_mpsc::SyncSender<ToDsp>,
    pub events: mpsc::UnboundedReceiver<Heard>,
    pub counts: Arc<FrameCounts>,
    on_frame: Option<FrameHook>,
}

impl Listener {
    /// Starts the thread with `config` (VAD thresholds) and optional Silero paths; `on_frame`
    /// hears about every frame's lateness.
    pub fn spawn(
        config: PipelineConfig,
        silero: SileroPaths,
        on_frame: Option<FrameHook>,
    ) -> std::io::Result<Self> {
        let (frames, frame_rx) = std_mpsc::sync_channel(FRAME_QUEUE);
        let (tx, events) = mpsc::unbounded_channel();
        let counts = Arc::new(FrameCounts::default());
        let (thread_counts, thread_hook) = (Arc::clone(&counts), on_frame.clone());
        std::thread::Builder::new()
            .name("voice-dsp".into())
            .spawn(move || run(config, silero, frame_rx, tx, &thread_counts, thread_hook))?;
        Ok(Self {
            frames,
            events,
            counts,
            on_frame,
        })
    }

    /// Hands one 20 ms frame, decoded at `decoded_at`, to the pipeline; never blocks. A frame
    /// that finds the queue full is dropped and counted late.
    pub fn push(&self, frame: Box<[i16]>, decoded_at: std::time::Instant) {
        let frame = ToDsp::Frame(frame, decoded_at);
        if let Err(std_mpsc::TrySendError::Full(_)) = self.frames.try_send(frame) {
            count(&self.counts, self.on_frame.as_ref(), true);
        }
    }

    /// Ends the stream and returns the summary of everything analysed, fillers counted in
    /// the candidate's `transcript`; `None` if the thread is gone or too slow.
    pub async fn finish(&self, transcript: String) -> Option<Summary> {
        let (reply, summary) = oneshot::channel();
        let frames = self.frames.clone();
        // The queue may be full for up to a second of analysis: wait off the runtime.
        let sent = tokio::task::spawn_blocking(move || {
            frames.send(ToDsp::Finish { transcript, reply }).is_ok()
        });
        let wait = async {
            sent.await.ok().filter(|ok| *ok)?;
            summary.await.ok()
        };
        tokio::time::timeout(FINISH_TIMEOUT, wait)
            .await
            .ok()
            .flatten()
    }
}

fn run(
    config: PipelineConfig,
    paths: SileroPaths,
    frames: std_mpsc::Receiver<ToDsp>,
    events: mpsc::UnboundedSender<Heard>,
    counts: &FrameCounts,
    on_frame: Option<FrameHook>,
) {
    let silero = match (&paths.runtime, &paths.model) {
        (Some(lib), Some(model)) => match Silero::load(lib, model) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "Silero unavailable; the VAD uses the gate alone");
                None
            }
        },
        _ => None,
    };
    let silero_loaded = silero.is_some();
    let mut pipeline = match Pipeline::new(config, silero) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "the dsp pipeline could not start");
            let _ = events.send(Heard::Failed);
            return;
        }
    };
    let mut pcm = vec![0.0f32; FRAME_SAMPLES];
    let mut index = 0u64;
    let mut window = 0.0f32;
    while let Ok(message) = frames.recv() {
        let (frame, decoded_at) = match message {
            ToDsp::Frame(frame, at) => (frame, at),
            ToDsp::Finish { transcript, reply } => {
                if let Err(e) = pipeline.finish() {
                    tracing::warn!(error = %e, "the dsp pipeline could not finish");
                }
                let words = (!transcript.trim().is_empty()).then_some(transcript.as_str());
                let _ = reply.send(pipeline.summary(words));
                return;
            }
        };
        let this = index;
        index += 1;
        let analysed = AnalysedGuard {
            counts,
            hook: on_frame.as_ref(),
            decoded_at,
        };
        for (out, &s) in pcm.iter_mut().zip(frame.iter()) {
            *out = f32::from(s) / 32768.0;
        }
        if pipeline
            .push(&pcm[..frame.len().min(FRAME_SAMPLES)])
            .is_err()
        {
            continue;
        }
        if let Some(vad) = pipeline.last_frame().map(|r| r.vad) {
            let p = match vad.probability {
                Some(p) => p,
                None if silero_loaded && vad.gate => window,
                None if silero_loaded => 0.0,
                None => f32::from(u8::from(vad.gate)),
            };
            window = p;
            if events.send(Heard::Probability(p)).is_err() {
                return;
            }
        }
        while let Some(output) = pipeline.poll_output() {
            let heard = match output {
                DspOutput::Vad(event) => Heard::Vad { event, frame: this },
                DspOutput::Second(point) => Heard::Second(point),
            };
            if events.send(heard).is_err() {
                return;
            }
        }
        drop(analysed);
    }
}

/// Counts its frame when dropped, that is once the frame's analysis is over, whichever way
/// the loop leaves it.
struct AnalysedGuard<'a> {
    counts: &'a FrameCounts,
    hook: Option<&'a FrameHook>,
    decoded_at: std::time::Instant,
}

impl Drop for AnalysedGuard<'_> {
    fn drop(&mut self) {
        count(
            self.counts,
            self.hook,
            self.decoded_at.elapsed() > LATE_FRAME,
        );
    }
}

/// Frames remembered for mapping positions to times (30 s).
const RING: usize = 1500;
/// 16 kHz samples per 20 ms frame.
const POS_PER_FRAME: u64 = 320;

/// Arrival times of the last [`RING`] frames, indexed by frame number.
#[derive(Debug)]
pub(crate) struct TimeMap {
    arrivals: Vec<Instant>,
    frames: u64,
}

impl Default for TimeMap {
    fn default() -> Self {
        Self {
            arrivals: vec![Instant::ZERO; RING],
            frames: 0,
        }
    }
}

impl TimeMap {
    /// Records that the next frame (covering 20 ms of the stream) arrived at `at`; the
    /// arrival stands for the frame's end, so its start is 20 ms earlier.
    pub fn record(&mut self, at: Instant) {
        let slot = (self.frames % RING as u64) as usize;
        self.arrivals[slot] = at;
        self.frames += 1;
    }

    /// The session time of 16 kHz stream position `pos`.
    pub fn at_position(&self, pos: u64) -> Instant {
        let frame = pos / POS_PER_FRAME;
        let within = Duration::from_micros((pos % POS_PER_FRAME) * 1_000_000 / 16_000);
        self.frame_start(frame) + within
    }

    /// When the `frame`-th frame arrived.
    pub fn arrival(&self, frame: u64) -> Instant {
        self.frame_start(frame) + Duration::from_millis(20)
    }

    /// The session time of stream second `seconds` (STT times).
    pub fn at_seconds(&self, seconds: f64) -> Instant {
        if !seconds.is_finite() || seconds <= 0.0 {
            return self.frame_start(0);
        }
        self.at_position((seconds * 16_000.0) as u64)
    }

    fn frame_start(&self, frame: u64) -> Instant {
        if self.frames == 0 {
            return Instant::ZERO;
        }
        let newest = self.frames - 1;
        let oldest = self.frames.saturating_sub(RING as u64);
        let arrival = |f: u64| self.arrivals[(f % RING as u64) as usize];
        let frame_len = Duration::from_millis(20);
        if frame > newest {
            let ahead = Duration::from_millis(20 * (frame - newest));
            return arrival(newest) + ahead.saturating_sub(frame_len);
        }
        if frame < oldest {
            // Older than the ring: extrapolate backwards at real-time rate.
            let behind = Duration::from_millis(20 * (oldest - frame));
            let t = arrival(oldest)
                .since_start()
                .saturating_sub(behind + frame_len);
            return Instant::from_start(t);
        }
        Instant::from_start(arrival(frame).since_start().saturating_sub(frame_len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_map_to_the_arrival_of_their_frame() {
        let mut map = TimeMap::default();
        for i in 0..10u64 {
            // Frames arrive in a burst after a 100 ms stall at frame 5.
            let extra = if i >= 5 { 100 } else { 0 };
            map.record(Instant::from_millis(20 * (i + 1) + extra));
        }
        assert_eq!(map.at_position(0), Instant::from_millis(0));
        assert_eq!(map.at_position(320 * 2 + 160), Instant::from_millis(50));
        assert_eq!(map.at_position(320 * 6), Instant::from_millis(220));
        assert_eq!(map.at_seconds(0.12), Instant::from_millis(220));
        assert_eq!(map.at_position(320 * 12), Instant::from_millis(340));
    }
}
