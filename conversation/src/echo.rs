//! Echo awareness: the agent knows what it played. Inbound speech whose RMS envelope follows
//! the outbound envelope (delay 0..max, attenuated) is the agent's own voice coming back.
//! Fixed-size rings; pushing a frame never allocates.

use crate::Instant;
use crate::config::EchoConfig;
use crate::text::normalize;

const RING: usize = 128;
/// Longest window compared (frames).
const WINDOW: u64 = 40;
/// Frames needed before the correlation means anything.
const MIN_FRAMES: u64 = 8;
const SILENT: f32 = 1e-4;

/// Outbound and inbound RMS envelopes on a common frame grid.
#[derive(Debug)]
pub struct EchoGuard {
    cfg: EchoConfig,
    outbound: Ring,
    inbound: Ring,
}

impl EchoGuard {
    pub fn new(cfg: EchoConfig) -> Self {
        EchoGuard {
            cfg,
            outbound: Ring::default(),
            inbound: Ring::default(),
        }
    }

    /// Records the RMS of a frame the agent sent.
    pub fn push_outbound(&mut self, at: Instant, rms: f32) {
        let i = self.frame(at);
        self.outbound.push(i, rms);
    }

    /// Records the RMS of a frame received from the candidate.
    pub fn push_inbound(&mut self, at: Instant, rms: f32) {
        let i = self.frame(at);
        self.inbound.push(i, rms);
    }

    /// True if inbound audio from `from` to `to` looks like delayed, attenuated outbound
    /// audio: best normalized envelope correlation over delays 0..max_delay at or above
    /// `min_correlation`, with an inbound/outbound level ratio at or below `max_ratio`.
    pub fn is_echo(&self, from: Instant, to: Instant) -> bool {
        // Only frames already received on both sides count.
        let Some(end) = self.inbound.last.map(|l| l.min(self.frame(to))) else {
            return false;
        };
        let start = self.frame(from).max(end.saturating_sub(WINDOW));
        if end < start + MIN_FRAMES {
            return false;
        }
        let max_lag = (self.cfg.max_delay.as_nanos() / self.step_ns()) as u64;
        let mut best = (f32::MIN, f32::MAX);
        for lag in 0..=max_lag.min(start) {
            let (r, ratio) = self.correlate(start, end, lag);
            if r > best.0 {
                best = (r, ratio);
            }
        }
        best.0 >= self.cfg.min_correlation && best.1 <= self.cfg.max_ratio
    }

    /// Cheap level test for ducking: recent inbound is much quieter than recent outbound.
    pub fn likely_echo(&self, now: Instant) -> bool {
        let end = self.frame(now);
        let max_lag = (self.cfg.max_delay.as_nanos() / self.step_ns()) as u64;
        let inb = (end.saturating_sub(4)..=end)
            .map(|i| self.inbound.get(i))
            .fold(0.0f32, f32::max);
        let out = (end.saturating_sub(max_lag + 4)..=end)
            .map(|i| self.outbound.get(i))
            .fold(0.0f32, f32::max);
        out > SILENT && inb <= out * self.cfg.max_ratio
    }

    /// True if most words of `stt` appear among the agent's recent words `agent_text`.
    pub fn words_are_echo(&self, agent_text: &str, stt: &str) -> bool {
        let mut total = 0usize;
        let mut found = 0usize;
        for w in stt.split_whitespace() {
            let w = normalize(w);
            if w.is_empty() {
                continue;
            }
            total += 1;
            if agent_text.split_whitespace().any(|a| normalize(a) == w) {
                found += 1;
            }
        }
        total > 0 && found as f32 >= self.cfg.word_match * total as f32
    }

    fn step_ns(&self) -> u128 {
        self.cfg.step.as_nanos().max(1)
    }

    fn frame(&self, at: Instant) -> u64 {
        (at.since_start().as_nanos() / self.step_ns()) as u64
    }

    fn correlate(&self, start: u64, end: u64, lag: u64) -> (f32, f32) {
        let n = (end - start + 1) as f32;
        let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0f32, 0f32, 0f32, 0f32, 0f32);
        for i in start..=end {
            let x = self.inbound.get(i);
            let y = self.outbound.get(i - lag);
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
        }
        if sy <= SILENT * n {
            return (f32::MIN, f32::MAX);
        }
        let cov = sxy - sx * sy / n;
        let vx = sxx - sx * sx / n;
        let vy = syy - sy * sy / n;
        let r = if vx > 0.0 && vy > 0.0 {
            cov / (vx * vy).sqrt()
        } else {
            0.0
        };
        (r, sx / sy)
    }
}

#[derive(Debug)]
struct Ring {
    vals: [f32; RING],
    last: Option<u64>,
}

impl Default for Ring {
    fn default() -> Self {
        Ring {
            vals: [0.0; RING],
            last: None,
        }
    }
}

impl Ring {
    fn push(&mut self, i: u64, v: f32) {
        let v = if v.is_finite() { v.abs() } else { 0.0 };
        match self.last {
            Some(last) if i + RING as u64 <= last => return,
            Some(last) if i > last => {
                for j in (last + 1).max(i.saturating_sub(RING as u64))..i {
                    self.vals[(j % RING as u64) as usize] = 0.0;
                }
                self.vals[(i % RING as u64) as usize] = v;
                self.last = Some(i);
                return;
            }
            Some(_) => {}
            None => self.last = Some(i),
        }
        let slot = &mut self.vals[(i % RING as u64) as usize];
        *slot = slot.max(v);
    }

    fn get(&self, i: u64) -> f32 {
        match self.last {
            Some(last) if i <= last && i + (RING as u64) > last => {
                self.vals[(i % RING as u64) as usize]
            }
            _ => 0.0,
        }
    }
}
