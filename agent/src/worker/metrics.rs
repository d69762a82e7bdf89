//! Prometheus metrics of the worker: jobs, load, late frames, registrations. Gauges that
//! mirror live state are refreshed when scraped ([`WorkerMetrics::refresh`]).

use prometheus::{Gauge, IntCounter, IntGauge, Registry};

use super::LoadSnapshot;

/// The worker's own metrics (the voice loop's histograms live in [`crate::metrics`] and are
/// registered in the same registry).
#[derive(Clone, Debug)]
pub struct WorkerMetrics {
    registry: Registry,
    jobs_running: IntGauge,
    max_jobs: IntGauge,
    load: Gauge,
    cpu: Gauge,
    frames: IntGauge,
    late_frames: IntGauge,
    draining: IntGauge,
    registered: IntGauge,
    registrations: IntGauge,
    /// Jobs assigned to this worker.
    pub jobs_started: IntCounter,
    /// Jobs that ended with an error or a panic.
    pub jobs_failed: IntCounter,
}

/// Live values copied into the gauges at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    /// Jobs running.
    pub jobs: usize,
    /// The hard cap.
    pub max_jobs: usize,
    /// Load counters.
    pub load: LoadSnapshot,
    /// Draining after SIGTERM.
    pub draining: bool,
    /// Registered on the current worker socket.
    pub registered: bool,
    /// Successful registrations since start.
    pub registrations: u64,
}

impl WorkerMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let gauge = |name: &str, help: &str| -> Result<IntGauge, prometheus::Error> {
            let g = IntGauge::new(name, help)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        let float = |name: &str, help: &str| -> Result<Gauge, prometheus::Error> {
            let g = Gauge::new(name, help)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
            let c = IntCounter::new(name, help)?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        Ok(Self {
            registry: registry.clone(),
            jobs_running: gauge("worker_jobs_running", "Interviews running now.")?,
            max_jobs: gauge("worker_jobs_max", "Hard cap on concurrent interviews.")?,
            load: float(
                "worker_load",
                "Load reported to the server (0..1): max of CPU share and late-frame share x100.",
            )?,
            cpu: float(
                "worker_cpu_share",
                "Process CPU share over all cores (0..1).",
            )?,
            frames: gauge("worker_audio_frames_total", "Audio frames processed.")?,
            late_frames: gauge(
                "worker_audio_frames_late_total",
                "Audio frames processed more than one frame (20 ms) after they arrived.",
            )?,
            draining: gauge("worker_draining", "1 while draining after SIGTERM.")?,
            registered: gauge(
                "worker_registered",
                "1 while registered at the LiveKit server.",
            )?,
            registrations: gauge(
                "worker_registrations_total",
                "Successful registrations since start (more than one: the socket was re-established).",
            )?,
            jobs_started: counter("worker_jobs_started_total", "Interviews assigned.")?,
            jobs_failed: counter(
                "worker_jobs_failed_total",
                "Interviews that ended with an error or a panic.",
            )?,
        })
    }

    /// Copies the live values into the gauges.
    pub fn refresh(&self, live: Live) {
        self.jobs_running.set(live.jobs as i64);
        self.max_jobs.set(live.max_jobs as i64);
        self.load.set(f64::from(live.load.value()));
        self.cpu.set(f64::from(live.load.cpu));
        self.frames.set(live.load.frames as i64);
        self.late_frames.set(live.load.late as i64);
        self.draining.set(i64::from(live.draining));
        self.registered.set(i64::from(live.registered));
        self.registrations.set(live.registrations as i64);
    }

    /// The whole registry (voice histograms included) in text format, gauges refreshed.
    pub fn encode(&self, live: Live) -> String {
        self.refresh(live);
        crate::metrics::encode(&self.registry)
    }
}
