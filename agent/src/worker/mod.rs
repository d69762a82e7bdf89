//! The LiveKit worker: registers at the server's `/agent` endpoint, accepts jobs within a hard
//! cap and measured load, runs each job in its own task (a panic fails that job only), keeps
//! its socket alive with reconnects that never touch running jobs, and drains on shutdown.
//!
//! **Invariant:** a job slot is taken when the worker answers an availability request with
//! "available" (a reservation), not when the assignment arrives, so concurrent requests can
//! never push the worker past `max_jobs`. Reservations without an assignment expire.

pub mod cli;
pub mod control;
pub mod http;
pub mod job;
pub mod load;
pub mod metrics;
pub mod runner;
mod socket;
pub mod watchdog;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use livekit_protocol::{Job, JobStatus};
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use crate::transport::{ConnectOptions, LiveKitRoom, RoomHandle};
pub use job::report_finished;
use job::{JOB, JobScope, JobUpdate};
pub use load::{Load, LoadSnapshot};
pub use metrics::WorkerMetrics;
pub use runner::JobRunner;

/// The participant attribute naming the worker process that runs a job.
pub const WORKER_ATTRIBUTE: &str = "interviewer.worker";

/// How long a reservation waits for its assignment (the server gives up after 10 s).
const RESERVATION_TTL: Duration = Duration::from_secs(15);

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Server URL (`ws://`, `wss://`, `http://`, `https://`).
    pub url: String,
    /// API key for the worker token.
    pub api_key: String,
    /// API secret (never logged).
    pub api_secret: String,
    /// The agent name explicit dispatch targets.
    pub agent_name: String,
    /// This process's name, published as the [`WORKER_ATTRIBUTE`] of its agent participants.
    pub worker_name: String,
    /// Hard cap on concurrent jobs.
    pub max_jobs: usize,
    /// Refuse jobs when the measured load is at or above this (0..=1).
    pub max_load: f32,
    /// How long running jobs may continue after shutdown before they are told to end.
    pub drain_timeout: Duration,
    /// Loopback-only ICE (tests, local servers).
    pub loopback: bool,
    /// Scan the rooms this often for agents of a dead worker (`None`: no watchdog).
    pub watchdog_interval: Option<Duration>,
    /// An agent whose heartbeat did not change this long is dead.
    pub stale_after: Duration,
}

enum Slot {
    /// Answered "available"; the assignment has not arrived yet.
    Reserved(Instant),
    /// Assigned and running.
    Running { cancel: watch::Sender<bool> },
}

/// The worker's shared state, seen by the socket task, the job tasks and the HTTP endpoint.
pub(crate) struct Shared {
    pub config: WorkerConfig,
    pub load: Arc<Load>,
    pub metrics: WorkerMetrics,
    runner: Arc<dyn JobRunner>,
    slots: Mutex<HashMap<String, Slot>>,
    pub draining: watch::Sender<bool>,
    /// Registered on the current worker socket.
    pub registered: AtomicBool,
    pub registrations: AtomicU64,
    updates: mpsc::UnboundedSender<JobUpdate>,
}

impl Shared {
    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Jobs running now (reservations excluded).
    pub fn job_count(&self) -> usize {
        self.slots()
            .values()
            .filter(|s| matches!(s, Slot::Running { .. }))
            .count()
    }

    fn has_room(&self, slots: &mut HashMap<String, Slot>) -> bool {
        let now = Instant::now();
        slots.retain(
            |_, s| !matches!(s, Slot::Reserved(at) if now.duration_since(*at) > RESERVATION_TTL),
        );
        !*self.draining.borrow()
            && slots.len() < self.config.max_jobs
            && self.load.snapshot().value() < self.config.max_load
    }

    /// Whether one more job would be accepted now.
    pub fn accepts(&self) -> bool {
        let mut slots = self.slots();
        self.has_room(&mut slots)
    }

    /// Answers an availability request: takes a slot for `job_id` when one is free.
    pub fn reserve(&self, job_id: &str) -> bool {
        let mut slots = self.slots();
        if slots.contains_key(job_id) {
            return true;
        }
        if !self.has_room(&mut slots) {
            return false;
        }
        slots.insert(job_id.to_string(), Slot::Reserved(Instant::now()));
        true
    }

    /// Whether the worker reports itself full.
    pub fn full(&self) -> bool {
        !self.accepts()
    }

