//! Prints the per-frame cost of every stage as a table with medians, p99 and budgets.
//!
//! `cargo run --release -p dsp --example bench_table`. Each stage runs on generated speech
//! (espeak-ng); every call is timed on its own, so the figures include timer overhead
//! (tens of nanoseconds).

#[path = "../benches/workload.rs"]
mod workload;

use std::hint::black_box;
use std::time::{Duration, Instant};

use dsp::frame::{FRAME_SAMPLES, SampleRate};
use dsp::gate::{Gate, GateMode};
use dsp::pitch::{PitchConfig, PitchTracker};
use dsp::resample::Resampler;
use dsp::silero::WINDOW_SAMPLES;
use dsp::volume::Volume;

const CALLS: usize = 3000;

struct Row {
    name: &'static str,
    unit: &'static str,
    budget_us: Option<f64>,
    times: Vec<Duration>,
}

fn time(calls: usize, mut f: impl FnMut(usize)) -> Vec<Duration> {
    for i in 0..calls / 10 {
        f(i);
    }
    (0..calls)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1e6
}

fn main() {
    let speech = workload::speech_48k();
    let speech16 = workload::speech_16k(&speech);
    let chunks: Vec<&[f32]> = speech.chunks_exact(960).collect();
    let frames: Vec<&[f32]> = speech16.chunks_exact(FRAME_SAMPLES).collect();
    let windows: Vec<[f32; WINDOW_SAMPLES]> = speech16
        .chunks_exact(WINDOW_SAMPLES)
        .map(|w| w.try_into().expect("exact chunks"))
        .collect();
    let mut rows = Vec::new();

    let mut resampler = Resampler::new(SampleRate::HZ_48000, 20).expect("valid");
    let mut out = vec![0.0; resampler.output_len_max()];
    rows.push(Row {
        name: "resample 48k->16k",
        unit: "20 ms frame",
        budget_us: Some(15.0),
        times: time(CALLS, |i| {
            black_box(
                resampler
                    .process_into_buffer(chunks[i % chunks.len()], &mut out)
                    .ok(),
            );
        }),
    });
    let mut gate = Gate::new(GateMode::Quality);
    rows.push(Row {
        name: "webrtc-vad gate",
        unit: "20 ms frame",
        budget_us: Some(3.0),
        times: time(CALLS, |i| {
            black_box(gate.is_voiced(frames[i % frames.len()]).ok());
        }),
    });
    let mut pitch = PitchTracker::new(&PitchConfig::default()).expect("valid");
    rows.push(Row {
        name: "pitch (YIN, 8 kHz)",
        unit: "20 ms frame",
        budget_us: Some(10.0),
        times: time(CALLS, |i| {
            black_box(pitch.push(frames[i % frames.len()]).ok());
        }),
    });
    rows.push(Row {
        name: "volume (raw 48k)",
        unit: "20 ms frame",
        budget_us: None,
        times: time(CALLS, |i| {
            black_box(Volume::measure(chunks[i % chunks.len()]));
        }),
    });
    let mut pipeline = workload::pipeline(None);
    rows.push(Row {
        name: "all analysis except Silero",
        unit: "20 ms frame",
        budget_us: Some(40.0),
        times: time(CALLS, |i| {
            black_box(pipeline.push(chunks[i % chunks.len()]).ok());
            while pipeline.poll_output().is_some() {}
        }),
    });
    let mut silero = workload::silero();
    rows.push(Row {
        name: "Silero",
        unit: "32 ms window",
        budget_us: Some(250.0),
        times: time(CALLS / 3, |i| {
            black_box(silero.probability(&windows[i % windows.len()]).ok());
        }),
    });
    let stream = workload::half_speech_stream(&speech, 2);
    let stream_chunks: Vec<&[f32]> = stream.chunks_exact(960).collect();
    let mut full = workload::pipeline(Some(workload::silero()));
    let full_times = time(stream_chunks.len() * 3, |i| {
        black_box(full.push(stream_chunks[i % stream_chunks.len()]).ok());
        while full.poll_output().is_some() {}
    });
    let mean_full =
        full_times.iter().sum::<Duration>().as_secs_f64() * 1e6 / full_times.len() as f64;
    rows.push(Row {
        name: "two-stage pipeline, 50% speech",
        unit: "20 ms frame",
        budget_us: None,
        times: full_times,
    });

    println!("| stage | per | median us | p99 us | budget us | within |");
    println!("|---|---|---:|---:|---:|---|");
    for row in &mut rows {
        row.times.sort();
        let median = percentile(&row.times, 0.5);
        let p99 = percentile(&row.times, 0.99);
        let (budget, ok) = match row.budget_us {
            Some(b) => (format!("{b:.0}"), if median <= b { "yes" } else { "NO" }),
            None => ("-".into(), "-"),
        };
        println!(
            "| {} | {} | {median:.2} | {p99:.2} | {budget} | {ok} |",
            row.name, row.unit
        );
    }
    let (runs, windows) = full.silero_usage();
    println!(
        "\ntwo-stage pipeline on a 50%-speech stream: mean {mean_full:.2} us per 20 ms frame; \
         Silero ran on {runs} of {windows} windows ({:.0}%)",
        100.0 * runs as f64 / windows.max(1) as f64
    );
}
