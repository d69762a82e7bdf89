//! An OpenAI-compatible transcription server (`POST {base}/audio/transcriptions`), the
//! interface self-hosted Whisper servers speak: one request per speech segment.
//!
//! The stream keeps the audio (resampled to 16 kHz) since the last final result. When the
//! owner says a segment is over ([`SttStream::finalize`], sent at the VAD's speech end) the
//! segment, trimmed of its leading silence, goes out as a WAV file with
//! `response_format=verbose_json` and `timestamp_granularities[]=word`; the answer's words
//! come back as one final result with times in seconds since the stream began. With
//! `stream` set, the request asks for `stream=true` and a server that answers with
//! server-sent events (`transcript.text.delta` / `transcript.text.done`) gives interim
//! results as its text arrives; its words are then spread over the segment.
//!
//! A segment that fails is retried (three attempts with backoff, honouring `Retry-After`);
//! one that still fails ends the stream with the error: a recognizer that stays down is
//! never a silent deaf session.

use std::time::Duration;

use dsp::frame::SampleRate;
use dsp::resample::Resampler;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::{BoxFuture, SpeechToText, SttCommand, SttEvent, SttStream, Transcript, Word};
use crate::ProviderError;
use crate::retry::RetryPolicy;

/// The model's rate; segments are sent at it.
const RATE: u32 = 16_000;
/// At most this much audio is kept for one segment (the latest part).
pub const MAX_SEGMENT_SECONDS: f64 = 30.0;
/// A 20 ms frame quieter than this (RMS, dBFS) is silence for trimming.
const SILENCE_DBFS: f64 = -50.0;
/// A segment needs this many voiced 20 ms frames to be sent.
const MIN_VOICED_FRAMES: usize = 5;
/// Audio kept before the first voiced frame.
const LEAD_IN_SECONDS: f64 = 0.2;

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct TranscribeConfig {
    /// `http://127.0.0.1:8000/v1` (the path `/audio/transcriptions` is appended).
    pub base_url: String,
    /// Sent as `Authorization: Bearer <key>`; never logged.
    pub api_key: Option<String>,
    pub model: String,
    /// Ask for `stream=true` (interim results from servers that stream).
    pub stream: bool,
    /// Bound on one request.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl TranscribeConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            model: "whisper-1".into(),
            stream: false,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }

    fn url(&self) -> String {
        format!(
            "{}/audio/transcriptions",
            self.base_url.trim_end_matches('/')
        )
    }
}

/// The transcription server as a [`SpeechToText`].
#[derive(Debug, Clone)]
pub struct Transcriptions {
    config: TranscribeConfig,
    client: reqwest::Client,
}

impl Transcriptions {
    pub fn new(config: TranscribeConfig) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(ProviderError::from_reqwest)?;
        Ok(Self { config, client })
    }
}

impl SpeechToText for Transcriptions {
    fn name(&self) -> &'static str {
        "transcriptions"
    }

    fn open(&self, sample_rate: u32, language: Option<&str>) -> SttStream {
        let (stream, driver) = SttStream::pair();
        let (segments, segment_rx) = mpsc::unbounded_channel();
        let requester = Requester {
            service: self.clone(),
            language: language.map(str::to_owned),
            events: driver.events.clone(),
        };
        tokio::spawn(requester.run(segment_rx));
        tokio::spawn(collect(
            sample_rate,
            driver.commands,
            driver.events,
            segments,
        ));
        stream
    }

    fn check(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            // Half a second of silence: the endpoint answers and the key is accepted.
            let wav = wav(&vec![0; RATE as usize / 2]);
            self.request(&wav, None).await.map(drop)
        })
    }
}

/// One finished segment: its audio and where it starts in the stream (seconds).
struct Segment {
    origin: f64,
    samples: Vec<i16>,
}

