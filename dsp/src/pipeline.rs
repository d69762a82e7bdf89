//! The whole per-stream analysis: raw samples in, VAD events and timeline seconds out.
//!
//! [`Pipeline::push`] takes samples at the input rate in slices of any length. Complete
//! 20 ms chunks are measured for volume (raw), resampled to 16 kHz, gated, scored by Silero
//! when the gate is open, and analysed for pitch and syllables. Results queue up as
//! [`Output`]s to drain with [`Pipeline::poll_output`] after each push, in the manner of a
//! sans-IO protocol. All buffers are allocated in [`Pipeline::new`]; the per-frame path
//! allocates nothing (Silero's ONNX Runtime call aside). The resampler's delay is skipped at
//! the start, so 16 kHz positions line up with the input: input sample `i` is position
//! `i * 16000 / input_rate`.

use std::collections::VecDeque;

use crate::error::Result;
use crate::filler::count_fillers;
use crate::frame::{FRAME_SAMPLES, SamplePos, SampleRate};
use crate::pitch::{PitchConfig, PitchStats, PitchTracker};
use crate::prosody::{BandEnvelope, Pauses, ProsodyConfig, ProsodyFrame, Segment, SyllableCounter};
use crate::resample::Resampler;
use crate::silero::Silero;
use crate::summary::{
    AudioFeatures, Details, FrameStats, SecondAccumulator, Summary, TimelinePoint,
};
use crate::vad::{FrameVad, TwoStageVad, VadConfig, VadEvent};
use crate::volume::{FLOOR_DBFS, LevelTracker, Volume};

/// Configuration of a [`Pipeline`].
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// The rate of the pushed samples.
    pub input_rate: SampleRate,
    /// VAD thresholds.
    pub vad: VadConfig,
    /// Pitch limits.
    pub pitch: PitchConfig,
    /// Syllable and pause tuning.
    pub prosody: ProsodyConfig,
    /// Timeline seconds and speech segments to reserve room for up front.
    pub reserve_seconds: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            input_rate: SampleRate::HZ_48000,
            vad: VadConfig::default(),
            pitch: PitchConfig::default(),
            prosody: ProsodyConfig::default(),
            reserve_seconds: 3600,
        }
    }
}

/// Something the pipeline found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Output {
    /// Speech started or ended.
    Vad(VadEvent),
    /// A second of audio was completed.
    Second(TimelinePoint),
}

/// What the pipeline measured on the latest 20 ms frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameReport {
    /// Volume of the raw chunk.
    pub volume: Volume,
    /// The VAD stages' verdicts.
    pub vad: FrameVad,
    /// F0 if the frame was voiced.
    pub f0_hz: Option<f32>,
    /// Whether a syllable nucleus was confirmed on this frame.
    pub syllable: bool,
}

/// One stream's analysis state. Not `Send` (the WebRTC gate wraps a C object).
pub struct Pipeline {
    prosody_config: ProsodyConfig,
    resampler: Resampler,
    raw: Vec<f32>,
    resampled: Vec<f32>,
    frame: [f32; FRAME_SAMPLES],
    frame_fill: usize,
    skip: usize,
    raw_volume: Volume,
    vad: TwoStageVad,
    pitch: PitchTracker,
    pitch_stats: PitchStats,
    levels: LevelTracker,
    syllables: SyllableCounter,
    envelope: BandEnvelope,
    second: SecondAccumulator,
    segments: Vec<Segment>,
    open_since: Option<SamplePos>,
    timeline: Vec<TimelinePoint>,
    outputs: VecDeque<Output>,
    last: Option<FrameReport>,
    frames: u64,
    peak_dbfs: f32,
    clipped_sum: f64,
}

impl Pipeline {
    /// A pipeline for one stream, with Silero as the second VAD stage if given.
    pub fn new(config: PipelineConfig, silero: Option<Silero>) -> Result<Self> {
        let resampler = Resampler::new(config.input_rate, 20)?;
        let raw = Vec::with_capacity(resampler.input_len());
        let resampled = vec![0.0; resampler.output_len_max()];
        let skip = resampler.output_delay();
        Ok(Self {
            resampler,
            raw,
            resampled,
            frame: [0.0; FRAME_SAMPLES],
            frame_fill: 0,
            skip,
            raw_volume: Volume::measure(&[]),
            vad: TwoStageVad::new(&config.vad, silero)?,
            pitch: PitchTracker::new(&config.pitch)?,
            pitch_stats: PitchStats::default(),
            levels: LevelTracker::default(),
            syllables: SyllableCounter::new(&config.prosody),
            envelope: BandEnvelope::default(),
            second: SecondAccumulator::default(),
            segments: Vec::with_capacity(config.reserve_seconds / 2),
            open_since: None,
            timeline: Vec::with_capacity(config.reserve_seconds),
            outputs: VecDeque::with_capacity(64),
            last: None,
            frames: 0,
            peak_dbfs: FLOOR_DBFS,
            clipped_sum: 0.0,
            prosody_config: config.prosody,
        })
    }

