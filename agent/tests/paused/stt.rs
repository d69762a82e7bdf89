//! A scripted streaming recognizer in tokio time: each burst of audio energy becomes the
//! next scripted utterance (interim results while it lasts, a final when it ends or is
//! finalized), with word times in stream seconds, like the fake Deepgram but in process.
//! Faults: the "connection" drops mid-answer (results in flight are lost, then it reconnects
//! and re-recognizes the audio no final covered, as the live driver replays it), or the
//! recognizer gives up for good.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use providers::ProviderError;
use providers::stt::{
    BoxFuture, SpeechToText, SttCommand, SttDriver, SttEvent, SttStream, Transcript, Word,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the recognizer says and how it misbehaves.
#[derive(Debug, Clone)]
pub struct SttScript {
    /// One utterance per speech burst, in order.
    pub utterances: Vec<String>,
    /// Delay of every result (tokio time); none by default, like the fake Deepgram of the
    /// real-room tests.
    pub latency: Duration,
    /// Silence (stream seconds) that ends a burst.
    pub endpointing: f64,
    /// Voiced seconds between interim results.
    pub interim_every: f64,
    /// RMS (0..1 of full scale) above which a 10 ms block counts as speech.
    pub rms_gate: f64,
    /// Bursts shorter than this (voiced seconds) are noise, not words.
    pub min_speech: f64,
    /// The connection drops once, when a burst reaches this many voiced seconds.
    pub drop_mid_speech: Option<f64>,
    /// How long a reconnect takes.
    pub reconnect_after: Duration,
    /// After this much audio (stream seconds) the recognizer gives up for good.
    pub give_up_after: Option<f64>,
}

impl Default for SttScript {
    fn default() -> Self {
        Self {
            utterances: Vec::new(),
            latency: Duration::ZERO,
            endpointing: 0.6,
            interim_every: 0.3,
            rms_gate: 0.02,
            min_speech: 0.25,
            drop_mid_speech: None,
            reconnect_after: Duration::from_millis(150),
            give_up_after: None,
        }
    }
}

/// What the recognizer saw and did.
#[derive(Debug, Clone, Default)]
pub struct SttRecord {
    /// Streams opened by the session.
    pub streams: usize,
    /// Connections made (the first of each stream and every reconnect).
    pub connections: usize,
    /// Samples re-recognized after reconnects.
    pub replayed_samples: usize,
    /// Finalize requests.
    pub finalizes: usize,
    /// Final texts sent (non-empty ones).
    pub finals: Vec<String>,
    /// Interim texts sent.
    pub interims: Vec<String>,
}

struct Shared {
    script: SttScript,
    next: VecDeque<String>,
    record: SttRecord,
    dropped: bool,
}

/// The recognizer; clones share the script and the record.
#[derive(Clone)]
pub struct ScriptedStt {
    shared: Arc<Mutex<Shared>>,
}

impl std::fmt::Debug for ScriptedStt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScriptedStt")
    }
}

impl ScriptedStt {
    pub fn new(script: SttScript) -> Self {
        Self {
            shared: Arc::new(Mutex::new(Shared {
                next: script.utterances.iter().cloned().collect(),
                script,
                record: SttRecord::default(),
                dropped: false,
            })),
        }
    }

    /// What happened so far.
    pub fn record(&self) -> SttRecord {
        lock(&self.shared).record.clone()
    }
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl SpeechToText for ScriptedStt {
    fn name(&self) -> &'static str {
        "scripted"
    }

    fn open(&self, sample_rate: u32, _language: Option<&str>) -> SttStream {
        let (stream, driver) = SttStream::pair();
        lock(&self.shared).record.streams += 1;
        tokio::spawn(drive(self.shared.clone(), f64::from(sample_rate), driver));
        stream
    }

