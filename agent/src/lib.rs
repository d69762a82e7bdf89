//! The interviewer agent: the LiveKit room transport, and (later) the worker and the shell
//! around the conversation engine.

pub mod join;
pub mod metrics;
pub mod session;
pub mod transport;
pub mod worker;
