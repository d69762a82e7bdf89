//! A safe handle on Debian's pocketsphinx decoder (`libpocketsphinx3`, 5prealpha) with its
//! US English model (`pocketsphinx-en-us`), loaded at run time so that nothing links
//! against it: a build without the package works and says so when a decoder is asked for.
//!
//! [`Library::load`] opens the shared libraries once; [`Decoder::new`] loads the model
//! (about half a second and 40 MB per decoder); a decoder takes 16 kHz linear16 audio and
//! gives the best hypothesis and its words with frame times (100 frames per second).
//!
//! **Invariant:** every C object a [`Decoder`] holds is used from one thread at a time
//! (`&mut self`) and freed once, in `Drop`.

mod ffi;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where Debian puts the library and the model.
pub const DEFAULT_LIBRARY: &str = "libpocketsphinx.so.3";
pub const DEFAULT_BASE_LIBRARY: &str = "libsphinxbase.so.3";
pub const DEFAULT_MODEL: &str = "/usr/share/pocketsphinx/model/en-us";

/// Frames per second of the decoder's times.
pub const FRAME_RATE: f64 = 100.0;

/// The one sample rate the model takes.
pub const SAMPLE_RATE: u32 = 16_000;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot load {library} ({reason}); install Debian's libpocketsphinx3 and pocketsphinx-en-us"
    )]
    Library { library: String, reason: String },
    #[error("the model at {0} is incomplete (expected en-us/, en-us.lm.bin, cmudict-en-us.dict)")]
    Model(PathBuf),
    #[error("pocketsphinx refused {0}")]
    Call(&'static str),
}

/// The loaded libraries.
pub struct Library {
    api: ffi::Api,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Library(pocketsphinx)")
    }
}

impl Library {
    /// Opens `library` (libpocketsphinx) and `base` (libsphinxbase), by name or path.
    pub fn load(library: &str, base: &str) -> Result<Arc<Self>, Error> {
        Ok(Arc::new(Self {
            api: ffi::Api::load(library, base)?,
        }))
    }
}

/// The files of one acoustic model, language model and dictionary.
#[derive(Debug, Clone)]
pub struct Model {
    pub acoustic: PathBuf,
    pub language_model: PathBuf,
    pub dictionary: PathBuf,
}

impl Model {
    /// Debian's layout: `dir/en-us/`, `dir/en-us.lm.bin`, `dir/cmudict-en-us.dict`.
    pub fn in_dir(dir: &Path) -> Result<Self, Error> {
        let model = Self {
            acoustic: dir.join("en-us"),
            language_model: dir.join("en-us.lm.bin"),
            dictionary: dir.join("cmudict-en-us.dict"),
        };
        if model.acoustic.join("mdef").is_file()
            && model.language_model.is_file()
            && model.dictionary.is_file()
        {
            Ok(model)
        } else {
            Err(Error::Model(dir.to_owned()))
        }
    }
}

/// A recognised word with its first and last frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub word: String,
    pub start_frame: i32,
    pub end_frame: i32,
    /// Posterior probability, 0..=1 (1 where the decoder computed none).
    pub probability: f64,
}

/// One decoder: one stream of audio, one utterance at a time.
pub struct Decoder {
    lib: Arc<Library>,
    raw: ffi::Raw,
    in_utterance: bool,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("in_utterance", &self.in_utterance)
            .finish()
    }
}

impl Decoder {
    /// Loads `model`; the decoder keeps its own silence detector on (`ps_get_in_speech`).
    pub fn new(lib: &Arc<Library>, model: &Model) -> Result<Self, Error> {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let args: Vec<CString> = [
            "-hmm".to_owned(),
            path(&model.acoustic),
            "-lm".to_owned(),
            path(&model.language_model),
            "-dict".to_owned(),
            path(&model.dictionary),
            "-logfn".to_owned(),
            "/dev/null".to_owned(),
        ]
        .into_iter()
        .map(|a| CString::new(a).map_err(|_| Error::Model(model.acoustic.clone())))
        .collect::<Result<_, _>>()?;
        let raw = lib.api.init(&args)?;
        Ok(Self {
            lib: Arc::clone(lib),
            raw,
            in_utterance: false,
        })
    }

    /// Starts an utterance (ends the current one first).
    pub fn start(&mut self) -> Result<(), Error> {
        if self.in_utterance {
            self.end()?;
        }
        self.lib.api.start_utt(&self.raw)?;
        self.in_utterance = true;
        Ok(())
    }

    /// Decodes 16 kHz samples into the current utterance (starting one if needed).
    pub fn process(&mut self, samples: &[i16]) -> Result<(), Error> {
        if !self.in_utterance {
            self.start()?;
        }
        self.lib.api.process_raw(&self.raw, samples)
    }

    /// Whether the decoder's silence detector hears speech now.
    pub fn in_speech(&self) -> bool {
        self.in_utterance && self.lib.api.in_speech(&self.raw)
    }

    /// Ends the current utterance; its hypothesis stays readable until the next start.
    pub fn end(&mut self) -> Result<(), Error> {
        if !self.in_utterance {
            return Ok(());
        }
        self.in_utterance = false;
        self.lib.api.end_utt(&self.raw)
    }

    /// The best hypothesis so far (partial during an utterance), if any words.
    pub fn hypothesis(&self) -> Option<String> {
        self.lib.api.hyp(&self.raw).filter(|h| !h.trim().is_empty())
    }

    /// The words of the best hypothesis with frame times, fillers and silences left out.
    pub fn segments(&self) -> Vec<Segment> {
        self.lib
            .api
            .segments(&self.raw)
            .into_iter()
            .filter_map(|mut s| {
                if s.word.starts_with('<') || s.word.starts_with('[') {
                    return None;
                }
                // Alternative pronunciations are `word(2)`.
                if let Some(at) = s.word.find('(') {
                    s.word.truncate(at);
                }
                Some(s)
            })
            .collect()
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        self.lib.api.free(&self.raw);
    }
}
