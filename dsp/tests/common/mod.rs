//! Shared helpers of the dsp tests: generated speech, layouts and a pipeline runner.
#![allow(dead_code)]

use std::path::Path;

use anyhow::{Context, Result};
use dsp::frame::SampleRate;
use dsp::pipeline::{Output, Pipeline, PipelineConfig};
use dsp::silero::Silero;
use dsp::summary::{Summary, TimelinePoint};
use dsp::vad::VadEvent;
use tests::speech::{RATE, Voice, read_wav, speak};

/// Level above which an espeak sample counts as speech when trimming.
pub const TRIM_LEVEL: f32 = 0.003;

/// Speaks `text` and returns 48 kHz samples with espeak's leading and trailing silence cut.
pub fn utterance(dir: &Path, name: &str, text: &str, voice: &Voice) -> Result<Vec<f32>> {
    let path = dir.join(format!("{name}.wav"));
    speak(text, voice, &path)?;
    let (rate, samples) = read_wav(&path)?;
    anyhow::ensure!(rate == RATE, "espeak output at {rate} Hz");
    let first = tests::signal::first_above(&samples, TRIM_LEVEL).context("espeak was silent")?;
    let last = tests::signal::last_above(&samples, TRIM_LEVEL).context("espeak was silent")?;
    Ok(samples[first..=last].to_vec())
}

/// Silence of `seconds` at 48 kHz.
pub fn silence(seconds: f32) -> Vec<f32> {
    tests::speech::silence(seconds)
}

/// A stream assembled from pieces, with the speech intervals (in 48 kHz samples) known.
#[derive(Default)]
pub struct Layout {
    pub samples: Vec<f32>,
    pub speech: Vec<(usize, usize)>,
}

impl Layout {
    pub fn speech(&mut self, samples: &[f32]) {
        let start = self.samples.len();
        self.samples.extend_from_slice(samples);
        self.speech.push((start, self.samples.len()));
    }

    pub fn silence(&mut self, seconds: f32) {
        self.samples.extend(silence(seconds));
    }

    /// Whether the 20 ms frame `i` (at 48 kHz) is mostly speech.
    pub fn frame_is_speech(&self, i: usize) -> bool {
        let mid = i * 960 + 480;
        self.speech.iter().any(|&(a, b)| (a..b).contains(&mid))
    }
}

/// A deterministic white noise of the given RMS (xorshift).
pub fn noise(len: usize, rms: f32, seed: u32) -> Vec<f32> {
    let mut state = seed.max(1);
    let scale = rms * 3f32.sqrt();
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// Multiplies every sample by `gain` (no clamping: the pipeline sanitizes).
pub fn gain(samples: &[f32], gain: f32) -> Vec<f32> {
    samples.iter().map(|s| s * gain).collect()
}

pub fn silero() -> Result<Silero> {
    Ok(Silero::load(
        &tests::paths::onnxruntime_lib(),
        &tests::paths::silero_model(),
    )?)
}

/// Everything a run of the pipeline produced.
pub struct Run {
    pub summary: Summary,
    pub events: Vec<VadEvent>,
    pub seconds: Vec<TimelinePoint>,
}

/// Runs the pipeline over 48 kHz samples in 10 ms pushes, as WebRTC delivers them.
pub fn run(samples: &[f32], config: PipelineConfig, transcript: Option<&str>) -> Result<Run> {
    let config = PipelineConfig {
        input_rate: SampleRate::HZ_48000,
        ..config
    };
    let mut pipeline = Pipeline::new(config, Some(silero()?))?;
    let mut events = Vec::new();
    let mut seconds = Vec::new();
    let mut drain = |p: &mut Pipeline| {
        while let Some(out) = p.poll_output() {
            match out {
                Output::Vad(e) => events.push(e),
                Output::Second(s) => seconds.push(s),
            }
        }
    };
    for piece in samples.chunks(480) {
        pipeline.push(piece)?;
        drain(&mut pipeline);
    }
    pipeline.finish()?;
    drain(&mut pipeline);
    Ok(Run {
        summary: pipeline.summary(transcript),
        events,
        seconds,
    })
}

/// Fraction of 20 ms frames where the VAD segments agree with the layout.
pub fn frame_accuracy(layout: &Layout, summary: &Summary) -> f64 {
    let frames = layout.samples.len() / 960;
    let hits = (0..frames)
        .filter(|&i| {
            let pos = (i * 320 + 160) as u64;
            let detected = summary
                .segments
                .iter()
                .any(|s| (s.start.0..s.end.0).contains(&pos));
            detected == layout.frame_is_speech(i)
        })
        .count();
    hits as f64 / frames.max(1) as f64
}
