//! The local, offline recognizer: Debian's pocketsphinx with its US English model, one
//! decoder on a thread of its own per stream.
//!
//! The decoder's own silence detector splits the stream into utterances: when it hears
//! speech begin the stream reports [`SttEvent::SpeechStarted`]; every half second of speech
//! an interim result; when it hears the speech end (or the owner asks with
//! [`SttStream::finalize`], or an utterance reaches [`MAX_UTTERANCE`]) the final result with
//! word times and confidences, then [`SttEvent::UtteranceEnd`]. Audio at the transport's
//! 48 kHz is resampled to the model's 16 kHz first.
//!
//! **Invariant:** word times are seconds since the stream began: a decoder's frames count
//! from its utterance's start, and the stream keeps each utterance's origin.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use dsp::frame::SampleRate;
use dsp::resample::Resampler;
use sphinx::{Decoder, Library, Model};
use tokio::sync::mpsc;

use super::{BoxFuture, SpeechToText, SttCommand, SttEvent, SttStream, Transcript, Word};
use crate::ProviderError;

/// An interim result at most this often (seconds of audio).
const INTERIM_EVERY: f64 = 0.5;
/// An utterance this long is finalised even if the speaker has not stopped.
pub const MAX_UTTERANCE: f64 = 30.0;
/// An utterance of silence alone is restarted after this long, so frame counts stay small.
const IDLE_RESTART: f64 = 10.0;

/// Where the library and the model are.
#[derive(Debug, Clone)]
pub struct SphinxConfig {
    /// `libpocketsphinx.so.3` by name or path.
    pub library: String,
    /// `libsphinxbase.so.3` by name or path.
    pub base_library: String,
    /// The model directory (Debian's `/usr/share/pocketsphinx/model/en-us`).
    pub model: PathBuf,
}

impl Default for SphinxConfig {
    fn default() -> Self {
        Self {
            library: sphinx::DEFAULT_LIBRARY.into(),
            base_library: sphinx::DEFAULT_BASE_LIBRARY.into(),
            model: sphinx::DEFAULT_MODEL.into(),
        }
    }
}

/// pocketsphinx as a [`SpeechToText`].
#[derive(Debug)]
pub struct Sphinx {
    config: SphinxConfig,
    library: OnceLock<Arc<Library>>,
}

impl Sphinx {
    pub fn new(config: SphinxConfig) -> Self {
        Self {
            config,
            library: OnceLock::new(),
        }
    }

    fn library(&self) -> Result<Arc<Library>, sphinx::Error> {
        if let Some(lib) = self.library.get() {
            return Ok(Arc::clone(lib));
        }
        let lib = Library::load(&self.config.library, &self.config.base_library)?;
        Ok(Arc::clone(self.library.get_or_init(|| lib)))
    }

    /// A decoder with the model loaded (a quarter to half a second).
    fn decoder(&self) -> Result<Decoder, sphinx::Error> {
        let lib = self.library()?;
        Decoder::new(&lib, &Model::in_dir(&self.config.model)?)
    }
}

impl SpeechToText for Sphinx {
    fn name(&self) -> &'static str {
        "pocketsphinx"
    }

    fn open(&self, sample_rate: u32, language: Option<&str>) -> SttStream {
        let (stream, driver) = SttStream::pair();
        let events = driver.events;
        if let Some(language) = language.filter(|l| !l.starts_with("en")) {
            let _ = events.send(SttEvent::Closed {
                error: Some(format!(
                    "the local recognizer knows English only, and this interview is in `{language}`"
                )),
            });
            return stream;
        }
        let decoder = self.decoder();
        let spawned = std::thread::Builder::new()
            .name("stt-sphinx".into())
            .spawn({
                let events = events.clone();
                move || match decoder {
                    Ok(decoder) => run(decoder, sample_rate, driver.commands, &events),
                    Err(e) => {
                        let _ = events.send(SttEvent::Closed {
                            error: Some(e.to_string()),
                        });
                    }
                }
            });
        if let Err(e) = spawned {
            let _ = events.send(SttEvent::Closed {
                error: Some(format!("no recognizer thread: {e}")),
            });
        }
        stream
    }

    fn check(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let library = self
                .library()
                .map_err(|e| ProviderError::Local(e.to_string()))?;
            let model = self.config.model.clone();
            tokio::task::spawn_blocking(move || Decoder::new(&library, &Model::in_dir(&model)?))
                .await
                .map_err(|e| ProviderError::Local(e.to_string()))?
                .map(drop)
                .map_err(|e| ProviderError::Local(e.to_string()))
        })
    }
}

/// The stream's bookkeeping around one decoder.
struct Stream<'a> {
    decoder: Decoder,
    events: &'a mpsc::UnboundedSender<SttEvent>,
    /// 16 kHz samples fed since the stream began.
    fed: u64,
    /// `fed` when the current utterance started.
    origin: u64,
    /// The resampler's delay, in seconds, taken off every time.
    delay: f64,
    speaking: bool,
    /// `fed` at the last interim result.
    interim_at: u64,
    last_interim: String,
}

const RATE: f64 = sphinx::SAMPLE_RATE as f64;

