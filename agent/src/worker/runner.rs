//! What a worker does with a job once it has joined the room: the [`JobRunner`] trait. The
//! interview itself is [`crate::session::VoiceRunner`].

use std::sync::Arc;

use anyhow::Result;
use livekit_protocol::Job;
use tokio::sync::watch;

use crate::transport::LiveKitRoom;
use crate::worker::load::Load;

/// Runs one job in a joined room to completion, or until `cancel` turns true (drain deadline
/// or job termination); then leaves the room. A normal end calls
/// [`crate::worker::report_finished`] before leaving.
#[async_trait::async_trait]
pub trait JobRunner: Send + Sync + 'static {
    /// Runs the job; an error marks the job failed.
    async fn run(
        &self,
        room: LiveKitRoom,
        job: Job,
        load: Arc<Load>,
        cancel: watch::Receiver<bool>,
    ) -> Result<()>;
}
