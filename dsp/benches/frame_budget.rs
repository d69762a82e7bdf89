//! Criterion benchmarks of the per-frame costs (`cargo bench -p dsp`). Budgets per 20 ms
//! frame: resampling 15 us, webrtc gate 3 us, pitch 10 us, all analysis except Silero 40 us,
//! Silero 250 us per 32 ms window. `cargo run --release -p dsp --example bench_table` prints
//! the same measurements as a table with medians and p99.

#[path = "workload.rs"]
mod workload;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dsp::frame::{FRAME_SAMPLES, SampleRate};
use dsp::gate::{Gate, GateMode};
use dsp::pitch::{PitchConfig, PitchTracker};
use dsp::resample::Resampler;
use dsp::silero::WINDOW_SAMPLES;
use dsp::volume::Volume;

fn per_frame(c: &mut Criterion) {
    let speech = workload::speech_48k();
    let speech16 = workload::speech_16k(&speech);
    let chunks: Vec<&[f32]> = speech.chunks_exact(960).collect();
    let frames: Vec<&[f32]> = speech16.chunks_exact(FRAME_SAMPLES).collect();
    let mut group = c.benchmark_group("per_20ms_frame");

    let mut resampler = Resampler::new(SampleRate::HZ_48000, 20).expect("valid");
    let mut out = vec![0.0; resampler.output_len_max()];
    let mut i = 0;
    group.bench_function("resample_48k_to_16k", |b| {
        b.iter(|| {
            i = (i + 1) % chunks.len();
            black_box(resampler.process_into_buffer(chunks[i], &mut out).ok())
        })
    });

    let mut gate = Gate::new(GateMode::Quality);
    group.bench_function("webrtc_gate", |b| {
        b.iter(|| {
            i = (i + 1) % frames.len();
            black_box(gate.is_voiced(frames[i]).ok())
        })
    });

    let mut pitch = PitchTracker::new(&PitchConfig::default()).expect("valid");
    group.bench_function("pitch_yin", |b| {
        b.iter(|| {
            i = (i + 1) % frames.len();
            black_box(pitch.push(frames[i]).ok())
        })
    });

    group.bench_function("volume", |b| {
        b.iter(|| {
            i = (i + 1) % chunks.len();
            black_box(Volume::measure(chunks[i]))
        })
    });

    let mut pipeline = workload::pipeline(None);
    group.bench_function("analysis_without_silero", |b| {
        b.iter(|| {
            i = (i + 1) % chunks.len();
            black_box(pipeline.push(chunks[i]).ok());
            while pipeline.poll_output().is_some() {}
        })
    });

    let stream = workload::half_speech_stream(&speech, 2);
    let stream_chunks: Vec<&[f32]> = stream.chunks_exact(960).collect();
    let mut full = workload::pipeline(Some(workload::silero()));
    group.bench_function("two_stage_pipeline_50pct_speech", |b| {
        b.iter(|| {
            i = (i + 1) % stream_chunks.len();
            black_box(full.push(stream_chunks[i]).ok());
            while full.poll_output().is_some() {}
        })
    });
    group.finish();

    let windows: Vec<[f32; WINDOW_SAMPLES]> = speech16
        .chunks_exact(WINDOW_SAMPLES)
        .map(|w| w.try_into().expect("exact chunks"))
        .collect();
    let mut silero = workload::silero();
    c.bench_function("silero_per_32ms_window", |b| {
        b.iter(|| {
            i = (i + 1) % windows.len();
            black_box(silero.probability(&windows[i]).ok())
        })
    });
}

fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = short();
    targets = per_frame
}
criterion_main!(benches);
