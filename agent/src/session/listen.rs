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
//! the `p / 320`-th frame the shell recorded in its [`conversation::StreamTimes`].
//!
//! [`DspMode::Lockstep`] is for tests in paused tokio time: the shell waits for each frame's
//! analysis before it goes on, so VAD events come back at the instant their frame arrived
//! (tokio moves paused time on whenever the runtime is idle, also while another thread
//! works).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use dsp::pipeline::{Output as DspOutput, Pipeline, PipelineConfig};
use dsp::silero::Silero;
use dsp::summary::{Summary, TimelinePoint};
use dsp::vad::VadEvent;
use tokio::sync::mpsc;

use crate::transport::FRAME_SAMPLES;

/// 16 kHz stream samples per analysed 20 ms frame.
const DSP_FRAME: u64 = dsp::frame::FRAME_SAMPLES as u64;

/// Where the Silero model lives; without one the WebRTC gate alone decides.
#[derive(Debug, Clone, Default)]
pub struct SileroPaths {
    /// `libonnxruntime.so`.
    pub runtime: Option<PathBuf>,
    /// `silero_vad.onnx`.
    pub model: Option<PathBuf>,
}

/// How the shell waits for the dsp thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DspMode {
    /// Frames are queued and analysed while the session goes on (production).
    #[default]
    Thread,
    /// Handing a frame over blocks until its analysis is done and its events are queued,
    /// as if the pipeline ran inline: deterministic in paused tokio time. The pipeline
    /// still runs on its own thread, since it is not `Send`.
    Lockstep,
}

/// The longest a lockstep frame waits for its analysis (the first frame includes starting
/// the pipeline); after that the shell goes on without it.
const LOCKSTEP_WAIT: Duration = Duration::from_secs(10);

/// What the dsp thread reports.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Heard {
    /// A VAD event, produced while processing the `frame`-th frame (0-based).
    Vad { event: VadEvent, frame: u64 },
    /// How likely the latest scored audio is speech (Silero's latest window, 0 where the
    /// gate kept Silero from running; the gate's verdict alone without Silero), and the
    /// 16 kHz stream position where that audio ended: Silero scores a window a look-ahead
    /// after it, the gate the frame just pushed.
    Probability { p: f32, until: u64 },
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
        reply: std_mpsc::SyncSender<Summary>,
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
    /// In [`DspMode::Lockstep`], one message per frame analysed (the mutex only makes the
    /// listener `Sync`; the shell alone receives).
    analysed: Option<std::sync::Mutex<std_mpsc::Receiver<()>>>,
}

impl Listener {
    /// Starts the thread with `config` (VAD thresholds) and optional Silero paths; `on_frame`
    /// hears about every frame's lateness.
    pub fn spawn(
        config: PipelineConfig,
        silero: SileroPaths,
        mode: DspMode,
        on_frame: Option<FrameHook>,
    ) -> std::io::Result<Self> {
        let (frames, frame_rx) = std_mpsc::sync_channel(FRAME_QUEUE);
        let (tx, events) = mpsc::unbounded_channel();
        let (done, analysed) = match mode {
            DspMode::Thread => (None, None),
            DspMode::Lockstep => {
                let (done, analysed) = std_mpsc::channel();
                (Some(done), Some(std::sync::Mutex::new(analysed)))
            }
        };
        let counts = Arc::new(FrameCounts::default());
        let (thread_counts, thread_hook) = (Arc::clone(&counts), on_frame.clone());
        // What the thread logs stays in the job's span, with the caller's subscriber.
        let span = tracing::Span::current();
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        std::thread::Builder::new()
            .name("voice-dsp".into())
            .spawn(move || {
                let sinks = Sinks {
                    events: tx,
                    counts: &thread_counts,
                    on_frame: thread_hook,
                    done,
                };
                tracing::dispatcher::with_default(&dispatch, || {
                    span.in_scope(|| run(config, silero, frame_rx, &sinks));
                });
            })?;
        Ok(Self {
            frames,
            events,
            counts,
            on_frame,
            analysed,
        })
    }

