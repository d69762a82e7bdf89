//! The control-plane HTTP service binary: reads configuration, binds, serves until Ctrl-C.

use anyhow::Context;
use clap::Parser;
use control_api::{AppState, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config::parse();
    tracing::info!(config = %config.redacted(), "starting control-api");
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let shutdown = async {
        // A failed signal handler means we cannot be stopped gracefully; stop at once instead.
        let _ = tokio::signal::ctrl_c().await;
    };
    let state = AppState::connect(config)
        .await
        .context("connecting to the database")?;
    control_api::run(listener, state, shutdown)
        .await
        .context("serving")
}