impl Stream<'_> {
    fn seconds(samples: u64) -> f64 {
        samples as f64 / RATE
    }

    fn feed(&mut self, samples: &[i16]) -> Result<(), sphinx::Error> {
        self.decoder.process(samples)?;
        self.fed += samples.len() as u64;
        let now = self.decoder.in_speech();
        if now && !self.speaking {
            self.speaking = true;
            // The detector needs about a tenth of a second of speech to decide.
            let at = (Self::seconds(self.fed) - 0.1).max(Self::seconds(self.origin));
            let _ = self.events.send(SttEvent::SpeechStarted { at });
        } else if !now && self.speaking {
            self.speaking = false;
            return self.settle(true);
        }
        let length = Self::seconds(self.fed - self.origin);
        if self.speaking && length >= MAX_UTTERANCE {
            return self.settle(false);
        }
        if !self.speaking && length >= IDLE_RESTART {
            return self.settle(false);
        }
        if self.speaking && Self::seconds(self.fed - self.interim_at) >= INTERIM_EVERY {
            self.interim_at = self.fed;
            if let Some(result) = self.result(false, false)
                && result.text != self.last_interim
            {
                self.last_interim.clone_from(&result.text);
                let _ = self.events.send(SttEvent::Transcript(result));
            }
        }
        Ok(())
    }

    /// The decoder's current words as a result.
    fn result(&self, is_final: bool, speech_final: bool) -> Option<Transcript> {
        let origin = Self::seconds(self.origin) - self.delay;
        let words: Vec<Word> = self
            .decoder
            .segments()
            .into_iter()
            .map(|s| Word {
                word: s.word,
                start: (origin + f64::from(s.start_frame) / sphinx::FRAME_RATE).max(0.0),
                end: (origin + f64::from(s.end_frame + 1) / sphinx::FRAME_RATE).max(0.0),
                confidence: s.probability as f32,
            })
            .collect();
        let (first, last) = (words.first()?, words.last()?);
        let (start, end) = (first.start, last.end);
        let confidence = words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32;
        Some(Transcript {
            text: words
                .iter()
                .map(|w| w.word.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            is_final,
            speech_final,
            start,
            duration: (end - start).max(0.0),
            confidence,
            words,
        })
    }

    /// Ends the utterance: its final result (if it has words) and a new utterance.
    fn settle(&mut self, speech_final: bool) -> Result<(), sphinx::Error> {
        self.decoder.end()?;
        if let Some(result) = self.result(true, speech_final) {
            let last_word_end = result.start + result.duration;
            let _ = self.events.send(SttEvent::Transcript(result));
            if speech_final {
                let _ = self.events.send(SttEvent::UtteranceEnd { last_word_end });
            }
        }
        self.origin = self.fed;
        self.interim_at = self.fed;
        self.last_interim.clear();
        self.speaking = false;
        self.decoder.start()
    }
}

fn run(
    decoder: Decoder,
    sample_rate: u32,
    mut commands: mpsc::UnboundedReceiver<SttCommand>,
    events: &mpsc::UnboundedSender<SttEvent>,
) {
    let fail = |e: &dyn std::fmt::Display| {
        let _ = events.send(SttEvent::Closed {
            error: Some(format!("the local recognizer failed: {e}")),
        });
    };
    let mut resampler = match SampleRate::new(sample_rate).and_then(|r| Resampler::new(r, 20)) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let mut stream = Stream {
        decoder,
        events,
        fed: 0,
        origin: 0,
        delay: resampler.output_delay() as f64 / RATE,
        speaking: false,
        interim_at: 0,
        last_interim: String::new(),
    };
    if let Err(e) = stream.decoder.start() {
        return fail(&e);
    }
    let chunk = resampler.input_len();
    let mut pending: Vec<f32> = Vec::with_capacity(chunk * 2);
    let mut out = vec![0.0f32; resampler.output_len_max()];
    let mut pcm: Vec<i16> = Vec::with_capacity(out.len());
    while let Some(command) = commands.blocking_recv() {
        let step = match command {
            SttCommand::Audio(samples) => {
                pending.extend(samples.iter().map(|&s| f32::from(s) / 32768.0));
                let mut result = Ok(());
                let mut used = 0;
                while pending.len() - used >= chunk && result.is_ok() {
                    let written = match resampler
                        .process_into_buffer(&pending[used..used + chunk], &mut out)
                    {
                        Ok(n) => n,
                        Err(e) => return fail(&e),
                    };
                    used += chunk;
                    pcm.clear();
                    pcm.extend(
                        out[..written]
                            .iter()
                            .map(|&s| (s.clamp(-1.0, 1.0) * 32767.0) as i16),
                    );
                    result = stream.feed(&pcm);
                }
                pending.drain(..used);
                result
            }
            SttCommand::Finalize => stream.settle(true),
            SttCommand::Close => {
                if let Err(e) = stream.settle(true) {
                    return fail(&e);
                }
                let _ = events.send(SttEvent::Closed { error: None });
                return;
            }
        };
        if let Err(e) = step {
            return fail(&e);
        }
    }
}
