//! Job status reports, and [`report_finished`] for runners.
//!
//! LiveKit marks a job FAILED ("agent worker left the room") when its agent leaves the room
//! while the job still counts as running. A runner that ends an interview normally therefore
//! reports success *before* it leaves: it calls [`report_finished`], which returns once the
//! report is on the worker socket. The worker runs each job inside a [`JobScope`], so runners
//! need no extra parameter (the [`super::JobRunner`] signature stays as it is).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use livekit_protocol::JobStatus;
use tokio::sync::{mpsc, oneshot};

/// How long [`report_finished`] waits for the report to be sent (the socket may be down).
const REPORT_TIMEOUT: Duration = Duration::from_secs(2);

/// A job status change to report to the server.
#[derive(Debug)]
pub(crate) struct JobUpdate {
    pub job_id: String,
    pub status: JobStatus,
    pub error: String,
    /// Told once the update was written to the worker socket.
    pub sent: Option<oneshot::Sender<()>>,
}

impl JobUpdate {
    /// An update nobody waits for.
    pub fn new(job_id: String, status: JobStatus, error: String) -> Self {
        Self {
            job_id,
            status,
            error,
            sent: None,
        }
    }
}

/// The running job, as seen from inside its task.
#[derive(Clone)]
pub(crate) struct JobScope {
    pub job_id: String,
    pub updates: mpsc::UnboundedSender<JobUpdate>,
    /// Success was already reported.
    pub reported: Arc<AtomicBool>,
}

tokio::task_local! {
    pub(crate) static JOB: JobScope;
}

/// Reports the current job as finished successfully and waits (at most 2 s) until the report
/// is on the worker socket. Call it right before leaving the room at a normal end. Outside a
/// worker job (e.g. `agent interview`) it does nothing.
pub async fn report_finished() {
    let Ok(scope) = JOB.try_with(JobScope::clone) else {
        return;
    };
    if scope.reported.swap(true, Ordering::SeqCst) {
        return;
    }
    let (sent, done) = oneshot::channel();
    let update = JobUpdate {
        sent: Some(sent),
        ..JobUpdate::new(scope.job_id, JobStatus::JsSuccess, String::new())
    };
    if scope.updates.send(update).is_ok() {
        let _ = tokio::time::timeout(REPORT_TIMEOUT, done).await;
    }
}