    /// Hands one 20 ms frame, decoded at `decoded_at`, to the pipeline. A frame that finds
    /// the queue full is dropped and counted late. Never blocks, except in
    /// [`DspMode::Lockstep`], where it returns once the frame was analysed.
    pub fn push(&self, frame: Box<[i16]>, decoded_at: std::time::Instant) {
        let frame = ToDsp::Frame(frame, decoded_at);
        match self.frames.try_send(frame) {
            Err(std_mpsc::TrySendError::Full(_)) => {
                count(&self.counts, self.on_frame.as_ref(), true);
            }
            Err(std_mpsc::TrySendError::Disconnected(_)) => {}
            Ok(()) => {
                if let Some(analysed) = &self.analysed {
                    let analysed = analysed.lock().unwrap_or_else(|e| e.into_inner());
                    if analysed.recv_timeout(LOCKSTEP_WAIT).is_err() {
                        tracing::warn!("a lockstep frame was not analysed in time");
                    }
                }
            }
        }
    }

    /// Ends the stream and returns the summary of everything analysed, fillers counted in
    /// the candidate's `transcript`; `None` if the thread is gone or too slow.
    pub async fn finish(&self, transcript: String) -> Option<Summary> {
        let (reply, summary) = std_mpsc::sync_channel(1);
        let frames = self.frames.clone();
        // The queue may be full for up to a second of analysis: wait off the runtime. (A
        // blocking task also keeps paused tokio time from moving on while it waits.)
        let wait = tokio::task::spawn_blocking(move || {
            frames.send(ToDsp::Finish { transcript, reply }).ok()?;
            summary.recv_timeout(FINISH_TIMEOUT).ok()
        });
        tokio::time::timeout(FINISH_TIMEOUT, wait)
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
    }
}

/// Where the dsp thread's results go.
struct Sinks<'a> {
    events: mpsc::UnboundedSender<Heard>,
    counts: &'a FrameCounts,
    on_frame: Option<FrameHook>,
    /// [`DspMode::Lockstep`]: told once per frame, after the frame's events were sent.
    done: Option<std_mpsc::Sender<()>>,
}

