//! Analyses a WAV file and prints its VAD events, timeline and summary as JSON.
//!
//! `cargo run -p dsp --example analyze -- file.wav [--transcript "text"] [--no-silero]`
//! Silero is loaded from `.tools/onnx/` at the repository root.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use dsp::frame::SampleRate;
use dsp::pipeline::{Output, Pipeline, PipelineConfig};
use dsp::silero::Silero;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut transcript = None;
    let mut use_silero = true;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--transcript" => transcript = Some(args.next().context("--transcript needs text")?),
            "--no-silero" => use_silero = false,
            _ if path.is_none() => path = Some(PathBuf::from(arg)),
            _ => bail!("usage: analyze FILE.wav [--transcript TEXT] [--no-silero]"),
        }
    }
    let path = path.context("usage: analyze FILE.wav [--transcript TEXT] [--no-silero]")?;
    let mut reader = hound::WavReader::open(&path)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => {
            let scale = (1_i64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()?
        }
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
    };
    let mono: Vec<f32> = interleaved
        .chunks(channels)
        .map(|c| c.iter().sum::<f32>() / channels as f32)
        .collect();
    let silero = if use_silero {
        let onnx = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/onnx");
        Some(Silero::load(
            &onnx.join("libonnxruntime.so"),
            &onnx.join("silero_vad.onnx"),
        )?)
    } else {
        None
    };
    let config = PipelineConfig {
        input_rate: SampleRate::new(spec.sample_rate)?,
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::new(config, silero)?;
    let mut events = Vec::new();
    let chunk = (spec.sample_rate / 100).max(1) as usize;
    for piece in mono.chunks(chunk) {
        pipeline.push(piece)?;
        while let Some(out) = pipeline.poll_output() {
            if let Output::Vad(event) = out {
                events.push(event);
            }
        }
    }
    pipeline.finish()?;
    while let Some(out) = pipeline.poll_output() {
        if let Output::Vad(event) = out {
            events.push(event);
        }
    }
    let summary = pipeline.summary(transcript.as_deref());
    let json = serde_json::json!({ "events": events, "summary": summary });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
