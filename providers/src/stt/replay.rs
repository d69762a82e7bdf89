//! Audio kept until a final result covers it, so a reconnect can resend it.
//!
//! **Invariant:** every sample sent to the STT is either covered by a final
//! result or still in the ring (unless the ring's bound forced it out, which
//! is counted in [`Replay::dropped`]).

use std::collections::VecDeque;

/// A bounded ring of not yet finalised audio, in absolute stream time.
#[derive(Debug)]
pub struct Replay {
    sample_rate: u32,
    /// Absolute index (since the session began) of `buf[0]`.
    start: u64,
    buf: VecDeque<i16>,
    max_samples: usize,
    dropped: u64,
}

impl Replay {
    /// Keeps at most `max_seconds` of audio.
    pub fn new(sample_rate: u32, max_seconds: f64) -> Self {
        let max_samples = (f64::from(sample_rate) * max_seconds.max(0.0)) as usize;
        Self {
            sample_rate,
            start: 0,
            buf: VecDeque::with_capacity(max_samples),
            max_samples,
            dropped: 0,
        }
    }

    /// Records audio that was (or is about to be) sent.
    pub fn push(&mut self, samples: &[i16]) {
        self.buf.extend(samples.iter().copied());
        let excess = self.buf.len().saturating_sub(self.max_samples);
        if excess > 0 {
            self.buf.drain(..excess);
            self.start += excess as u64;
            self.dropped += excess as u64;
        }
    }

    /// A final result covers audio up to `seconds` (absolute): forget it.
    pub fn finalized_until(&mut self, seconds: f64) {
        if !seconds.is_finite() || seconds <= 0.0 {
            return;
        }
        let until = (seconds * f64::from(self.sample_rate)) as u64;
        let n = until.saturating_sub(self.start).min(self.buf.len() as u64);
        self.buf.drain(..n as usize);
        self.start += n;
    }

    /// Seconds to add to the times of a new connection that starts by
    /// resending [`Replay::pending`].
    pub fn offset_seconds(&self) -> f64 {
        self.start as f64 / f64::from(self.sample_rate)
    }

    /// The audio to resend after reconnecting, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = i16> + '_ {
        self.buf.iter().copied()
    }

    /// Samples forced out by the bound before a final result covered them.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unfinalised_audio_and_shifts_the_offset() {
        let mut r = Replay::new(100, 10.0);
        r.push(&[1; 150]);
        r.finalized_until(1.0);
        assert_eq!(r.pending().count(), 50);
        assert!((r.offset_seconds() - 1.0).abs() < 1e-9);
        r.push(&[2; 30]);
        let pending: Vec<i16> = r.pending().collect();
        assert_eq!(pending.len(), 80);
        assert_eq!(pending[49..51], [1, 2]);
        assert_eq!(r.dropped(), 0);
    }

    #[test]
    fn hostile_times_do_not_lose_audio_or_panic() {
        let mut r = Replay::new(100, 1.0);
        r.push(&[1; 50]);
        r.finalized_until(f64::NAN);
        r.finalized_until(-3.0);
        assert_eq!(r.pending().count(), 50);
        r.finalized_until(1e12);
        assert_eq!(r.pending().count(), 0);
        r.push(&[1; 250]);
        assert_eq!(r.pending().count(), 100, "bounded");
        assert_eq!(r.dropped(), 150);
    }
}
