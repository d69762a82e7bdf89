//! The 48 -> 16 kHz resampler: level, frequency and timing survive; delay is reported.

use dsp::frame::SampleRate;
use dsp::resample::Resampler;

fn resample_all(input: &[f32]) -> (Vec<f32>, usize) {
    let mut r = Resampler::new(SampleRate::HZ_48000, 20).expect("valid");
    let mut out = vec![0.0; r.output_len_max()];
    let mut all = Vec::new();
    for chunk in input.chunks_exact(r.input_len()) {
        let n = r
            .process_into_buffer(chunk, &mut out)
            .expect("right length");
        all.extend_from_slice(&out[..n]);
    }
    (all, r.output_delay())
}

#[test]
fn a_tone_keeps_its_level_and_a_burst_its_position() {
    let n = 48_000 * 2;
    let burst_at = 48_000 + 4_801; // not on a chunk boundary
    let input: Vec<f32> = (0..n)
        .map(|i| {
            if i >= burst_at {
                0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 48_000.0).sin()
            } else {
                0.0
            }
        })
        .collect();
    let (out, delay) = resample_all(&input);
    assert!(n / 3 - out.len() <= delay, "{} samples out", out.len());
    let first = out
        .iter()
        .position(|s| s.abs() > 0.05)
        .expect("burst came through") as i64;
    let expected = (burst_at / 3 + delay) as i64;
    println!("delay {delay} samples; burst at {first}, expected {expected}");
    assert!(
        (first - expected).abs() <= 3,
        "burst at {first}, expected {expected}"
    );
    let tail = &out[out.len() - 8000..];
    let rms = (tail.iter().map(|s| s * s).sum::<f32>() / tail.len() as f32).sqrt();
    assert!((rms - 0.5 / 2f32.sqrt()).abs() < 0.01, "rms {rms}");
    // 440 Hz: count zero crossings over 0.5 s at 16 kHz.
    let crossings = tail
        .windows(2)
        .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
        .count();
    assert!(
        (219..=221).contains(&crossings),
        "{crossings} upward crossings in 0.5 s"
    );
}

#[test]
fn content_above_8_khz_is_removed() {
    let input: Vec<f32> = (0..48_000)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 12_000.0 * i as f32 / 48_000.0).sin())
        .collect();
    let (out, _) = resample_all(&input);
    let tail = &out[4000..];
    let rms = (tail.iter().map(|s| s * s).sum::<f32>() / tail.len() as f32).sqrt();
    assert!(rms < 0.01, "12 kHz leaked through at rms {rms}");
}
