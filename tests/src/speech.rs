//! Test speech made at test time with espeak-ng and sox, and WAV helpers.
//!
//! No binary audio is committed: every test generates what it needs into a temp dir.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

/// The sample rate of every WAV this module writes.
pub const RATE: u32 = 48_000;

/// How espeak-ng should speak.
#[derive(Debug, Clone)]
pub struct Voice {
    /// espeak-ng voice name, for example "en-us".
    pub voice: String,
    /// Speaking rate in words per minute (espeak-ng `-s`, 80..=450).
    pub words_per_minute: u32,
    /// Base pitch (espeak-ng `-p`, 0..=99).
    pub pitch: u32,
    /// Amplitude (espeak-ng `-a`, 0..=200).
    pub amplitude: u32,
}

impl Default for Voice {
    fn default() -> Self {
        Self {
            voice: "en-us".into(),
            words_per_minute: 160,
            pitch: 50,
            amplitude: 100,
        }
    }
}

/// Speaks `text` into `out` as 48 kHz mono 16-bit PCM.
pub fn speak(text: &str, voice: &Voice, out: &Path) -> Result<()> {
    let raw = out.with_extension("espeak.wav");
    let status = Command::new("espeak-ng")
        .arg("-v")
        .arg(&voice.voice)
        .arg("-s")
        .arg(voice.words_per_minute.to_string())
        .arg("-p")
        .arg(voice.pitch.to_string())
        .arg("-a")
        .arg(voice.amplitude.to_string())
        .arg("-w")
        .arg(&raw)
        .arg(text)
        .status()
        .context("running espeak-ng (run scripts/setup.sh)")?;
    ensure!(status.success(), "espeak-ng failed: {status}");
    let result = to_48k_mono(&raw, out);
    let _ = std::fs::remove_file(&raw);
    result
}

/// Speaks `text` with Debian's Flite (`voice`: `rms`, `slt`, `awb`, `kal16`) into a 48 kHz
/// mono 16-bit WAV at `out`: a second synthesizer, unlike the agent's espeak-ng voice, that
/// the local recognizer hears far better (see `bench_stt`).
pub fn speak_flite(text: &str, voice: &str, out: &Path) -> Result<()> {
    let raw = out.with_extension("flite.wav");
    let status = Command::new("flite")
        .args(["-voice", voice, "-t", text, "-o"])
        .arg(&raw)
        .status()
        .context("running flite (run scripts/setup.sh)")?;
    ensure!(status.success(), "flite failed: {status}");
    let result = to_48k_mono(&raw, out);
    let _ = std::fs::remove_file(&raw);
    result
}

/// Converts any audio file sox can read into 48 kHz mono 16-bit PCM.
pub fn to_48k_mono(input: &Path, out: &Path) -> Result<()> {
    sox(&[
        input.as_os_str().to_str().context("non-UTF-8 path")?,
        "-r",
        "48000",
        "-c",
        "1",
        "-b",
        "16",
        out.as_os_str().to_str().context("non-UTF-8 path")?,
    ])
}

/// Runs `sox` with the given arguments.
pub fn sox(args: &[&str]) -> Result<()> {
    let output = Command::new("sox")
        .args(args)
        .output()
        .context("running sox (run scripts/setup.sh)")?;
    if !output.status.success() {
        bail!(
            "sox {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Reads a WAV file as mono f32 samples in [-1, 1] (channels are averaged).
pub fn read_wav(path: &Path) -> Result<(u32, Vec<f32>)> {
    let mut reader =
        hound::WavReader::open(path).with_context(|| format!("opening {}", path.display()))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => {
            let scale = (1_i64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()?
        }
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
    };
    let mono = interleaved
        .chunks(channels)
        .map(|c| c.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok((spec.sample_rate, mono))
}

/// Writes mono f32 samples as 16-bit PCM.
pub fn write_wav(path: &Path, rate: u32, samples: &[f32]) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec)?;
    for &s in samples {
        writer.write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16)?;
    }
    writer.finalize()?;
    Ok(())
}

/// Silence of the given duration at [`RATE`].
pub fn silence(seconds: f32) -> Vec<f32> {
    vec![0.0; (seconds * RATE as f32) as usize]
}