    /// Starts an assigned job in its own task.
    pub fn start_job(self: &Arc<Self>, job: Job, url: Option<String>, token: String) {
        let job_id = job.id.clone();
        let (cancel, cancelled) = watch::channel(false);
        {
            let mut slots = self.slots();
            if matches!(slots.get(&job_id), Some(Slot::Running { .. })) {
                return;
            }
            // Without a reservation (it expired) the job still runs: the server has already
            // handed out its token and the candidate is waiting.
            slots.insert(job_id.clone(), Slot::Running { cancel });
        }
        self.metrics.jobs_started.inc();
        let shared = self.clone();
        let url = url
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| self.config.url.clone());
        let scope = JobScope {
            job_id: job_id.clone(),
            updates: self.updates.clone(),
            reported: Arc::new(AtomicBool::new(false)),
        };
        let reported = scope.reported.clone();
        let span = job_span(&job);
        let task = tokio::spawn(JOB.scope(scope, {
            let shared = shared.clone();
            async move {
                let mut options = ConnectOptions::new(url, token);
                options.loopback_only = shared.config.loopback;
                options.ignore_ice_servers = shared.config.loopback;
                let room = LiveKitRoom::connect(options).await?;
                let beat = tokio::spawn(heartbeat(room.handle()));
                let _beat = AbortOnDrop(beat);
                let _ = shared.updates.send(JobUpdate::new(
                    job.id.clone(),
                    JobStatus::JsRunning,
                    String::new(),
                ));
                shared
                    .runner
                    .run(room, job, shared.load.clone(), cancelled)
                    .await
            }
            .instrument(span)
        }));
        tokio::spawn(async move {
            // The JoinHandle catches a panic in the job task: only this job fails.
            let (status, error) = match task.await {
                Ok(Ok(())) => (JobStatus::JsSuccess, String::new()),
                Ok(Err(e)) => (JobStatus::JsFailed, format!("{e:#}")),
                Err(e) if e.is_panic() => (JobStatus::JsFailed, "session panicked".to_string()),
                Err(e) => (JobStatus::JsFailed, e.to_string()),
            };
            tracing::info!(job = %job_id, status = status.as_str_name(), error = %error, "job ended");
            if status == JobStatus::JsFailed {
                shared.metrics.jobs_failed.inc();
            }
            shared.slots().remove(&job_id);
            // Success already reported by the runner before it left the room is not repeated.
            if status == JobStatus::JsFailed || !reported.load(Ordering::SeqCst) {
                let _ = shared.updates.send(JobUpdate::new(job_id, status, error));
            }
        });
    }

    /// Tells one job to end (JobTermination).
    pub fn terminate(&self, job_id: &str) {
        let mut slots = self.slots();
        match slots.get(job_id) {
            Some(Slot::Running { cancel }) => {
                let _ = cancel.send(true);
            }
            Some(Slot::Reserved(_)) => {
                slots.remove(job_id);
            }
            None => {}
        }
    }

    fn cancel_all(&self) {
        for slot in self.slots().values() {
            if let Slot::Running { cancel } = slot {
                let _ = cancel.send(true);
            }
        }
    }

    /// Ready to take jobs: registered and not draining.
    pub fn ready(&self) -> bool {
        self.registered.load(Ordering::Relaxed) && !*self.draining.borrow()
    }
}

/// Bumps the agent's heartbeat attribute every second while the job runs (the watchdogs of
/// the other workers remove an agent whose beat stops).
async fn heartbeat(room: RoomHandle) {
    let mut tick = tokio::time::interval(watchdog::BEAT_INTERVAL);
    for beat in 1u64.. {
        tick.tick().await;
        let attributes =
            HashMap::from([(watchdog::HEARTBEAT_ATTRIBUTE.to_string(), beat.to_string())]);
        if room.set_attributes(attributes).is_err() {
            return;
        }
    }
}

/// Aborts a task when dropped (the job's heartbeat ends with the job, panics included).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running worker.
pub struct Worker {
    shared: Arc<Shared>,
    socket: tokio::task::JoinHandle<()>,
    watchdog: Option<AbortOnDrop>,
}

