//! A fixed-window limit on login attempts per login name (email or username).
//!
//! Time is passed in, so the window logic is tested without sleeping.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window in which at most `max_attempts` logins per name are allowed.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Attempts counted per login name; a bounded map that forgets expired windows.
#[derive(Debug)]
pub struct LoginLimiter {
    max_attempts: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    /// A limiter allowing `max_attempts` per [`WINDOW`] and name.
    pub fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Records an attempt at `now`; `Err(retry_after)` when the name is over its limit.
    pub fn check(&self, name: &str, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still usable.
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(name.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.max_attempts {
            return Err(WINDOW.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_name_and_resets_after_the_window() {
        let limiter = LoginLimiter::new(2);
        let t0 = Instant::now();
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_ok());
        let retry = limiter.check("a", t0 + Duration::from_secs(10));
        assert_eq!(retry, Err(Duration::from_secs(50)));
        assert!(
            limiter.check("b", t0).is_ok(),
            "other names are independent"
        );
        assert!(limiter.check("a", t0 + WINDOW).is_ok(), "a new window");
    }
}
