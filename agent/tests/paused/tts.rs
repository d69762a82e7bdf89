//! A scripted voice in tokio time: every text becomes a known stretch of voiced audio
//! (its length follows the text), streamed in chunks faster than real time after a time to
//! first byte. Faults: the first requests hang (no byte ever comes).

use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::BoxFuture;
use providers::ProviderError;
use providers::tts::{PcmChunk, PcmStream, Tts};

/// The voice's rate: the transport's, so the session plays the samples unchanged.
pub const RATE: u32 = 48_000;
/// Audio per character of text.
pub const PER_CHAR: Duration = Duration::from_millis(55);
/// Samples per streamed chunk (100 ms).
const CHUNK: usize = 4_800;

/// The voice.
pub struct ScriptedTts {
    state: Mutex<State>,
    /// Time to the first chunk.
    pub first_byte: Duration,
    /// Time between chunks.
    pub per_chunk: Duration,
}

struct State {
    hang: usize,
    texts: Vec<String>,
}

impl ScriptedTts {
    /// A voice whose first `hang` requests never produce audio.
    pub fn new(hang: usize) -> Self {
        Self {
            state: Mutex::new(State {
                hang,
                texts: Vec::new(),
            }),
            first_byte: Duration::from_millis(90),
            per_chunk: Duration::from_millis(10),
        }
    }

    /// Every text asked for, in order.
    pub fn texts(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .texts
            .clone()
    }

    /// The audio this voice makes of `text`.
    pub fn audio(text: &str) -> Vec<i16> {
        let chars = text.chars().count().max(4) as u32;
        let seed = text
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        super::audio::voice((PER_CHAR * chars).as_secs_f64(), 185.0, seed)
    }
}

impl Tts for ScriptedTts {
    fn synthesize(&self, text: &str) -> BoxFuture<'_, Result<PcmStream, ProviderError>> {
        let hang = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.texts.push(text.to_owned());
            let hang = state.hang > 0;
            state.hang = state.hang.saturating_sub(1);
            hang
        };
        let audio = Self::audio(text);
        let (first, per_chunk) = (self.first_byte, self.per_chunk);
        Box::pin(async move {
            let chunks: Vec<Vec<i16>> = audio.chunks(CHUNK).map(<[i16]>::to_vec).collect();
            let started = tokio::time::Instant::now();
            let stream = futures_util::stream::unfold(
                (chunks.into_iter(), true),
                move |(mut chunks, first_chunk)| async move {
                    if hang {
                        std::future::pending::<()>().await;
                    }
                    let samples = chunks.next()?;
                    tokio::time::sleep(if first_chunk { first } else { per_chunk }).await;
                    let chunk = PcmChunk {
                        sample_rate: RATE,
                        samples,
                        since_request: started.elapsed(),
                    };
                    Some((Ok(chunk), (chunks, false)))
                },
            );
            Ok(Box::pin(stream) as PcmStream)
        })
    }
}