/// Gathers audio into segments; the segment goes to the requester on `Finalize`.
async fn collect(
    sample_rate: u32,
    mut commands: mpsc::UnboundedReceiver<SttCommand>,
    events: mpsc::UnboundedSender<SttEvent>,
    segments: mpsc::UnboundedSender<Option<Segment>>,
) {
    let mut resampler = match SampleRate::new(sample_rate).and_then(|r| Resampler::new(r, 20)) {
        Ok(r) => r,
        Err(e) => {
            let _ = events.send(SttEvent::Closed {
                error: Some(format!("cannot take {sample_rate} Hz audio: {e}")),
            });
            return;
        }
    };
    let delay = resampler.output_delay() as f64 / f64::from(RATE);
    let chunk = resampler.input_len();
    let mut pending: Vec<f32> = Vec::new();
    let mut out = vec![0.0f32; resampler.output_len_max()];
    let max = (MAX_SEGMENT_SECONDS * f64::from(RATE)) as usize;
    let mut segment: Vec<i16> = Vec::new();
    // 16 kHz samples produced since the stream began, and where `segment` starts.
    let mut produced = 0u64;
    let mut origin = 0u64;
    while let Some(command) = commands.recv().await {
        match command {
            SttCommand::Audio(samples) => {
                pending.extend(samples.iter().map(|&s| f32::from(s) / 32768.0));
                let mut used = 0;
                while pending.len() - used >= chunk {
                    let Ok(n) =
                        resampler.process_into_buffer(&pending[used..used + chunk], &mut out)
                    else {
                        break;
                    };
                    used += chunk;
                    segment.extend(
                        out[..n]
                            .iter()
                            .map(|&s| (s.clamp(-1.0, 1.0) * 32767.0) as i16),
                    );
                    produced += n as u64;
                }
                pending.drain(..used);
                if segment.len() > max {
                    let excess = segment.len() - max;
                    segment.drain(..excess);
                    origin += excess as u64;
                }
            }
            SttCommand::Finalize | SttCommand::Close => {
                let close = matches!(command, SttCommand::Close);
                let samples = std::mem::take(&mut segment);
                let start = origin as f64 / f64::from(RATE) - delay;
                origin = produced;
                if let Some(trimmed) = trim(samples, start) {
                    let _ = segments.send(Some(trimmed));
                }
                if close {
                    let _ = segments.send(None);
                    return;
                }
            }
        }
    }
    let _ = segments.send(None);
}

/// The segment from shortly before its first voiced frame; `None` if nothing is voiced.
fn trim(samples: Vec<i16>, origin: f64) -> Option<Segment> {
    const FRAME: usize = RATE as usize / 50;
    let threshold = 32768.0 * 10f64.powf(SILENCE_DBFS / 20.0);
    let loud = |frame: &[i16]| {
        let energy: f64 = frame.iter().map(|&s| f64::from(s).powi(2)).sum();
        (energy / frame.len() as f64).sqrt() > threshold
    };
    // Fewer voiced frames than this is a click or the resampler's tail of the last segment.
    if samples.chunks(FRAME).filter(|f| loud(f)).count() < MIN_VOICED_FRAMES {
        return None;
    }
    // Speech starts at the first run of three voiced frames (the resampler's tail of the
    // previous segment is at most two).
    let flags: Vec<bool> = samples.chunks(FRAME).map(loud).collect();
    let voiced = flags.windows(3).position(|w| w.iter().all(|&v| v))?;
    let lead = (LEAD_IN_SECONDS * f64::from(RATE)) as usize;
    let from = (voiced * FRAME).saturating_sub(lead);
    Some(Segment {
        origin: origin + from as f64 / f64::from(RATE),
        samples: samples[from..].to_vec(),
    })
}

/// A mono 16-bit WAV file of 16 kHz samples.
fn wav(samples: &[i16]) -> Vec<u8> {
    let data = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// The `verbose_json` answer (and the plain `json` one, which has only `text`).
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    text: String,
    #[serde(default)]
    words: Vec<AnswerWord>,
    #[serde(default)]
    segments: Vec<AnswerSegment>,
}

#[derive(Debug, Deserialize)]
struct AnswerWord {
    word: String,
    start: f64,
    end: f64,
}

#[derive(Debug, Deserialize)]
struct AnswerSegment {
    #[serde(default)]
    avg_logprob: Option<f64>,
}

