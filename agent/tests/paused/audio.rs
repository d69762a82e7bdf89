//! Synthetic audio at 48 kHz: voiced speech-like sound (a harmonic series under a syllable
//! envelope, which the WebRTC VAD takes for speech), silence and a cough. Deterministic:
//! the same arguments give the same samples.

/// The transport's rate.
pub const RATE: f64 = 48_000.0;

/// Samples in the table of one glottal period.
const TABLE: usize = 2048;

/// One period of a voice on `f0`: harmonics falling off like a voice's, with a formant bump
/// near 500-900 Hz, up to 3.8 kHz.
fn period(f0: f64) -> Vec<f64> {
    let harmonics: Vec<(f64, f64)> = (1..=24u32)
        .map(f64::from)
        .filter(|k| k * f0 < 3_800.0)
        .map(|k| {
            (
                k,
                (1.0 + 1.5 * (-((k * f0 - 700.0) / 300.0).powi(2)).exp()) / k,
            )
        })
        .collect();
    (0..TABLE)
        .map(|i| {
            let phase = std::f64::consts::TAU * i as f64 / TABLE as f64;
            harmonics.iter().map(|(k, a)| a * (k * phase).sin()).sum()
        })
        .collect()
}

/// `seconds` of voiced sound on a fundamental of `f0` Hz; `seed` varies the intonation and
/// the syllable rhythm. Peak level about 0.3 of full scale.
pub fn voice(seconds: f64, f0: f64, seed: u32) -> Vec<i16> {
    let table = period(f0);
    let n = (seconds * RATE) as usize;
    let s = f64::from(seed % 97);
    let syllable_hz = 3.5 + (s % 7.0) * 0.25;
    let tau = std::f64::consts::TAU;
    let mut phase = 0.0f64;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f64 / RATE;
        // Intonation: a slow drift of the pitch, and a syllable envelope.
        let f = f0 * (1.0 + 0.08 * (tau * (0.7 + s * 0.01) * t + s).sin());
        phase = (phase + f / RATE).fract();
        let x = table[(phase * TABLE as f64) as usize % TABLE];
        let syllable = 0.6 - 0.4 * (tau * syllable_hz * t).cos();
        // 10 ms fades at both ends.
        let edge = (t / 0.01).min((seconds - t) / 0.01).clamp(0.0, 1.0);
        out.push((x * syllable * edge * 0.13 * 32767.0) as i16);
    }
    out
}

/// `seconds` of digital silence.
pub fn silence(seconds: f64) -> Vec<i16> {
    vec![0; (seconds * RATE) as usize]
}

/// A cough: 150 ms of loud noise with a sharp attack and a fast decay.
pub fn cough() -> Vec<i16> {
    let n = (0.15 * RATE) as usize;
    let mut state = 0x1234_5678u32;
    let mut low = 0.0f64;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let white = f64::from(state) / f64::from(u32::MAX) * 2.0 - 1.0;
            // Brown-ish: low-passed white noise.
            low = 0.9 * low + 0.1 * white;
            let t = i as f64 / RATE;
            (low * 4.0 * (-t / 0.05).exp() * 0.6 * 32767.0).clamp(-32767.0, 32767.0) as i16
        })
        .collect()
}

/// RMS of `samples`, 0..1 of full scale.
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (energy / samples.len() as f64).sqrt() / 32768.0
}
