//! A real livekit-server that sends its webhooks to a URL (the harness's `LiveKitServer` has
//! no webhook setting): free loopback ports, its own config and log, killed when dropped.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tests::livekit::{API_KEY, API_SECRET, free_tcp_port, free_udp_port};
use tests::paths;
use tokio::process::{Child, Command};

/// A livekit-server posting webhooks to `webhook`.
pub struct HookedServer {
    child: Child,
    pub http_port: u16,
    dir: tempfile::TempDir,
}

impl HookedServer {
    /// Starts the server (retrying on fresh ports when one was taken meanwhile).
    pub async fn start(webhook: &str) -> Result<Self> {
        let mut last = None;
        for _ in 0..3 {
            match Self::try_start(webhook).await {
                Ok(server) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("livekit-server did not start")))
    }

    async fn try_start(webhook: &str) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("livekit-hooked-")
            .tempdir()?;
        let http_port = free_tcp_port()?;
        let config = format!(
            r#"port: {http_port}
bind_addresses: ["127.0.0.1"]
log_level: info
rtc:
  udp_port: {udp}
  tcp_port: {tcp}
  node_ip: 127.0.0.1
  enable_loopback_candidate: true
  ips:
    includes: ["127.0.0.1/32"]
  use_external_ip: false
  stun_servers: ["127.0.0.1:3478"]
keys:
  {API_KEY}: {API_SECRET}
webhook:
  api_key: {API_KEY}
  urls: ["{webhook}"]
"#,
            udp = free_udp_port()?,
            tcp = free_tcp_port()?,
        );
        let path = dir.path().join("livekit.yaml");
        std::fs::write(&path, config)?;
        let log = std::fs::File::create(dir.path().join("server.log"))?;
        let child = Command::new(paths::livekit_server_bin())
            .arg("--config")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("starting livekit-server")?;
        let mut server = Self {
            child,
            http_port,
            dir,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("livekit-server exited with {status}: {}", self.log_text());
            }
            if client
                .get(self.http_url())
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("livekit-server not ready: {}", self.log_text());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `ws://127.0.0.1:<port>`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.http_port)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }
}
