//! Measurements on audio used to prove that media really flowed.

/// RMS of consecutive windows of `window` samples (the last partial window is dropped).
pub fn rms_envelope(samples: &[f32], window: usize) -> Vec<f32> {
    samples
        .chunks_exact(window.max(1))
        .map(|w| (w.iter().map(|s| s * s).sum::<f32>() / w.len() as f32).sqrt())
        .collect()
}

/// RMS envelope in 20 ms windows at `rate`.
pub fn envelope_20ms(samples: &[f32], rate: u32) -> Vec<f32> {
    rms_envelope(samples, (rate / 50) as usize)
}

/// Normalized cross-correlation of `reference` against `received` delayed by `lag` windows.
/// Only the overlap counts; returns 0 when it is empty or flat.
pub fn ncc_at(reference: &[f32], received: &[f32], lag: usize) -> f32 {
    if lag >= received.len() {
        return 0.0;
    }
    let n = reference.len().min(received.len() - lag);
    if n < 2 {
        return 0.0;
    }
    let a = &reference[..n];
    let b = &received[lag..lag + n];
    let mean_a = a.iter().sum::<f32>() / n as f32;
    let mean_b = b.iter().sum::<f32>() / n as f32;
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x - mean_a), f64::from(y - mean_b));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa <= f64::EPSILON || bb <= f64::EPSILON {
        return 0.0;
    }
    (ab / (aa * bb).sqrt()) as f32
}

/// The best normalized cross-correlation over lags `0..=max_lag` (in windows), and that lag.
pub fn best_ncc(reference: &[f32], received: &[f32], max_lag: usize) -> (f32, usize) {
    (0..=max_lag)
        .map(|lag| (ncc_at(reference, received, lag), lag))
        .fold(
            (f32::MIN, 0),
            |best, cur| if cur.0 > best.0 { cur } else { best },
        )
}

/// Index of the first sample whose absolute value exceeds `threshold`.
pub fn first_above(samples: &[f32], threshold: f32) -> Option<usize> {
    samples.iter().position(|s| s.abs() > threshold)
}

/// Index of the last sample whose absolute value exceeds `threshold`.
pub fn last_above(samples: &[f32], threshold: f32) -> Option<usize> {
    samples.iter().rposition(|s| s.abs() > threshold)
}

/// The longest run of samples, between the first and last sample above `threshold`, in which
/// every `window`-sample RMS window stays below `threshold`; in samples. A gap in a recording
/// of continuous audio means frames went missing.
pub fn longest_gap(samples: &[f32], window: usize, threshold: f32) -> usize {
    let env = rms_envelope(samples, window);
    let Some(start) = env.iter().position(|&e| e > threshold) else {
        return 0;
    };
    let end = env.iter().rposition(|&e| e > threshold).unwrap_or(start);
    let mut longest = 0;
    let mut run = 0;
    for &e in &env[start..=end] {
        if e < threshold {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest * window
}

/// Total duration in seconds of `samples` at `rate`.
pub fn seconds(samples: &[f32], rate: u32) -> f32 {
    samples.len() as f32 / rate as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ncc_finds_the_delay() {
        let reference: Vec<f32> = (0..200).map(|i| ((i * 7919) % 13) as f32).collect();
        let mut received = vec![0.0; 37];
        received.extend(reference.iter().map(|x| x * 0.5 + 1.0));
        let (corr, lag) = best_ncc(&reference, &received, 100);
        assert_eq!(lag, 37);
        assert!(corr > 0.999, "{corr}");
    }

    #[test]
    fn ncc_of_unrelated_signals_is_low() {
        let a: Vec<f32> = (0..500).map(|i| ((i * 7919) % 13) as f32).collect();
        let b: Vec<f32> = (0..500).map(|i| ((i * 104_729) % 17) as f32).collect();
        assert!(best_ncc(&a, &b, 0).0 < 0.5);
    }

    #[test]
    fn gap_is_measured_between_first_and_last_sound() {
        let mut s = vec![0.0; 960];
        s.extend(vec![0.5; 480]);
        s.extend(vec![0.0; 960 * 3]);
        s.extend(vec![0.5; 480]);
        s.extend(vec![0.0; 1000]);
        assert_eq!(longest_gap(&s, 480, 0.01), 960 * 3);
    }
}
