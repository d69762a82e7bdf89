//! The agent's voice: one task per session synthesizes the engine's sentence chunks in
//! order and hands back 48 kHz audio, so the audio of speech `n` always precedes `n + 1`.
//!
//! A speculative reply's first sentence can be synthesized ahead ([`Speaker::prepare`]): its
//! request runs in a task of its own and its audio waits, unplayed, until a sentence of
//! exactly that text is spoken (the turn committed and used the speculation); any other
//! sentence, a newer preparation or [`Speaker::drop_prepared`] drops it, request and all.

use std::collections::VecDeque;
use std::sync::Arc;

use conversation::SpeechId;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use providers::ProviderError;
use providers::tts::{PcmChunk, PcmStream, Tts};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
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
    Prepare { text: String },
    DropPrepared,
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

    /// Starts synthesizing `text` ahead, for a later [`Speaker::speak`] of the same text;
    /// replaces any sentence prepared before.
    pub fn prepare(&self, text: String) {
        let _ = self.commands.send(Command::Prepare { text });
    }

    /// Drops the sentence prepared ahead, if any (its request is cancelled).
    pub fn drop_prepared(&self) {
        let _ = self.commands.send(Command::DropPrepared);
    }

    /// Abandons the sentence being synthesized and every queued one.
    pub fn cancel(&self) {
        let _ = self.commands.send(Command::Cancel);
    }
}

/// A sentence synthesized ahead of its `Speak`.
struct Ahead {
    text: String,
    items: mpsc::UnboundedReceiver<AheadItem>,
    task: AbortOnDrop,
}

enum AheadItem {
    /// The request failed before any audio (as `Tts::synthesize` would have returned).
    Failed(ProviderError),
    Chunk(Result<PcmChunk, ProviderError>),
}

