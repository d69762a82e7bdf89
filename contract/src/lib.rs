//! The wire contract: what the agent, control-api and any room client (our page, an
//! integrator's LiveKit client) exchange, named once.
//!
//! **Versioning rule.** Every top-level message carries `v`, the contract version it was
//! written for ([`VERSION`]). Readers accept any version up to their own and ignore fields
//! they do not know (so a newer writer can add fields without breaking an older reader);
//! a reader refuses a message whose `v` is newer than its own major version.
//!
//! Types here carry data only: no IO, no vendor types.

pub mod agent;
pub mod context;
pub mod delivery;
pub mod job;
pub mod live;

/// The contract version this crate writes.
pub const VERSION: u32 = 1;

/// LiveKit data topics of ours (LiveKit's own `lk.transcription` and `lk.agent.state` are
/// used as LiveKit defines them).
pub mod topics {
    /// Coaching nudges for the candidate: one [`crate::delivery::NudgeMessage`] per packet,
    /// reliable, sent by the agent to everyone in the room. They are meant to be shown,
    /// never spoken.
    pub const NUDGE: &str = "interviewer.nudge";
    /// The interview's phase and time left: one [`crate::live::PhaseMessage`] per packet,
    /// reliable, sent by the agent to everyone in the room at every phase change.
    pub const PHASE: &str = "interviewer.phase";
    /// The interview is over: one [`crate::live::EndMessage`], reliable, sent by the agent to
    /// everyone in the room once its last words have been sent and before it records the end
    /// with control-api (which then removes whoever is still in the room). A client that
    /// leaves on it closes its own connection instead of having it closed under it.
    pub const END: &str = "interviewer.end";
}

/// Whether a message of version `v` can be read by this crate.
pub fn readable(v: u32) -> bool {
    (1..=VERSION).contains(&v)
}

fn version() -> u32 {
    VERSION
}
