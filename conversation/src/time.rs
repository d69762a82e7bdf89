//! Session time: a point on the engine's clock, measured from session start.

use std::ops::Add;
use std::time::Duration;

/// A point in time, as a duration since the session started. The IO shell converts its
/// monotonic clock into this; the engine never reads a clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The session start.
    pub const ZERO: Instant = Instant(Duration::ZERO);

    /// The instant `since_start` after the session started.
    pub const fn from_start(since_start: Duration) -> Self {
        Instant(since_start)
    }

    /// The instant `ms` milliseconds after the session started.
    pub const fn from_millis(ms: u64) -> Self {
        Instant(Duration::from_millis(ms))
    }

    /// The instant `secs` seconds after the session started (negative or NaN gives zero).
    pub fn from_secs_f64(secs: f64) -> Self {
        Instant(Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO))
    }

    /// The time since the session started.
    pub const fn since_start(self) -> Duration {
        self.0
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs))
    }
}