/// One server-sent event of a streamed transcription.
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum StreamEvent {
    #[serde(rename = "transcript.text.delta")]
    Delta { delta: String },
    #[serde(rename = "transcript.text.done")]
    Done { text: String },
    #[serde(other)]
    Other,
}

/// What one request gave: the text, its words (segment-relative) if the server timed them,
/// and a confidence.
struct Heard {
    text: String,
    words: Vec<AnswerWord>,
    confidence: f32,
}

impl Transcriptions {
    /// Posts one WAV; interim texts go to `interim` when the server streams.
    async fn request(
        &self,
        wav: &[u8],
        interim: Option<&(dyn Fn(&str) + Sync)>,
    ) -> Result<Heard, ProviderError> {
        self.request_in(wav, None, interim).await
    }

    async fn request_in(
        &self,
        wav: &[u8],
        language: Option<&str>,
        interim: Option<&(dyn Fn(&str) + Sync)>,
    ) -> Result<Heard, ProviderError> {
        let file = reqwest::multipart::Part::bytes(wav.to_vec())
            .file_name("segment.wav")
            .mime_str("audio/wav")
            .map_err(ProviderError::from_reqwest)?;
        let mut form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("model", self.config.model.clone())
            .text("response_format", "verbose_json")
            .text("timestamp_granularities[]", "word")
            .text("temperature", "0");
        if let Some(language) = language {
            form = form.text("language", language.to_owned());
        }
        if self.config.stream {
            form = form.text("stream", "true");
        }
        let mut request = self.client.post(self.config.url()).multipart(form);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(ProviderError::from_reqwest)?;
        if !response.status().is_success() {
            return Err(ProviderError::from_response(&response));
        }
        let streamed = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if streamed {
            return streamed_answer(response, interim).await;
        }
        let answer: Answer = response
            .json()
            .await
            .map_err(|e| ProviderError::Protocol(e.without_url().to_string()))?;
        let logprobs: Vec<f64> = answer
            .segments
            .iter()
            .filter_map(|s| s.avg_logprob)
            .collect();
        let confidence = if logprobs.is_empty() {
            1.0
        } else {
            (logprobs.iter().sum::<f64>() / logprobs.len() as f64)
                .exp()
                .clamp(0.0, 1.0) as f32
        };
        Ok(Heard {
            text: answer.text.trim().to_owned(),
            words: answer.words,
            confidence,
        })
    }
}

async fn streamed_answer(
    response: reqwest::Response,
    interim: Option<&(dyn Fn(&str) + Sync)>,
) -> Result<Heard, ProviderError> {
    use eventsource_stream::Eventsource;
    let mut events = response.bytes_stream().eventsource();
    let mut text = String::new();
    while let Some(event) = events.next().await {
        let event = event.map_err(|e| ProviderError::Protocol(e.to_string()))?;
        if event.data.trim() == "[DONE]" {
            break;
        }
        match serde_json::from_str::<StreamEvent>(&event.data) {
            Ok(StreamEvent::Delta { delta }) => {
                text.push_str(&delta);
                if let Some(interim) = interim {
                    interim(text.trim());
                }
            }
            Ok(StreamEvent::Done { text: done }) => {
                text = done;
                break;
            }
            Ok(StreamEvent::Other) => {}
            Err(e) => return Err(ProviderError::Protocol(e.to_string())),
        }
    }
    Ok(Heard {
        text: text.trim().to_owned(),
        words: Vec::new(),
        confidence: 1.0,
    })
}

/// Sends the segments, one at a time in order, and reports what was heard.
struct Requester {
    service: Transcriptions,
    language: Option<String>,
    events: mpsc::UnboundedSender<SttEvent>,
}

impl Requester {
    async fn run(self, mut segments: mpsc::UnboundedReceiver<Option<Segment>>) {
        while let Some(Some(segment)) = segments.recv().await {
            if let Err(e) = self.transcribe(&segment).await {
                let _ = self.events.send(SttEvent::Closed {
                    error: Some(format!("the transcription server failed: {e}")),
                });
                return;
            }
        }
        let _ = self.events.send(SttEvent::Closed { error: None });
    }

