//! The Silero voice-activity model (v5/v6) run through ONNX Runtime.
//!
//! ONNX Runtime is loaded at run time from a path the caller passes in (`ort`'s
//! `load-dynamic`); this crate never reads environment variables. ONNX Runtime allows one
//! environment per process, so the first [`Silero::load`] creates it and later calls share it
//! (and the library loaded first).
//!
//! The model takes a window of 512 samples at 16 kHz prefixed by the last 64 samples of the
//! previous window (576 in all), a recurrent state of shape [2, 1, 128] and the sample rate;
//! it returns the speech probability and the next state. The input tensors are allocated once
//! and rewritten in place for every window; ONNX Runtime itself still allocates the outputs.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;

use crate::error::{Error, Result};
use crate::frame::{ANALYSIS_RATE, sanitize};

/// Samples per Silero window at 16 kHz.
pub const WINDOW_SAMPLES: usize = 512;

/// Samples of the previous window the model sees before each window.
pub const CONTEXT_SAMPLES: usize = 64;

const STATE_LEN: usize = 2 * 128;

/// One Silero model instance with its recurrent state; one per audio stream.
pub struct Silero {
    session: Session,
    input: Tensor<f32>,
    state: Tensor<f32>,
    sr: Tensor<i64>,
    context: [f32; CONTEXT_SAMPLES],
    runs: u64,
}

impl Silero {
    /// Loads ONNX Runtime from `runtime_lib` (once per process) and the model from `model`,
    /// and checks that the model has the inputs `input`, `state` and `sr`.
    pub fn load(runtime_lib: &Path, model: &Path) -> Result<Self> {
        let env = environment(runtime_lib)?;
        let model_err = |e: ort::Error| Error::Model {
            path: model.to_path_buf(),
            reason: e.to_string(),
        };
        let session = Session::builder(&env)
            .map_err(model_err)?
            .with_intra_threads(1)
            .map_err(|e| model_err(e.into()))?
            .with_inter_threads(1)
            .map_err(|e| model_err(e.into()))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| model_err(e.into()))?
            .commit_from_file(model)
            .map_err(model_err)?;
        let names: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        if names != ["input", "state", "sr"] {
            return Err(Error::Model {
                path: model.to_path_buf(),
                reason: format!("expected inputs [input, state, sr], found {names:?}"),
            });
        }
        let tensor_err = |e: ort::Error| Error::Inference(e.to_string());
        let input = Tensor::from_array((
            [1_usize, CONTEXT_SAMPLES + WINDOW_SAMPLES],
            vec![0.0_f32; CONTEXT_SAMPLES + WINDOW_SAMPLES],
        ))
        .map_err(tensor_err)?;
        let state = Tensor::from_array(([2_usize, 1, 128], vec![0.0_f32; STATE_LEN]))
            .map_err(tensor_err)?;
        let sr =
            Tensor::from_array(((), vec![i64::from(ANALYSIS_RATE.hz())])).map_err(tensor_err)?;
        Ok(Self {
            session,
            input,
            state,
            sr,
            context: [0.0; CONTEXT_SAMPLES],
            runs: 0,
        })
    }

    /// The names and types of the model's inputs, for diagnostics.
    pub fn describe_inputs(&self) -> Vec<String> {
        self.session
            .inputs()
            .iter()
            .map(|i| format!("{}: {}", i.name(), i.dtype()))
            .collect()
    }

    /// The speech probability (0..=1) of the next window of the stream. Windows must be
    /// consecutive; call [`Self::reset`] after a gap.
    pub fn probability(&mut self, window: &[f32; WINDOW_SAMPLES]) -> Result<f32> {
        {
            let (_, data) = self.input.extract_tensor_mut();
            data[..CONTEXT_SAMPLES].copy_from_slice(&self.context);
            for (d, &s) in data[CONTEXT_SAMPLES..].iter_mut().zip(window.iter()) {
                *d = sanitize(s);
            }
            self.context
                .copy_from_slice(&data[CONTEXT_SAMPLES + WINDOW_SAMPLES - CONTEXT_SAMPLES..]);
        }
        let outputs = self
            .session
            .run(ort::inputs![
                "input" => &self.input,
                "state" => &self.state,
                "sr" => &self.sr,
            ])
            .map_err(|e| Error::Inference(e.to_string()))?;
        let (_, prob) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(|e| Error::Inference(e.to_string()))?;
        let prob = prob.first().copied().unwrap_or(0.0);
        let (_, next) = outputs[1]
            .try_extract_tensor::<f32>()
            .map_err(|e| Error::Inference(e.to_string()))?;
        if next.len() == STATE_LEN {
            self.state.extract_tensor_mut().1.copy_from_slice(next);
        }
        drop(outputs);
        self.runs += 1;
        Ok(if prob.is_finite() {
            prob.clamp(0.0, 1.0)
        } else {
            0.0
        })
    }

    /// Clears the recurrent state and the context, as at the start of a stream.
    pub fn reset(&mut self) {
        self.state.extract_tensor_mut().1.fill(0.0);
        self.context = [0.0; CONTEXT_SAMPLES];
    }

    /// How many windows this instance has evaluated.
    pub fn runs(&self) -> u64 {
        self.runs
    }
}

/// The process-wide ONNX Runtime environment, created on first use.
fn environment(runtime_lib: &Path) -> Result<Environment> {
    static ENV: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);
    let mut guard = ENV.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime_err = |reason: String| Error::Runtime {
        path: runtime_lib.to_path_buf(),
        reason,
    };
    if let Some((loaded, env)) = guard.as_ref() {
        if loaded == runtime_lib {
            return Ok(env.clone());
        }
        return Err(runtime_err(format!(
            "ONNX Runtime is already loaded from {}",
            loaded.display()
        )));
    }
    let env = ort::init_from(runtime_lib)
        .map_err(|e| runtime_err(e.to_string()))?
        .with_name("dsp-silero")
        .build()
        .map_err(|e| runtime_err(e.to_string()))?;
    *guard = Some((runtime_lib.to_path_buf(), env.clone()));
    Ok(env)
}
