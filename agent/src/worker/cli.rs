//! `agent worker`: command-line options and the SIGTERM/ctrl-c drain.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use prometheus::Registry;

use super::control::ControlApi;
use super::{Load, WorkerConfig, WorkerMetrics};
use crate::metrics::VoiceMetrics;
use crate::session::{VoiceArgs, VoiceRunner};

/// Options of `agent worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// LiveKit server URL.
    #[arg(long, env = "LIVEKIT_URL")]
    pub url: String,
    /// API key.
    #[arg(long, env = "LIVEKIT_API_KEY")]
    pub api_key: String,
    /// API secret.
    #[arg(long, env = "LIVEKIT_API_SECRET", hide_env_values = true)]
    pub api_secret: String,
    /// Agent name that explicit dispatch targets.
    #[arg(long, env = "AGENT_NAME", default_value = "interviewer")]
    pub agent_name: String,
    /// Hard cap on concurrent interviews.
    #[arg(long, default_value_t = 8)]
    pub max_jobs: usize,
    /// Refuse jobs at or above this measured load (0..=1).
    #[arg(long, default_value_t = 0.8)]
    pub max_load: f32,
    /// Seconds running interviews may continue after SIGTERM.
    #[arg(long, default_value_t = 600.0)]
    pub drain_timeout: f64,
    /// Loopback-only ICE (tests and local servers).
    #[arg(long)]
    pub loopback: bool,
    /// This worker's name in its agents' `interviewer.worker` attribute (default host:pid).
    #[arg(long, env = "WORKER_NAME")]
    pub worker_name: Option<String>,
    /// Serve /health, /ready and /metrics on this address (e.g. 127.0.0.1:9100).
    #[arg(long, env = "WORKER_HTTP")]
    pub http: Option<SocketAddr>,
    /// control-api base URL, for the transcript (e.g. http://127.0.0.1:8000).
    #[arg(long, env = "CONTROL_API_URL")]
    pub control_api: Option<String>,
    /// Seconds between scans for agents of dead workers (0: no watchdog).
    #[arg(long, default_value_t = 1.0)]
    pub watchdog_interval: f64,
    /// Seconds without a heartbeat after which an agent counts as dead and is removed.
    #[arg(long, default_value_t = 4.0)]
    pub stale_after: f64,
    /// Token for control-api's internal endpoints.
    #[arg(
        long,
        env = "SERVICE_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub service_token: String,
    /// The interview itself: speech recognition, the interviewer, the voice.
    #[command(flatten)]
    pub voice: VoiceArgs,
}

/// `host:pid`, the default worker name.
fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".to_owned());
    format!("{host}:{}", std::process::id())
}

/// Runs the worker until SIGTERM or ctrl-c, then drains and returns.
pub async fn run(args: WorkerArgs) -> Result<()> {
    let config = WorkerConfig {
        url: args.url,
        api_key: args.api_key,
        api_secret: args.api_secret,
        agent_name: args.agent_name,
        worker_name: args.worker_name.unwrap_or_else(default_worker_name),
        max_jobs: args.max_jobs,
        max_load: args.max_load,
        drain_timeout: Duration::try_from_secs_f64(args.drain_timeout.max(0.0))?,
        loopback: args.loopback,
        watchdog_interval: Duration::try_from_secs_f64(args.watchdog_interval)
            .ok()
            .filter(|d| !d.is_zero()),
        stale_after: Duration::try_from_secs_f64(args.stale_after.max(1.0))?,
    };
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    let registry = Registry::new();
    let metrics = WorkerMetrics::new(&registry)?;
    // The voice loop's per-stage histograms; the voice session records into them.
    let voice = VoiceMetrics::register(&registry)?;
    let control = match &args.control_api {
        Some(url) => Some(ControlApi::new(url, &args.service_token)?),
        None => None,
    };
    let runner = VoiceRunner::from_args(&args.voice, Some(voice), control)?;
    // A worker whose providers are not usable never registers, so LiveKit never gives it
    // an interview it would hold deaf or mute.
    runner
        .check_providers()
        .await
        .context("provider check failed; the worker does not start")?;
    tracing::info!("providers ready");
    let http = match args.http {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!(addr = %listener.local_addr()?, "health and metrics endpoint");
            Some(listener)
        }
        None => None,
    };
    super::run(
        config,
        Arc::new(runner),
        Arc::new(Load::default()),
        metrics,
        http,
        shutdown,
    )
    .await
}
