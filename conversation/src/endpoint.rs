//! End-of-turn delays: how much VAD silence ends the candidate's turn, given the text so far.

use std::time::Duration;

use crate::config::EndpointConfig;
use crate::text::{Completeness, completeness};

/// Silence needed after the candidate's speech ends before the turn is over. `thinking`
/// selects the longer allowances used after a question that needs thought.
pub fn endpoint_delay(cfg: &EndpointConfig, text: &str, thinking: bool) -> Duration {
    match (completeness(text), thinking) {
        (Completeness::Complete, false) => cfg.min_delay,
        (Completeness::Neutral, false) => cfg.neutral_delay,
        (Completeness::Incomplete, false) => cfg.max_delay,
        (Completeness::Complete, true) => cfg.thinking_min_delay,
        (Completeness::Neutral, true) => cfg.thinking_neutral_delay,
        (Completeness::Incomplete, true) => cfg.thinking_max_delay,
    }
}