    /// Pushes samples at the input rate; any length, any values (NaN and infinities are
    /// sanitized). Drain [`Self::poll_output`] afterwards.
    pub fn push(&mut self, mut samples: &[f32]) -> Result<()> {
        let chunk = self.resampler.input_len();
        while !samples.is_empty() {
            let take = samples.len().min(chunk - self.raw.len());
            self.raw.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.raw.len() == chunk {
                self.raw_volume = Volume::measure(&self.raw);
                let written = self
                    .resampler
                    .process_into_buffer(&self.raw, &mut self.resampled)?;
                self.raw.clear();
                let skipped = self.skip.min(written);
                self.skip -= skipped;
                for i in skipped..written {
                    self.frame[self.frame_fill] = self.resampled[i];
                    self.frame_fill += 1;
                    if self.frame_fill == FRAME_SAMPLES {
                        self.frame_fill = 0;
                        self.process_frame()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The next queued output, oldest first.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// What the latest frame measured.
    pub fn last_frame(&self) -> Option<&FrameReport> {
        self.last.as_ref()
    }

    /// Scores the audio still held for the VAD look-ahead and ends open speech at the
    /// current position (call at the end of a stream); the events are queued.
    pub fn finish(&mut self) -> Result<()> {
        let mut events = [None; 16];
        let mut n = 0;
        self.vad.finish(|event| {
            if let Some(slot) = events.get_mut(n) {
                *slot = Some(event);
                n += 1;
            }
        })?;
        for event in events.into_iter().flatten() {
            self.on_event(event);
        }
        Ok(())
    }

    /// Silero windows evaluated and windows completed: how much the gate saved.
    pub fn silero_usage(&self) -> (u64, u64) {
        (self.vad.silero_runs(), self.vad.windows())
    }

    /// Summarizes everything so far; `transcript` adds words per minute and fillers.
    pub fn summary(&self, transcript: Option<&str>) -> Summary {
        let mut segments = self.segments.clone();
        if let Some(start) = self.open_since {
            segments.push(Segment {
                start,
                end: self.vad.position(),
            });
        }
        let pauses = Pauses::of(&segments, self.prosody_config.long_pause_ms);
        let speech = pauses.speech_seconds;
        let syllables = self.syllables.count();
        let sps = (speech > 0.0).then(|| syllables as f64 / speech);
        let fillers = transcript.map(count_fillers);
        let (speech_rate, source) = match fillers {
            Some(f) if f.words > 0 => (
                (speech > 0.0).then(|| f64::from(f.words) * 60.0 / speech),
                "transcript",
            ),
            _ => (
                sps.map(|s| s * 60.0 / f64::from(self.prosody_config.syllables_per_word)),
                "audio",
            ),
        };
        let frames = self.frames;
        Summary {
            audio_features: AudioFeatures {
                speech_rate,
                pause_ratio: pauses.pause_ratio,
                filler_word_ratio: fillers.map(|f| f.ratio()),
                pitch_variance: self.pitch_stats.variance_hz2().map(f64::from),
            },
            details: Details {
                speech_rate_source: source,
                syllables,
                syllables_per_second: sps,
                words: fillers.map(|f| f.words),
                fillers: fillers.map(|f| f.fillers),
                pitch_mean_hz: self.pitch_stats.mean_hz().map(f64::from),
                pauses,
                total_seconds: self.vad.position().as_secs_f64(),
                speech_dbfs: self.levels.speech_level_dbfs(),
                noise_floor_dbfs: self.levels.noise_floor_dbfs(),
                snr_db: self.levels.snr_db(),
                peak_dbfs: self.peak_dbfs,
                clipping_ratio: if frames > 0 {
                    (self.clipped_sum / frames as f64) as f32
                } else {
                    0.0
                },
                frames,
                vad_windows: self.vad.windows(),
                silero_runs: self.vad.silero_runs(),
            },
            segments,
            timeline: self.timeline.clone(),
        }
    }

    fn process_frame(&mut self) -> Result<()> {
        let frame_start = self.vad.position();
        let vad = self.vad.push_frame(&self.frame)?;
        if let Some(event) = vad.event {
            self.on_event(event);
        }
        let volume = self.raw_volume;
        let speaking = vad.speaking;
        if speaking && vad.gate {
            self.levels.push(volume.rms_dbfs, true);
        } else if !speaking {
            self.levels.push(volume.rms_dbfs, false);
        }
        let f0 = if vad.gate || speaking {
            self.pitch.push(&self.frame)?
        } else {
            self.pitch.push_history(&self.frame)?;
            None
        };
        // The VAD's state lags by its look-ahead; the gate covers speech onsets meanwhile.
        let active = speaking || vad.gate;
        let f0 = f0.filter(|_| active);
        if let Some(f0) = f0 {
            self.pitch_stats.push(f0);
        }
        let mut syllable = false;
        let band = self.envelope.push(&self.frame);
        for (half, band_dbfs) in band.into_iter().enumerate() {
            syllable |= self.syllables.push(&ProsodyFrame {
                at: SamplePos(frame_start.0 + (half * FRAME_SAMPLES / 2) as u64),
                rms_dbfs: band_dbfs,
                voiced: f0.is_some(),
                speaking: active,
                noise_floor_dbfs: self.levels.noise_floor_dbfs().unwrap_or(FLOOR_DBFS),
            });
        }
        self.frames += 1;
        self.peak_dbfs = self.peak_dbfs.max(volume.peak_dbfs);
        self.clipped_sum += f64::from(volume.clipping_ratio);
        let stats = FrameStats {
            rms_dbfs: volume.rms_dbfs,
            peak_dbfs: volume.peak_dbfs,
            clipping_ratio: volume.clipping_ratio,
            speaking,
            f0_hz: f0,
            syllable,
        };
        if let Some(mut point) = self.second.push(&stats) {
            point.noise_floor_dbfs = self.levels.noise_floor_dbfs();
            self.timeline.push(point);
            self.outputs.push_back(Output::Second(point));
        }
        self.last = Some(FrameReport {
            volume,
            vad,
            f0_hz: f0,
            syllable,
        });
        Ok(())
    }

    fn on_event(&mut self, event: VadEvent) {
        match event {
            VadEvent::SpeechStart { at, .. } => self.open_since = Some(at),
            VadEvent::SpeechEnd { at, started } => {
                self.open_since = None;
                self.segments.push(Segment {
                    start: started,
                    end: at,
                });
            }
        }
        self.outputs.push_back(Output::Vad(event));
    }
}