impl Worker {
    /// Starts the worker: the socket task registers and serves until [`Worker::drain`].
    pub fn start(
        config: WorkerConfig,
        runner: Arc<dyn JobRunner>,
        load: Arc<Load>,
        metrics: WorkerMetrics,
    ) -> Self {
        let (updates, updates_rx) = mpsc::unbounded_channel();
        let (draining, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            config,
            load,
            metrics,
            runner,
            slots: Mutex::new(HashMap::new()),
            draining,
            registered: AtomicBool::new(false),
            registrations: AtomicU64::new(0),
            updates,
        });
        let watchdog = shared.config.watchdog_interval.map(|interval| {
            AbortOnDrop(tokio::spawn(watchdog::run(watchdog::WatchdogConfig {
                url: shared.config.url.clone(),
                api_key: shared.config.api_key.clone(),
                api_secret: shared.config.api_secret.clone(),
                agent_name: shared.config.agent_name.clone(),
                interval,
                stale_after: shared.config.stale_after,
            })))
        });
        let socket = tokio::spawn(socket::serve(shared.clone(), updates_rx));
        Self {
            shared,
            socket,
            watchdog,
        }
    }

    /// Jobs running now.
    pub fn job_count(&self) -> usize {
        self.shared.job_count()
    }

    /// The load counters.
    pub fn load(&self) -> Arc<Load> {
        self.shared.load.clone()
    }

    /// Whether the worker is draining.
    pub fn draining(&self) -> bool {
        *self.shared.draining.borrow()
    }

    /// Serves `/health`, `/ready` and `/metrics` on `listener` until the worker is dropped.
    pub fn serve_http(&self, listener: tokio::net::TcpListener) {
        tokio::spawn(http::serve(listener, self.shared.clone()));
    }

    /// Stops accepting jobs, lets running jobs finish up to the drain timeout, then tells
    /// the rest to say goodbye and leave (bounded), and closes the worker socket.
    pub async fn drain(self) {
        self.shared.draining.send_replace(true);
        let deadline = tokio::time::Instant::now() + self.shared.config.drain_timeout;
        while self.shared.job_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.shared.cancel_all();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while self.shared.job_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Let the socket task report the final job statuses.
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.socket.abort();
        drop(self.watchdog);
    }
}

/// Runs a worker until `shutdown` resolves, then drains. `http` serves health, readiness
/// and metrics when given.
pub async fn run(
    config: WorkerConfig,
    runner: Arc<dyn JobRunner>,
    load: Arc<Load>,
    metrics: WorkerMetrics,
    http: Option<tokio::net::TcpListener>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let worker = Worker::start(config, runner, load, metrics);
    if let Some(listener) = http {
        worker.serve_http(listener);
    }
    shutdown.await;
    tracing::info!(jobs = worker.job_count(), "draining");
    worker.drain().await;
    Ok(())
}

/// The span everything a job logs runs in: its job id, room and interview id.
pub fn job_span(job: &Job) -> tracing::Span {
    let room_name = job
        .room
        .as_ref()
        .map(|r| r.name.as_str())
        .unwrap_or_default();
    tracing::info_span!(
        "job",
        job = %job.id,
        room = %room_name,
        interview = %crate::session::runner::interview_id(job).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leaves at once (the tests here never start a job).
    struct Idle;

    #[async_trait::async_trait]
    impl JobRunner for Idle {
        async fn run(
            &self,
            room: LiveKitRoom,
            _job: Job,
            _load: Arc<Load>,
            _cancel: watch::Receiver<bool>,
        ) -> Result<()> {
            drop(room);
            Ok(())
        }
    }

    fn shared(max_jobs: usize) -> Shared {
        let (updates, _) = mpsc::unbounded_channel();
        let (draining, _) = watch::channel(false);
        Shared {
            config: WorkerConfig {
                url: "ws://127.0.0.1:1".into(),
                api_key: "k".into(),
                api_secret: "s".into(),
                agent_name: "a".into(),
                worker_name: "w".into(),
                max_jobs,
                max_load: 2.0,
                drain_timeout: Duration::ZERO,
                loopback: true,
                watchdog_interval: None,
                stale_after: Duration::from_secs(4),
            },
            load: Arc::new(Load::default()),
            metrics: WorkerMetrics::new(&prometheus::Registry::new()).expect("metrics"),
            runner: Arc::new(Idle),
            slots: Mutex::new(HashMap::new()),
            draining,
            registered: AtomicBool::new(true),
            registrations: AtomicU64::new(1),
            updates,
        }
    }

    #[test]
    fn reservations_count_against_the_cap() {
        let shared = shared(2);
        assert!(shared.reserve("J_1"));
        assert!(shared.reserve("J_1"), "a repeated request keeps its slot");
        assert!(shared.reserve("J_2"));
        assert!(!shared.reserve("J_3"), "two reservations fill a cap of two");
        assert!(shared.full());
        shared.terminate("J_1");
        assert!(shared.reserve("J_3"));
        assert_eq!(shared.job_count(), 0, "reservations are not running jobs");
    }

    #[test]
    fn draining_refuses_and_is_not_ready() {
        let shared = shared(4);
        assert!(shared.ready());
        shared.draining.send_replace(true);
        assert!(!shared.reserve("J_1"));
        assert!(!shared.ready());
    }
}
