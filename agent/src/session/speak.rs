//! The agent's voice: one task per session synthesizes the engine's sentence chunks in
//! order and hands back 48 kHz audio, so the audio of speech `n` always precedes `n + 1`.

use std::collections::VecDeque;
use std::sync::Arc;

use conversation::SpeechId;
use futures_util::StreamExt;
use providers::ProviderError;
use providers::tts::{PcmStream, Tts};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::transport::SAMPLE_RATE;

/// What the voice task reports.
#[derive(Debug)]
pub(crate) enum Voiced {
    /// More audio of `speech`, 48 kHz mono.
    Audio { speech: SpeechId, samples: Vec<i16> },
    /// All audio of `speech` was delivered (or synthesis failed after some audio).
    Done { speech: SpeechId },
}

enum Command {
    Speak { speech: SpeechId, text: String },
    Cancel,
}

/// The shell's side of the voice task; dropping it ends the task.
pub(crate) struct Speaker {
    commands: mpsc::UnboundedSender<Command>,
    pub events: mpsc::UnboundedReceiver<Voiced>,
    task: tokio::task::JoinHandle<()>,
}

impl Speaker {
    pub fn spawn(tts: Arc<dyn Tts>) -> Self {
        let (commands, rx) = mpsc::unbounded_channel();
        let (tx, events) = mpsc::unbounded_channel();
        // The synthesis loop stays in the job's span; each sentence is a child span.
        let task = tokio::spawn(run(tts, rx, tx).in_current_span());
        Self {
            commands,
            events,
            task,
        }
    }

    /// Queues a sentence for synthesis.
    pub fn speak(&self, speech: SpeechId, text: String) {
        let _ = self.commands.send(Command::Speak { speech, text });
    }

    /// Abandons the sentence being synthesized and every queued one.
    pub fn cancel(&self) {
        let _ = self.commands.send(Command::Cancel);
    }
}

impl Drop for Speaker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(
    tts: Arc<dyn Tts>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Voiced>,
) {
    let mut queue: VecDeque<(SpeechId, String)> = VecDeque::new();
    loop {
        let Some((speech, text)) = queue.pop_front() else {
            match commands.recv().await {
                Some(Command::Speak { speech, text }) => queue.push_back((speech, text)),
                Some(Command::Cancel) => {}
                None => return,
            }
            continue;
        };
        let span = tracing::info_span!(
            "tts",
            speech,
            chars = text.len(),
            first_audio_ms = tracing::field::Empty,
            total_ms = tracing::field::Empty
        );
        let synthesis = synthesize(tts.as_ref(), speech, &text, &events).instrument(span);
        tokio::pin!(synthesis);
        loop {
            tokio::select! {
                () = &mut synthesis => break,
                command = commands.recv() => match command {
                    Some(Command::Speak { speech, text }) => queue.push_back((speech, text)),
                    Some(Command::Cancel) => {
                        queue.clear();
                        break;
                    }
                    None => return,
                },
            }
        }
    }
}

async fn synthesize(
    tts: &dyn Tts,
    speech: SpeechId,
    text: &str,
    events: &mpsc::UnboundedSender<Voiced>,
) {
    let started = tokio::time::Instant::now();
    let mut stream: PcmStream = match tts.synthesize(text).await {
        Ok(s) => s,
        Err(e) => {
            // The engine's first-byte timeout retries the sentence, then apologizes.
            tracing::warn!(error = %e, speech, "synthesis failed");
            return;
        }
    };
    let mut first = true;
    let mut resampler: Option<Linear> = None;
    while let Some(chunk) = stream.next().await {
        if first {
            first = false;
            tracing::Span::current().record("first_audio_ms", started.elapsed().as_millis() as u64);
        }
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, speech, "synthesis stream broke");
                break;
            }
        };
        let r = resampler.get_or_insert_with(|| Linear::new(chunk.sample_rate, SAMPLE_RATE));
        let mut samples = Vec::with_capacity(chunk.samples.len() * 3);
        r.process(&chunk.samples, &mut samples);
        if !samples.is_empty() && events.send(Voiced::Audio { speech, samples }).is_err() {
            return;
        }
    }
    let total = started.elapsed().as_millis() as u64;
    tracing::Span::current().record("total_ms", total);
    tracing::debug!(total_ms = total, "sentence synthesized");
    let _ = events.send(Voiced::Done { speech });
}

/// All of `text` in `tts`'s voice at the transport's rate, resampled as the session does
/// (whole prompts, the tests' reference voice, benchmarks).
pub async fn synthesize_all(tts: &dyn Tts, text: &str) -> Result<Vec<i16>, ProviderError> {
    let mut stream = tts.synthesize(text).await?;
    let mut out = Vec::new();
    let mut resampler = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        resampler
            .get_or_insert_with(|| Linear::new(chunk.sample_rate, SAMPLE_RATE))
            .process(&chunk.samples, &mut out);
    }
    Ok(out)
}

/// Streaming linear-interpolation resampler (speech only: no anti-aliasing needed going up).
#[derive(Debug)]
pub(crate) struct Linear {
    step: f64,
    /// Position of the next output sample, in input samples from `prev`.
    t: f64,
    prev: Option<i16>,
}

impl Linear {
    /// A resampler from `from` Hz to `to` Hz.
    pub fn new(from: u32, to: u32) -> Self {
        Self {
            step: f64::from(from.max(1)) / f64::from(to.max(1)),
            t: 0.0,
            prev: None,
        }
    }

    /// Appends the resampled `input` to `out`, continuing from the previous call.
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) {
        let Some(&last) = input.last() else { return };
        let off = usize::from(self.prev.is_some());
        let len = input.len() + off;
        let prev = self.prev.unwrap_or(0);
        let get = |i: usize| -> f64 {
            if i < off {
                f64::from(prev)
            } else {
                f64::from(input[(i - off).min(input.len() - 1)])
            }
        };
        let end = (len - 1) as f64;
        while self.t <= end {
            let i = self.t as usize;
            let f = self.t - i as f64;
            let (a, b) = (get(i), get((i + 1).min(len - 1)));
            out.push((a + (b - a) * f).round() as i16);
            self.t += self.step;
        }
        self.t -= end;
        self.prev = Some(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_duration_and_shape_across_chunks() {
        let input: Vec<i16> = (0..2400).map(|i| (i % 100) as i16 * 100).collect();
        let mut whole = Vec::new();
        Linear::new(24_000, 48_000).process(&input, &mut whole);
        let mut chunked = Vec::new();
        let mut r = Linear::new(24_000, 48_000);
        for c in input.chunks(37) {
            r.process(c, &mut chunked);
        }
        assert_eq!(whole, chunked);
        assert!((whole.len() as i64 - 4800).abs() <= 2, "{}", whole.len());
        assert_eq!(whole[2], input[1]);
        assert_eq!(whole[3], (input[1] + input[2]) / 2);
    }
}
