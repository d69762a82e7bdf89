//! A real livekit-server on free loopback ports, one per test (or per test binary).
//!
//! The server is the binary `scripts/setup.sh` built from the Go module proxy. Each instance
//! gets its own config file, ports and log file, so tests can run in parallel.

use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use livekit_api::access_token::{AccessToken, VideoGrants};
use livekit_api::services::room::RoomClient;
use tokio::process::{Child, Command};

use crate::paths;

/// API key of every test server.
pub const API_KEY: &str = "devkey";
/// API secret of every test server (at least 32 bytes, as the server wants).
pub const API_SECRET: &str = "secret-for-tests-only-0123456789abcdef";

/// How long a server may take to answer its health check after start.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How many sets of fresh ports `start` tries before giving up.
const START_ATTEMPTS: usize = 3;

/// A running livekit-server. Killed when dropped.
pub struct LiveKitServer {
    child: Option<Child>,
    http_port: u16,
    rtc_tcp_port: u16,
    udp_port: u16,
    /// Where the server posts its webhooks, if anywhere.
    webhook: Option<String>,
    dir: tempfile::TempDir,
}

impl LiveKitServer {
    /// Starts a server on free loopback ports and waits until it answers.
    ///
    /// Free ports are only free "a moment ago": another process may take one before the
    /// server binds it. A server that exits at start is retried on fresh ports.
    pub async fn start() -> Result<Self> {
        Self::start_with(None).await
    }

    /// Starts a server that posts its webhooks (signed with [`API_KEY`]) to `webhook`.
    pub async fn with_webhook(webhook: &str) -> Result<Self> {
        Self::start_with(Some(webhook)).await
    }

    async fn start_with(webhook: Option<&str>) -> Result<Self> {
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            let dir = tempfile::Builder::new().prefix("livekit-").tempdir()?;
            let mut server = Self {
                child: None,
                http_port: free_tcp_port()?,
                rtc_tcp_port: free_tcp_port()?,
                udp_port: free_udp_port()?,
                webhook: webhook.map(str::to_owned),
                dir,
            };
            match server.spawn().await {
                Ok(()) => return Ok(server),
                Err(e) if server.exited() => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("livekit-server did not start")))
    }

    /// Whether the server process has exited (a port taken by someone else, for example).
    fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|child| matches!(child.try_wait(), Ok(Some(_))))
    }

    /// `ws://127.0.0.1:<port>`, for clients.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.http_port)
    }

    /// `http://127.0.0.1:<port>`, for the server API (RoomService, AgentDispatch).
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// The API key the server accepts.
    pub fn api_key(&self) -> &str {
        API_KEY
    }

    /// The API secret the server accepts.
    pub fn api_secret(&self) -> &str {
        API_SECRET
    }

    /// The server's log file (stdout and stderr), for debugging a failed test.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// A RoomService client for this server.
    pub fn room_client(&self) -> RoomClient {
        RoomClient::with_api_key(&self.http_url(), API_KEY, API_SECRET)
    }

    /// A participant token for `room` with publish, subscribe and data grants.
    pub fn token(&self, identity: &str, room: &str) -> Result<String> {
        AccessToken::with_api_key(API_KEY, API_SECRET)
            .with_identity(identity)
            .with_name(identity)
            .with_ttl(Duration::from_secs(3600))
            .with_grants(VideoGrants {
                room_join: true,
                room: room.to_string(),
                can_publish: Some(true),
                can_subscribe: Some(true),
                can_publish_data: Some(true),
                can_update_own_metadata: Some(true),
                ..Default::default()
            })
            .to_jwt()
            .context("minting a participant token")
    }

    /// A worker token for the `/agent` endpoint.
    pub fn agent_token(&self) -> Result<String> {
        AccessToken::with_api_key(API_KEY, API_SECRET)
            .with_identity("agent-worker")
            .with_ttl(Duration::from_secs(3600))
            .with_grants(VideoGrants {
                agent: true,
                ..Default::default()
            })
            .to_jwt()
            .context("minting an agent token")
    }

    /// Kills the server (as a crash would) and starts it again on the same ports.
    pub async fn restart(&mut self) -> Result<()> {
        self.kill().await;
        self.spawn().await
    }

    /// Kills the server process and waits for it to exit.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    async fn spawn(&mut self) -> Result<()> {
        let bin = paths::livekit_server_bin();
        if !bin.exists() {
            bail!("{} is missing: run scripts/setup.sh", bin.display());
        }
        let config = self.dir.path().join("livekit.yaml");
        std::fs::write(&config, self.config_yaml())?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let child = Command::new(&bin)
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        self.child = Some(child);
        self.wait_ready().await
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()?;
        let url = self.http_url();
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tick.tick().await;
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "livekit-server exited with {status}; log:\n{}",
                    std::fs::read_to_string(self.log_path()).unwrap_or_default()
                );
            }
            if let Ok(resp) = client.get(&url).send().await
                && resp.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "livekit-server did not answer on {url} within {READY_TIMEOUT:?}; log:\n{}",
                    std::fs::read_to_string(self.log_path()).unwrap_or_default()
                );
            }
        }
    }

    /// The server's HTTP port (signal and server API).
    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn config_yaml(&self) -> String {
        let webhook = self.webhook.as_ref().map_or_else(String::new, |url| {
            format!("webhook:\n  api_key: {API_KEY}\n  urls: [\"{url}\"]\n")
        });
        format!(
            r#"port: {http}
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
{webhook}"#,
            http = self.http_port,
            udp = self.udp_port,
            tcp = self.rtc_tcp_port,
        )
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_tcp_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> Result<u16> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}