fn run(
    config: PipelineConfig,
    paths: SileroPaths,
    frames: std_mpsc::Receiver<ToDsp>,
    sinks: &Sinks<'_>,
) {
    let events = &sinks.events;
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
    let mut window_end = 0u64;
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
            counts: sinks.counts,
            hook: sinks.on_frame.as_ref(),
            done: sinks.done.as_ref(),
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
            let (p, until) = match vad.probability {
                Some(p) => (p, vad.probability_end.0),
                None if silero_loaded && vad.gate => (window, window_end),
                None if silero_loaded => (0.0, window_end),
                None => (f32::from(u8::from(vad.gate)), (this + 1) * DSP_FRAME),
            };
            (window, window_end) = (p, until);
            if events.send(Heard::Probability { p, until }).is_err() {
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
/// the loop leaves it (and tells a lockstep shell).
struct AnalysedGuard<'a> {
    counts: &'a FrameCounts,
    hook: Option<&'a FrameHook>,
    done: Option<&'a std_mpsc::Sender<()>>,
    decoded_at: std::time::Instant,
}

impl Drop for AnalysedGuard<'_> {
    fn drop(&mut self) {
        count(
            self.counts,
            self.hook,
            self.decoded_at.elapsed() > LATE_FRAME,
        );
        if let Some(done) = self.done {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes 3 s with a second of tone in lockstep; after each push, the kinds of the events already
    /// queued, tagged with the frame.
    fn lockstep_run() -> Vec<(u64, &'static str)> {
        let mut listener = Listener::spawn(
            PipelineConfig::default(),
            SileroPaths::default(),
            DspMode::Lockstep,
            None,
        )
        .expect("the dsp thread");
        let mut seen = Vec::new();
        for i in 0..150u64 {
            let frame: Vec<i16> = (0..FRAME_SAMPLES)
                .map(|n| {
                    let t = (i as f64 * FRAME_SAMPLES as f64 + n as f64) / 48_000.0;
                    let on = (40..90).contains(&i);
                    (f64::from(u8::from(on)) * 6000.0 * (std::f64::consts::TAU * 220.0 * t).sin())
                        as i16
                })
                .collect();
            listener.push(frame.into(), std::time::Instant::now());
            assert_eq!(listener.counts.frames.load(Ordering::Relaxed), i + 1);
            while let Ok(heard) = listener.events.try_recv() {
                let kind = match heard {
                    Heard::Vad { .. } => "vad",
                    Heard::Probability { p, .. } if p > 0.5 => "voiced",
                    Heard::Probability { .. } => "unvoiced",
                    Heard::Second(_) => "second",
                    Heard::Failed => "failed",
                };
                seen.push((i, kind));
            }
        }
        seen
    }

    /// Silero scores a window about 130 ms after its audio; each probability says where its
    /// audio ended, so the quiet after the last voiced audio is timed from the speech's real
    /// end, not from when the look-ahead let Silero judge it.
    #[test]
    fn each_speech_probability_says_where_its_audio_ended() {
        let dir = tempfile::tempdir().expect("temp dir");
        let wav = dir.path().join("said.wav");
        ::tests::speech::speak(
            "I moved the billing service to Rust last year.",
            &::tests::speech::Voice::default(),
            &wav,
        )
        .expect("espeak-ng (scripts/setup.sh installs it)");
        let (rate, mut samples) = ::tests::speech::read_wav(&wav).expect("the spoken clip");
        assert_eq!(rate, 48_000);
        samples.extend(::tests::speech::silence(1.0));
        let frames: Vec<&[f32]> = samples.chunks_exact(FRAME_SAMPLES).collect();
        let loud =
            |f: &[f32]| (f.iter().map(|s| s * s).sum::<f32>() / f.len() as f32).sqrt() >= 0.01;
        // Where the speech energy (RMS at or above -40 dBFS) ends, in 16 kHz samples.
        let last_loud = frames
            .iter()
            .rposition(|f| loud(f))
            .expect("speech in the clip");
        let spoken_until = (last_loud as u64 + 1) * DSP_FRAME;

        let (runtime, model) = (
            ::tests::paths::onnxruntime_lib(),
            ::tests::paths::silero_model(),
        );
        assert!(
            runtime.exists() && model.exists(),
            "Silero is not installed: run scripts/setup.sh"
        );
        let mut listener = Listener::spawn(
            PipelineConfig::default(),
            SileroPaths {
                runtime: Some(runtime),
                model: Some(model),
            },
            DspMode::Lockstep,
            None,
        )
        .expect("the dsp thread");
        // (frame pushed, audio end) of every voiced probability.
        let mut voiced = Vec::new();
        for (i, frame) in frames.iter().enumerate() {
            let pcm: Box<[i16]> = frame.iter().map(|s| (s * 32767.0) as i16).collect();
            listener.push(pcm, std::time::Instant::now());
            while let Ok(heard) = listener.events.try_recv() {
                if let Heard::Probability { p, until } = heard
                    && p >= 0.5
                {
                    voiced.push((i as u64, until));
                }
            }
        }
        assert!(
            voiced.len() * 2 >= last_loud,
            "{} of {last_loud} frames voiced",
            voiced.len()
        );
        let &(judged_on, until) = voiced.last().expect("Silero heard the sentence");
        let window = 512;
        // Judged a look-ahead after the speech...
        assert!(
            (judged_on + 1) * DSP_FRAME >= spoken_until + 3 * window,
            "the last voiced window was judged on frame {judged_on}, speech ended at {spoken_until}"
        );
        // ...but dated where its audio ended: within a window of the speech's end.
        assert!(
            until + window >= spoken_until && until <= spoken_until + window,
            "the last voiced audio ended at {until}, the speech at {spoken_until}"
        );
    }

    #[test]
    fn a_lockstep_push_returns_once_its_frame_was_analysed() {
        let first = lockstep_run();
        // Every frame's events were queued by the time its push returned, so two runs see
        // the same events after the same frames.
        assert_eq!(first, lockstep_run());
        let count = |kind| first.iter().filter(|(_, k)| *k == kind).count();
        assert_eq!(count("second"), 2, "{first:?}");
        assert_eq!(count("vad"), 2, "the tone's start and end: {first:?}");
        assert!(
            count("voiced") + count("unvoiced") >= 149,
            "a score per frame"
        );
    }
}
