//! Workloads shared by the criterion benches and the `bench_table` example: generated
//! speech (espeak-ng) at 48 kHz and the components under test.
#![allow(dead_code)]

use dsp::frame::SampleRate;
use dsp::pipeline::{Pipeline, PipelineConfig};
use dsp::resample::Resampler;
use dsp::silero::Silero;

/// About 3 s of speech at 48 kHz, generated now.
pub fn speech_48k() -> Vec<f32> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.wav");
    tests::speech::speak(
        "I have been writing Rust for about five years, mostly network services and some embedded work",
        &tests::speech::Voice::default(),
        &path,
    )
    .expect("espeak-ng and sox are installed (scripts/setup.sh)");
    tests::speech::read_wav(&path)
        .expect("espeak wrote a WAV")
        .1
}

/// A stream that alternates the speech with as much silence: 50% speech.
pub fn half_speech_stream(speech: &[f32], repeats: usize) -> Vec<f32> {
    let mut out = Vec::new();
    for _ in 0..repeats {
        out.extend_from_slice(speech);
        out.extend(std::iter::repeat_n(0.0, speech.len()));
    }
    out
}

/// The speech resampled to 16 kHz.
pub fn speech_16k(speech: &[f32]) -> Vec<f32> {
    let mut r = Resampler::new(SampleRate::HZ_48000, 20).expect("valid");
    let mut out = vec![0.0; r.output_len_max()];
    let mut all = Vec::new();
    for chunk in speech.chunks_exact(r.input_len()) {
        let n = r
            .process_into_buffer(chunk, &mut out)
            .expect("right length");
        all.extend_from_slice(&out[..n]);
    }
    all
}

pub fn silero() -> Silero {
    Silero::load(
        &tests::paths::onnxruntime_lib(),
        &tests::paths::silero_model(),
    )
    .expect("ONNX Runtime and the Silero model are installed (scripts/setup.sh)")
}

pub fn pipeline(silero: Option<Silero>) -> Pipeline {
    Pipeline::new(PipelineConfig::default(), silero).expect("default config is valid")
}
