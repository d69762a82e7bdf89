//! A loopback TCP proxy in front of livekit-server's HTTP/WebSocket port that can cut the
//! workers' `/agent` sockets while leaving the rooms' `/rtc` signal sockets alone (it reads
//! each connection's request line to tell them apart).

use std::sync::{Arc, Mutex};

use anyhow::Result;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// The proxy; stops when dropped.
pub struct AgentSocketProxy {
    pub port: u16,
    agent_sockets: Arc<Mutex<Vec<AbortHandle>>>,
    accepted: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl AgentSocketProxy {
    /// Proxies 127.0.0.1:<free port> to 127.0.0.1:`upstream`.
    pub async fn start(upstream: u16) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let agent_sockets: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accepted: Arc<Mutex<usize>> = Arc::default();
        let (sockets, count) = (agent_sockets.clone(), accepted.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (sockets, count) = (sockets.clone(), count.clone());
                tokio::spawn(async move {
                    let _ = forward(client, upstream, sockets, count).await;
                });
            }
        });
        Ok(Self {
            port,
            agent_sockets,
            accepted,
            task,
        })
    }

    /// `ws://127.0.0.1:<port>`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Closes every open `/agent` socket (both directions, at once); returns how many.
    pub fn cut(&self) -> usize {
        let handles: Vec<AbortHandle> =
            std::mem::take(&mut *self.agent_sockets.lock().expect("proxy lock"));
        for handle in &handles {
            handle.abort();
        }
        handles.len()
    }

    /// `/agent` connections accepted so far.
    pub fn agent_connections(&self) -> usize {
        *self.accepted.lock().expect("proxy lock")
    }
}

impl Drop for AgentSocketProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

async fn forward(
    mut client: TcpStream,
    upstream: u16,
    sockets: Arc<Mutex<Vec<AbortHandle>>>,
    accepted: Arc<Mutex<usize>>,
) -> Result<()> {
    // Read up to the end of the request line.
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.contains(&b'\n') && head.len() < 8192 {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let is_agent = head.starts_with(b"GET /agent");
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).await?;
    server.write_all(&head).await?;
    let pipe = tokio::spawn(async move {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    });
    if is_agent {
        *accepted.lock().expect("proxy lock") += 1;
        sockets
            .lock()
            .expect("proxy lock")
            .push(pipe.abort_handle());
    }
    let _ = pipe.await;
    Ok(())
}