/// Cancels the task (and so its TTS request) when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Ahead {
    fn start(tts: Arc<dyn Tts>, text: String) -> Self {
        let (tx, items) = mpsc::unbounded_channel();
        let request = text.clone();
        let task = tokio::spawn(
            async move {
                match tts.synthesize(&request).await {
                    Err(e) => {
                        let _ = tx.send(AheadItem::Failed(e));
                    }
                    Ok(mut stream) => {
                        while let Some(chunk) = stream.next().await {
                            if tx.send(AheadItem::Chunk(chunk)).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
            .in_current_span(),
        );
        Self {
            text,
            items,
            task: AbortOnDrop(task),
        }
    }

    /// The synthesis as `Tts::synthesize` returns it: the audio so far, then the rest as it
    /// comes.
    async fn open(self) -> Result<PcmStream, ProviderError> {
        let Self {
            mut items, task, ..
        } = self;
        let first = match items.recv().await {
            Some(AheadItem::Failed(e)) => return Err(e),
            Some(AheadItem::Chunk(chunk)) => Some(chunk),
            None => None,
        };
        let rest = futures_util::stream::unfold((items, task), |(mut items, task)| async move {
            match items.recv().await {
                Some(AheadItem::Chunk(chunk)) => Some((chunk, (items, task))),
                _ => None,
            }
        });
        Ok(Box::pin(futures_util::stream::iter(first).chain(rest)))
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
    let mut prepared: Option<Ahead> = None;
    // One command while idle or synthesizing; false once the shell is gone.
    let handle = |command: Option<Command>,
                  queue: &mut VecDeque<(SpeechId, String)>,
                  prepared: &mut Option<Ahead>|
     -> Option<bool> {
        match command? {
            Command::Speak { speech, text } => queue.push_back((speech, text)),
            Command::Prepare { text } => *prepared = Some(Ahead::start(tts.clone(), text)),
            Command::DropPrepared => *prepared = None,
            Command::Cancel => {
                queue.clear();
                return Some(true);
            }
        }
        Some(false)
    };
    loop {
        let Some((speech, text)) = queue.pop_front() else {
            if handle(commands.recv().await, &mut queue, &mut prepared).is_none() {
                return;
            }
            continue;
        };
        // A sentence prepared ahead is used only for exactly its text; any other drops it.
        let ahead = prepared.take().filter(|a| a.text == text);
        let span = tracing::info_span!(
            "tts",
            speech,
            chars = text.len(),
            ahead = ahead.is_some(),
            first_audio_ms = tracing::field::Empty,
            total_ms = tracing::field::Empty
        );
        let open: BoxFuture<'_, Result<PcmStream, ProviderError>> = match ahead {
            Some(a) => Box::pin(a.open()),
            None => tts.synthesize(&text),
        };
        let synthesis = synthesize(open, speech, &events).instrument(span);
        tokio::pin!(synthesis);
        loop {
            tokio::select! {
                () = &mut synthesis => break,
                command = commands.recv() => match handle(command, &mut queue, &mut prepared) {
                    None => return,
                    Some(true) => break,
                    Some(false) => {}
                },
            }
        }
    }
}

async fn synthesize(
    open: BoxFuture<'_, Result<PcmStream, ProviderError>>,
    speech: SpeechId,
    events: &mpsc::UnboundedSender<Voiced>,
) {
    let started = tokio::time::Instant::now();
    let mut stream: PcmStream = match open.await {
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
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    /// A voice whose first byte takes 200 ms (tokio time); it records every request and
    /// speaks each one as one 48 kHz chunk, 10 samples per character.
    struct SlowVoice {
        requests: Mutex<Vec<String>>,
    }

    impl Tts for SlowVoice {
        fn synthesize(&self, text: &str) -> BoxFuture<'_, Result<PcmStream, ProviderError>> {
            let text = text.to_owned();
            Box::pin(async move {
                self.requests
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(text.clone());
                tokio::time::sleep(Duration::from_millis(200)).await;
                let chunk = PcmChunk {
                    sample_rate: SAMPLE_RATE,
                    samples: vec![1_000; text.len() * 10],
                    since_request: Duration::from_millis(200),
                };
                Ok(Box::pin(futures_util::stream::iter([Ok(chunk)])) as PcmStream)
            })
        }
    }

    fn voice() -> (Arc<SlowVoice>, Speaker) {
        let tts = Arc::new(SlowVoice {
            requests: Mutex::new(Vec::new()),
        });
        let speaker = Speaker::spawn(tts.clone());
        (tts, speaker)
    }

    /// The audio of `speech` (until its `Done`) and when its first samples came.
    async fn heard(speaker: &mut Speaker, speech: SpeechId) -> (usize, tokio::time::Instant) {
        let mut samples = 0;
        let mut first = None;
        while let Some(event) = speaker.events.recv().await {
            match event {
                Voiced::Audio {
                    speech: s,
                    samples: a,
                } if s == speech => {
                    first.get_or_insert_with(tokio::time::Instant::now);
                    samples += a.len();
                }
                Voiced::Done { speech: s } if s == speech => break,
                _ => {}
            }
        }
        (samples, first.expect("audio"))
    }

    #[tokio::test(start_paused = true)]
    async fn a_sentence_prepared_ahead_is_spoken_from_its_early_request() {
        let (tts, mut speaker) = voice();
        let t0 = tokio::time::Instant::now();
        speaker.prepare("Interesting.".into());
        // The turn commits 200 ms later: the audio is ready, no second request is made.
        tokio::time::sleep(Duration::from_millis(200)).await;
        speaker.speak(1, "Interesting.".into());
        let (samples, first) = heard(&mut speaker, 1).await;
        assert_eq!(samples, "Interesting.".len() * 10);
        assert_eq!(first - t0, Duration::from_millis(200));
        assert_eq!(*tts.requests.lock().expect("requests"), ["Interesting."]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_prepared_sentence_is_not_used_for_other_text_or_after_it_was_dropped() {
        let (tts, mut speaker) = voice();
        speaker.prepare("Wrong.".into());
        speaker.speak(1, "Right.".into());
        let (samples, _) = heard(&mut speaker, 1).await;
        assert_eq!(samples, "Right.".len() * 10);
        // A dropped preparation is not used even for its own text.
        speaker.prepare("Again.".into());
        speaker.drop_prepared();
        let t0 = tokio::time::Instant::now();
        speaker.speak(2, "Again.".into());
        let (_, first) = heard(&mut speaker, 2).await;
        assert_eq!(first - t0, Duration::from_millis(200), "a fresh request");
        // The dropped preparations may have been cancelled before they asked.
        let requests = tts.requests.lock().expect("requests").clone();
        let asked = |text: &str| requests.iter().filter(|r| *r == text).count();
        assert_eq!(asked("Right."), 1, "{requests:?}");
        assert_eq!(requests.last().map(String::as_str), Some("Again."));
    }

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
