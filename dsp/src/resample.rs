//! Resampling from the transport rate (48 kHz) to the analysis rate (16 kHz).
//!
//! The resampler takes fixed-size chunks and allocates nothing per chunk: all buffers are
//! made in [`Resampler::new`] and rubato's `process_into_buffer` writes into the caller's
//! slice. Input is sanitized (NaN to zero, clamped to [-1, 1]) into a scratch buffer first.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _};

use crate::error::{Error, Result};
use crate::frame::{ANALYSIS_RATE, SampleRate, sanitize_into};

/// A mono resampler from one rate to [`ANALYSIS_RATE`], fed fixed-size chunks.
pub struct Resampler {
    inner: Option<Fft<f32>>,
    chunk_in: usize,
    chunk_out: usize,
    scratch: Vec<f32>,
}

impl Resampler {
    /// A resampler from `from` to 16 kHz taking chunks of `chunk_ms` milliseconds (10 or 20
    /// for WebRTC audio). At 16 kHz input it is a sanitizing copy.
    pub fn new(from: SampleRate, chunk_ms: u32) -> Result<Self> {
        let chunk_in = from.samples_in_ms(chunk_ms);
        if chunk_in == 0 {
            return Err(Error::Config(
                "resampler chunk must hold at least one sample",
            ));
        }
        let inner = if from == ANALYSIS_RATE {
            None
        } else {
            let fft = Fft::<f32>::new(
                from.hz() as usize,
                ANALYSIS_RATE.hz() as usize,
                chunk_in,
                1,
                FixedSync::Input,
            )
            .map_err(|e| Error::Resampler(e.to_string()))?;
            Some(fft)
        };
        let chunk_out = inner
            .as_ref()
            .map_or(chunk_in, |fft| fft.output_frames_max());
        Ok(Self {
            inner,
            chunk_in,
            chunk_out,
            scratch: vec![0.0; chunk_in],
        })
    }

    /// Samples per input chunk.
    pub fn input_len(&self) -> usize {
        self.chunk_in
    }

    /// The most samples one chunk can produce; size output buffers with this.
    pub fn output_len_max(&self) -> usize {
        self.chunk_out
    }

    /// The resampler's delay in output samples (16 kHz): an event at input sample `t` appears
    /// at output sample `t / ratio + delay`.
    pub fn output_delay(&self) -> usize {
        self.inner.as_ref().map_or(0, |fft| fft.output_delay())
    }

    /// Resamples one chunk of exactly [`Self::input_len`] samples into `out` (at least
    /// [`Self::output_len_max`] long) and returns how many samples were written.
    pub fn process_into_buffer(&mut self, input: &[f32], out: &mut [f32]) -> Result<usize> {
        if input.len() != self.chunk_in {
            return Err(Error::FrameLength {
                expected: self.chunk_in,
                got: input.len(),
            });
        }
        if out.len() < self.chunk_out {
            return Err(Error::FrameLength {
                expected: self.chunk_out,
                got: out.len(),
            });
        }
        sanitize_into(input, &mut self.scratch);
        let Some(fft) = self.inner.as_mut() else {
            out[..self.chunk_in].copy_from_slice(&self.scratch);
            return Ok(self.chunk_in);
        };
        let frames_out = out.len();
        let adapter_in = InterleavedSlice::new(&self.scratch[..], 1, self.chunk_in)
            .map_err(|e| Error::Resampler(e.to_string()))?;
        let mut adapter_out = InterleavedSlice::new_mut(out, 1, frames_out)
            .map_err(|e| Error::Resampler(e.to_string()))?;
        let (_, written) = fft
            .process_into_buffer(&adapter_in, &mut adapter_out, None)
            .map_err(|e| Error::Resampler(e.to_string()))?;
        Ok(written)
    }

    /// Forgets all buffered audio.
    pub fn reset(&mut self) {
        if let Some(fft) = self.inner.as_mut() {
            fft.reset();
        }
    }
}
