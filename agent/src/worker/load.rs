//! Measured load: the process's CPU share and the share of audio frames processed late.
//! Sessions feed [`Load::record_frame`]; the worker reads [`Load::value`] for availability
//! answers and status updates.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Shared load counters (cheap to update from any session task).
#[derive(Debug)]
pub struct Load {
    frames: AtomicU64,
    late: AtomicU64,
    cpu: Mutex<CpuSample>,
}

#[derive(Debug)]
struct CpuSample {
    at: Instant,
    ticks: u64,
    share: f32,
}

/// A snapshot of the load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadSnapshot {
    /// CPU share of this process over all cores since the previous sample, 0..=1.
    pub cpu: f32,
    /// Frames processed so far.
    pub frames: u64,
    /// Frames processed late so far.
    pub late: u64,
}

impl LoadSnapshot {
    /// Share of frames processed late, 0..=1.
    pub fn late_share(&self) -> f32 {
        if self.frames == 0 {
            0.0
        } else {
            self.late as f32 / self.frames as f32
        }
    }

    /// The single load figure reported to the server: the larger of the CPU share and the
    /// late-frame share scaled so that 1% late frames counts as full.
    pub fn value(&self) -> f32 {
        self.cpu.max(self.late_share() * 100.0).clamp(0.0, 1.0)
    }
}

impl Default for Load {
    fn default() -> Self {
        Self {
            frames: AtomicU64::new(0),
            late: AtomicU64::new(0),
            cpu: Mutex::new(CpuSample {
                at: Instant::now(),
                ticks: process_ticks().unwrap_or(0),
                share: 0.0,
            }),
        }
    }
}

impl Load {
    /// Records one processed 20 ms audio frame; `late` when it was processed after its
    /// deadline.
    pub fn record_frame(&self, late: bool) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        if late {
            self.late.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Samples the CPU share (at most once per 500 ms; in between the last share is reused).
    pub fn snapshot(&self) -> LoadSnapshot {
        let cpu = {
            let mut sample = self.cpu.lock().unwrap_or_else(|e| e.into_inner());
            let elapsed = sample.at.elapsed().as_secs_f32();
            if elapsed >= 0.5
                && let Some(ticks) = process_ticks()
            {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f32;
                let used = ticks.saturating_sub(sample.ticks) as f32 / CLOCK_TICKS;
                sample.share = (used / elapsed / cores).clamp(0.0, 1.0);
                sample.ticks = ticks;
                sample.at = Instant::now();
            }
            sample.share
        };
        LoadSnapshot {
            cpu,
            frames: self.frames.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
        }
    }
}

/// Linux USER_HZ (100 on every mainstream kernel configuration).
const CLOCK_TICKS: f32 = 100.0;

/// utime + stime of this process in clock ticks, from /proc/self/stat.
fn process_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may contain spaces; fields resume after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // After ')' the fields start at index 3 (state); utime is field 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_share_drives_the_load_value() {
        let load = Load::default();
        for i in 0..1000 {
            load.record_frame(i < 5);
        }
        let snapshot = load.snapshot();
        assert_eq!(snapshot.frames, 1000);
        assert_eq!(snapshot.late, 5);
        assert!((snapshot.value() - 0.5).abs() < 0.01 || snapshot.cpu > 0.5);
    }

    #[test]
    fn process_ticks_are_readable() {
        assert!(process_ticks().is_some());
    }
}
