//! The local recognizer's accuracy and cost, through the product's own stream (48 kHz audio
//! resampled to 16 kHz, pocketsphinx's silence detector, the stream's finals):
//!
//! - word error rate on interview answers spoken by espeak-ng (the agent's own voice) and by
//!   Flite, and on the human recordings of Debian's `pocketsphinx-testdata`;
//! - real-time factor (decoding CPU seconds per audio second) on one core.
//!
//! `cargo run --release -p providers --example bench_stt`

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use providers::stt::sphinx::{Sphinx, SphinxConfig};
use providers::stt::{SpeechToText, SttEvent};
use tests::speech::{Voice, read_wav, speak, speak_flite, to_48k_mono};

const ANSWERS: &[&str] = &[
    "i built the payment service in rust and it handled ten thousand requests per second",
    "we moved the database to postgres and cut the latency by forty percent",
    "my team had five engineers and i led the migration to kubernetes",
    "the hardest bug was a race condition in the cache that only showed under load",
    "i wrote tests for every endpoint and we ran them on each commit",
    "when two people disagreed i asked them to write down the tradeoffs and we picked one together",
    "i would start by measuring where the time goes before changing anything",
    "the queue kept messages for seven days so we could replay them after an outage",
];

/// A reference text and its 48 kHz audio.
type Sample = (String, Vec<i16>);

const TESTDATA: &str = "/usr/share/pocketsphinx/test/data/librivox";

/// Edit distance in words.
fn errors(reference: &str, hypothesis: &str) -> (usize, usize) {
    let r: Vec<&str> = reference.split_whitespace().collect();
    let h: Vec<&str> = hypothesis.split_whitespace().collect();
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for i in 1..=r.len() {
        let mut diagonal = row[0];
        row[0] = i;
        for j in 1..=h.len() {
            let next = (row[j] + 1)
                .min(row[j - 1] + 1)
                .min(diagonal + usize::from(r[i - 1] != h[j - 1]));
            diagonal = row[j];
            row[j] = next;
        }
    }
    (row[h.len()], r.len())
}

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The final text the stream gives for `samples` (48 kHz) with a second of silence after.
async fn recognise(stt: &Sphinx, samples: &[i16]) -> Result<String> {
    let mut stream = stt.open(48_000, Some("en"));
    for frame in samples.chunks(960) {
        stream.send_audio(frame);
    }
    stream.send_audio(&vec![0; 48_000]);
    stream.close();
    let mut text = Vec::new();
    while let Some(event) = stream.next_event().await {
        match event {
            SttEvent::Transcript(t) if t.is_final => text.push(t.text),
            SttEvent::Closed { error: Some(e) } => anyhow::bail!("recognizer failed: {e}"),
            SttEvent::Closed { error: None } => break,
            _ => {}
        }
    }
    Ok(text.join(" "))
}

fn samples(path: &Path) -> Result<Vec<i16>> {
    let (rate, audio) = read_wav(path)?;
    anyhow::ensure!(rate == 48_000, "{path:?} is {rate} Hz");
    Ok(audio
        .iter()
        .map(|s| (s.clamp(-1.0, 1.0) * 32767.0) as i16)
        .collect())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let stt = Sphinx::new(SphinxConfig::default());
    stt.check().await.context("the local recognizer")?;
    let dir = tempfile::tempdir()?;
    let mut sets: Vec<(&str, Vec<Sample>)> = Vec::new();
    let mut espeak = Vec::new();
    let mut flite = Vec::new();
    for (i, answer) in ANSWERS.iter().enumerate() {
        let path = dir.path().join(format!("e{i}.wav"));
        speak(answer, &Voice::default(), &path)?;
        espeak.push(((*answer).to_owned(), samples(&path)?));
        let path = dir.path().join(format!("f{i}.wav"));
        speak_flite(answer, "rms", &path)?;
        flite.push(((*answer).to_owned(), samples(&path)?));
    }
    sets.push(("espeak-ng en-us answers", espeak));
    sets.push(("flite rms answers", flite));
    let transcription = std::fs::read_to_string(format!("{TESTDATA}/transcription"))
        .context("pocketsphinx-testdata")?;
    let mut human = Vec::new();
    for line in transcription.lines() {
        let Some((text, id)) = line.rsplit_once(" (") else {
            continue;
        };
        let reference = text.replace("<s>", "").replace("</s>", "");
        let path = dir.path().join("h.wav");
        to_48k_mono(
            Path::new(&format!("{TESTDATA}/{}.wav", id.trim_end_matches(')'))),
            &path,
        )?;
        human.push((reference.trim().to_owned(), samples(&path)?));
    }
    sets.push(("pocketsphinx-testdata librivox (human)", human));
    println!(
        "local recognizer: Debian pocketsphinx 5prealpha, en-us model, via the product's stream"
    );
    for (name, set) in &sets {
        let (mut wrong, mut total, mut audio) = (0, 0, 0.0);
        let cpu = cpu_seconds();
        let wall = Instant::now();
        for (reference, samples) in set {
            let heard = recognise(&stt, samples).await?;
            let (e, n) = errors(reference, &heard.to_lowercase());
            wrong += e;
            total += n;
            audio += samples.len() as f64 / 48_000.0 + 1.0;
        }
        let cpu = cpu_seconds() - cpu;
        println!(
            "{name}: WER {:.1}% ({wrong}/{total} words), {audio:.1} s of audio, \
             CPU {cpu:.1} s (real-time factor {:.2} on one core), wall {:.1} s",
            100.0 * wrong as f64 / total.max(1) as f64,
            cpu / audio,
            wall.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