    fn check(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Delivers events after the script's latency, in order; dropping it loses what is in
/// flight (a broken socket).
struct Outbox {
    queue: mpsc::UnboundedSender<(Instant, SttEvent)>,
    task: Option<tokio::task::JoinHandle<()>>,
    latency: Duration,
}

impl Outbox {
    fn new(events: mpsc::UnboundedSender<SttEvent>, latency: Duration) -> Self {
        let (queue, mut rx) = mpsc::unbounded_channel::<(Instant, SttEvent)>();
        let task = tokio::spawn(async move {
            while let Some((at, event)) = rx.recv().await {
                tokio::time::sleep_until(at).await;
                if events.send(event).is_err() {
                    return;
                }
            }
        });
        Self {
            queue,
            task: Some(task),
            latency,
        }
    }

    fn send(&self, event: SttEvent) {
        let _ = self.queue.send((Instant::now() + self.latency, event));
    }

    /// Waits until everything queued was delivered.
    async fn flush(mut self) {
        let task = self.task.take();
        drop(self);
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// One recognition stream: the connection's recognizer and what it has not settled.
struct Stream {
    shared: Arc<Mutex<Shared>>,
    script: SttScript,
    rate: f64,
    burst: Burst,
    /// Received samples not yet fed (less than a 10 ms block).
    carry: Vec<i16>,
    /// The audio since the last final result (what a reconnect replays).
    unsettled: Vec<i16>,
    outbox: Outbox,
}

impl Stream {
    fn block(&self) -> usize {
        (self.rate / 100.0) as usize
    }

    fn ingest(&mut self, samples: &[i16]) {
        self.unsettled.extend_from_slice(samples);
        self.carry.extend_from_slice(samples);
        let block = self.block();
        let whole = self.carry.len() / block * block;
        for chunk in self.carry[..whole].chunks(block) {
            for event in self.burst.feed(chunk, &self.script, &self.shared) {
                self.outbox.send(event);
            }
        }
        self.carry.drain(..whole);
        self.settle();
    }

    /// Forgets the audio a final result covered.
    fn settle(&mut self) {
        let received = self.burst.samples + self.carry.len() as u64;
        let keep = received.saturating_sub(self.burst.final_from) as usize;
        let over = self.unsettled.len().saturating_sub(keep);
        self.unsettled.drain(..over);
    }

    /// The connection breaks: what is in flight is lost; after the reconnect the audio no
    /// final covered is recognized again, times unchanged.
    async fn reconnect(&mut self, reconnects: u32, events: &mpsc::UnboundedSender<SttEvent>) {
        let latency = self.script.latency;
        // Dropping the old outbox loses what it still held.
        self.outbox = Outbox::new(events.clone(), latency);
        tokio::time::sleep(self.script.reconnect_after).await;
        let replay = std::mem::take(&mut self.unsettled);
        {
            let mut s = lock(&self.shared);
            s.record.connections += 1;
            s.record.replayed_samples += replay.len();
        }
        let _ = events.send(SttEvent::Reconnected {
            reconnects,
            replayed_samples: replay.len(),
        });
        self.burst = Burst::new(self.rate, self.burst.final_from);
        self.carry.clear();
        self.ingest(&replay);
    }
}

async fn drive(shared: Arc<Mutex<Shared>>, rate: f64, mut driver: SttDriver) {
    let script = lock(&shared).script.clone();
    lock(&shared).record.connections += 1;
    let mut stream = Stream {
        outbox: Outbox::new(driver.events.clone(), script.latency),
        shared: shared.clone(),
        script: script.clone(),
        rate,
        burst: Burst::new(rate, 0),
        carry: Vec::new(),
        unsettled: Vec::new(),
    };
    let mut reconnects = 0u32;
    while let Some(command) = driver.commands.recv().await {
        match command {
            SttCommand::Audio(samples) => {
                stream.ingest(&samples);
                let heard = stream.burst.samples as f64 / rate;
                if script.give_up_after.is_some_and(|s| heard >= s) {
                    let _ = driver.events.send(SttEvent::Closed {
                        error: Some("connection failed: HTTP status 503".into()),
                    });
                    return;
                }
                let burst = &stream.burst;
                let drop_now = script
                    .drop_mid_speech
                    .is_some_and(|d| burst.in_burst && burst.voiced >= d)
                    && !std::mem::replace(&mut lock(&shared).dropped, true);
                if drop_now {
                    reconnects += 1;
                    stream.reconnect(reconnects, &driver.events).await;
                }
            }
            SttCommand::Finalize => {
                lock(&shared).record.finalizes += 1;
                let event = stream.burst.finish(&shared);
                stream.outbox.send(event);
                stream.settle();
            }
            SttCommand::Close => {
                let event = stream.burst.finish(&shared);
                stream.outbox.send(event);
                stream.outbox.send(SttEvent::Closed { error: None });
                stream.outbox.flush().await;
                return;
            }
        }
    }
}

/// The recognizer's state on one connection; positions in stream samples.
struct Burst {
    rate: f64,
    samples: u64,
    in_burst: bool,
    burst_start: u64,
    last_voiced: u64,
    voiced: f64,
    since_interim: f64,
    interims: usize,
    /// Where the audio the next final covers begins.
    final_from: u64,
}

impl Burst {
    fn new(rate: f64, at: u64) -> Self {
        Self {
            rate,
            samples: at,
            in_burst: false,
            burst_start: at,
            last_voiced: at,
            voiced: 0.0,
            since_interim: 0.0,
            interims: 0,
            final_from: at,
        }
    }

    fn seconds(&self, samples: u64) -> f64 {
        samples as f64 / self.rate
    }

    /// Feeds one 10 ms block; returns the results it triggers.
    fn feed(&mut self, block: &[i16], script: &SttScript, shared: &Mutex<Shared>) -> Vec<SttEvent> {
        let mut out = Vec::new();
        let start = self.samples;
        self.samples += block.len() as u64;
        let step = self.seconds(block.len() as u64);
        if super::audio::rms(block) > script.rms_gate {
            if !self.in_burst {
                self.in_burst = true;
                self.burst_start = start;
                self.voiced = 0.0;
                self.since_interim = 0.0;
                self.interims = 0;
                out.push(SttEvent::SpeechStarted {
                    at: self.seconds(start),
                });
            }
            self.last_voiced = self.samples;
            self.voiced += step;
            self.since_interim += step;
            if self.since_interim >= script.interim_every && self.voiced >= script.min_speech {
                self.since_interim = 0.0;
                self.interims += 1;
                let text: Vec<String> = lock(shared)
                    .next
                    .front()
                    .map(|u| {
                        u.split_whitespace()
                            .take(self.interims)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                let text = text.join(" ");
                lock(shared).record.interims.push(text.clone());
                out.push(self.result(&text, false));
            }
        } else if self.in_burst
            && self.seconds(self.samples - self.last_voiced) >= script.endpointing
        {
            out.push(self.finish(shared));
            out.push(SttEvent::UtteranceEnd {
                last_word_end: self.seconds(self.last_voiced),
            });
        } else if !self.in_burst && self.seconds(self.samples - self.final_from) >= 1.0 {
            out.push(self.result("", true));
            self.final_from = self.samples;
        }
        out
    }

    /// Ends the burst in progress with a final result (empty for noise or silence).
    fn finish(&mut self, shared: &Mutex<Shared>) -> SttEvent {
        let mut s = lock(shared);
        let speech = self.in_burst && self.voiced >= s.script.min_speech;
        let text = if speech {
            s.next.pop_front().unwrap_or_default()
        } else {
            String::new()
        };
        if !text.is_empty() {
            s.record.finals.push(text.clone());
        }
        drop(s);
        self.in_burst = false;
        let event = self.result(&text, true);
        self.final_from = self.samples;
        event
    }

    fn result(&self, text: &str, is_final: bool) -> SttEvent {
        let words: Vec<&str> = text.split_whitespace().collect();
        let from = self.seconds(self.burst_start);
        let to = self.seconds(self.last_voiced.max(self.burst_start));
        let step = (to - from) / words.len().max(1) as f64;
        let words = words
            .iter()
            .enumerate()
            .map(|(i, w)| Word {
                word: w
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '\'')
                    .collect::<String>()
                    .to_lowercase(),
                start: from + step * i as f64,
                end: from + step * (i + 1) as f64,
                confidence: 0.98,
            })
            .collect();
        let start = self.seconds(self.final_from);
        SttEvent::Transcript(Transcript {
            text: text.to_owned(),
            words,
            is_final,
            speech_final: is_final,
            start,
            duration: self.seconds(self.samples) - start,
            confidence: 0.98,
        })
    }
}
