//! A tiny HTTP/1.1 server on `127.0.0.1:0` for fakes: one request per
//! connection, responses streamed and ended by closing the socket.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path with query string.
    pub target: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, or `Null`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Requests recorded by a fake, shared with the test.
pub type Recorded = Arc<Mutex<Vec<Request>>>;

/// A running fake; the server stops when this is dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub recorded: Recorded,
    task: JoinHandle<()>,
}

impl Server {
    /// `http://127.0.0.1:PORT/v1`, the base URL clients are given.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// A copy of every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.recorded.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `handler(request, call_index, socket)` for every connection.
pub async fn serve<H, Fut>(handler: H) -> Result<Server>
where
    H: Fn(Request, usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let recorded: Recorded = Arc::default();
    let handler = Arc::new(handler);
    let rec = recorded.clone();
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let handler = handler.clone();
            let rec = rec.clone();
            tokio::spawn(async move {
                let Ok((request, socket)) = read_request(socket).await else {
                    return;
                };
                let index = {
                    let Ok(mut r) = rec.lock() else { return };
                    r.push(request.clone());
                    r.len() - 1
                };
                let _ = handler(request, index, socket).await;
            });
        }
    });
    Ok(Server {
        addr,
        recorded,
        task,
    })
}

async fn read_request(socket: TcpStream) -> Result<(Request, TcpStream)> {
    let mut reader = BufReader::new(socket);
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let mut parts = line.split_whitespace();
    let method = parts.next().context("no method")?.to_owned();
    let target = parts.next().context("no target")?.to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            bail!("eof in headers");
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len.min(8 << 20)];
    reader.read_exact(&mut body).await?;
    Ok((
        Request {
            method,
            target,
            headers,
            body,
        },
        reader.into_inner(),
    ))
}

/// Writes a status line and headers of a close-delimited response.
pub async fn write_head(
    socket: &mut TcpStream,
    status: &str,
    headers: &[(&str, &str)],
) -> Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await?;
    Ok(())
}

/// Writes a short complete response and closes.
pub async fn respond(
    mut socket: TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<()> {
    let len = body.len().to_string();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("Content-Length", &len));
    write_head(&mut socket, status, &all).await?;
    socket.write_all(body.as_bytes()).await?;
    socket.shutdown().await?;
    Ok(())
}