    async fn transcribe(&self, segment: &Segment) -> Result<(), ProviderError> {
        let wav = wav(&segment.samples);
        let seconds = segment.samples.len() as f64 / f64::from(RATE);
        let origin = segment.origin.max(0.0);
        let interim = |text: &str| {
            let _ = self.events.send(SttEvent::Transcript(result(
                text,
                &[],
                origin,
                seconds,
                1.0,
                false,
            )));
        };
        let retry = &self.service.config.retry;
        let mut attempt = 0;
        let heard = loop {
            match self
                .service
                .request_in(&wav, self.language.as_deref(), Some(&interim))
                .await
            {
                Ok(heard) => break heard,
                Err(e) if e.is_retryable() && attempt + 1 < retry.max_attempts => {
                    let wait = retry.delay(attempt + 1, &e);
                    tracing::warn!(error = %e, attempt, "transcription failed; retrying");
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e),
            }
        };
        if heard.text.is_empty() {
            return Ok(());
        }
        let final_result = result(
            &heard.text,
            &heard.words,
            origin,
            seconds,
            heard.confidence,
            true,
        );
        let last_word_end = final_result.start + final_result.duration;
        let _ = self.events.send(SttEvent::Transcript(final_result));
        let _ = self.events.send(SttEvent::UtteranceEnd { last_word_end });
        Ok(())
    }
}

/// A result for `text` heard in the segment starting at `origin` (seconds) and lasting
/// `seconds`: the server's word times where it gave them, else the words spread evenly.
fn result(
    text: &str,
    timed: &[AnswerWord],
    origin: f64,
    seconds: f64,
    confidence: f32,
    is_final: bool,
) -> Transcript {
    let words: Vec<Word> = if timed.is_empty() {
        let plain: Vec<&str> = text.split_whitespace().collect();
        let step = seconds / plain.len().max(1) as f64;
        plain
            .iter()
            .enumerate()
            .map(|(i, w)| Word {
                word: (*w).to_owned(),
                start: origin + step * i as f64,
                end: origin + step * (i + 1) as f64,
                confidence,
            })
            .collect()
    } else {
        timed
            .iter()
            .filter(|w| w.start.is_finite() && w.end.is_finite())
            .map(|w| Word {
                word: w.word.trim().to_owned(),
                start: origin + w.start.clamp(0.0, seconds),
                end: origin + w.end.clamp(0.0, seconds),
                confidence,
            })
            .collect()
    };
    let start = words.first().map_or(origin, |w| w.start);
    let end = words.last().map_or(origin + seconds, |w| w.end);
    Transcript {
        text: text.to_owned(),
        words,
        is_final,
        speech_final: is_final,
        start,
        duration: (end - start).max(0.0),
        confidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_keeps_a_lead_in_before_the_first_voiced_frame() {
        let mut samples = vec![0i16; 16_000];
        samples.extend(std::iter::repeat_n(3_000i16, 1_600));
        let segment = trim(samples, 2.0).expect("voiced");
        assert!((segment.origin - 2.8).abs() < 0.021, "{}", segment.origin);
        assert_eq!(segment.samples.len(), 3_200 + 1_600);
        assert!(trim(vec![0; 16_000], 0.0).is_none());
    }

    #[test]
    fn words_without_times_are_spread_over_the_segment() {
        let r = result("one two", &[], 1.0, 2.0, 0.9, true);
        assert_eq!(r.words.len(), 2);
        assert!((r.words[1].start - 2.0).abs() < 1e-9 && (r.start - 1.0).abs() < 1e-9);
        let timed = [AnswerWord {
            word: " hi".into(),
            start: 0.5,
            end: 99.0,
        }];
        let r = result("hi", &timed, 1.0, 2.0, 0.9, true);
        assert_eq!(r.words[0].word, "hi");
        assert!(
            (r.words[0].end - 3.0).abs() < 1e-9,
            "clamped to the segment"
        );
    }

    #[test]
    fn the_wav_header_describes_the_samples() {
        let bytes = wav(&[1, -1, 2]);
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(bytes.len(), 44 + 6);
        assert_eq!(
            u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]),
            16_000
        );
    }
}
