//! The signal client: a WebSocket to `<url>/rtc` carrying binary `SignalRequest` /
//! `SignalResponse` protobufs, with keepalive and a clean leave.
//!
//! One task owns the socket. Requests go in through an unbounded channel; responses come out
//! of another, which ends with [`SignalInbound::Lost`] when the socket closes, errors, or the
//! server stops answering pings.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use livekit_protocol as proto;
use prost::Message as _;
use proto::{signal_request, signal_response};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::error::TransportError;

/// Signal protocol version: 16 keeps in-band data channels and the dual-PC flow.
const PROTOCOL_VERSION: u32 = 16;
/// How long opening the socket and receiving the `JoinResponse` may take.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What the socket task hands to the session.
#[derive(Debug)]
pub(crate) enum SignalInbound {
    /// A message from the server.
    Message(Box<signal_response::Message>),
    /// The connection is gone; nothing more will come.
    Lost(String),
}

/// An open signal connection after a successful join.
pub(crate) struct SignalConnection {
    /// The server's answer to our join.
    pub join: proto::JoinResponse,
    /// Requests to the server.
    pub tx: mpsc::UnboundedSender<signal_request::Message>,
    /// Responses from the server.
    pub rx: mpsc::UnboundedReceiver<SignalInbound>,
    task: JoinHandle<()>,
    leave_done: tokio::sync::oneshot::Receiver<()>,
}

impl SignalConnection {
    /// Sends `leave{CLIENT_INITIATED}` and waits (briefly) until the socket task flushed it.
    pub async fn leave(&mut self) {
        let leave = proto::LeaveRequest {
            can_reconnect: false,
            reason: proto::DisconnectReason::ClientInitiated as i32,
            action: proto::leave_request::Action::Disconnect as i32,
            regions: None,
        };
        if self.tx.send(signal_request::Message::Leave(leave)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.leave_done).await;
        }
        self.task.abort();
    }
}

impl Drop for SignalConnection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The `/rtc` URL for `base` (`ws://`, `wss://`, `http://` or `https://`).
pub(crate) fn rtc_url(base: &str) -> Result<String, TransportError> {
    let base = base.trim().trim_end_matches('/');
    let rest = if let Some(r) = base.strip_prefix("http://") {
        format!("ws://{r}")
    } else if let Some(r) = base.strip_prefix("https://") {
        format!("wss://{r}")
    } else if base.starts_with("ws://") || base.starts_with("wss://") {
        base.to_string()
    } else {
        return Err(TransportError::InvalidUrl(base.to_string()));
    };
    Ok(format!(
        "{rest}/rtc?protocol={PROTOCOL_VERSION}&client_protocol=0&sdk=rust&version={}\
         &auto_subscribe=1&adaptive_stream=0",
        env!("CARGO_PKG_VERSION")
    ))
}

/// Opens the socket, waits for the `JoinResponse` and starts the socket task.
pub(crate) async fn connect(url: &str, token: &str) -> Result<SignalConnection, TransportError> {
    let mut request = rtc_url(url)?
        .into_client_request()
        .map_err(|e| TransportError::InvalidUrl(e.to_string()))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| TransportError::SignalConnect("token has invalid characters".into()))?;
    request.headers_mut().insert("Authorization", bearer);

    let deadline = Instant::now() + JOIN_TIMEOUT;
    let (mut ws, _) = tokio::time::timeout_at(deadline, tokio_tungstenite::connect_async(request))
        .await
        .map_err(|_| TransportError::Timeout("the signal WebSocket"))?
        .map_err(|e| TransportError::SignalConnect(describe_ws_error(e)))?;

    let join = loop {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| TransportError::Timeout("the JoinResponse"))?;
        match frame {
            Some(Ok(WsMessage::Binary(bytes))) => match decode(&bytes)? {
                signal_response::Message::Join(join) => break join,
                signal_response::Message::Leave(leave) => {
                    return Err(TransportError::Removed(format!(
                        "leave before join (reason {})",
                        leave.reason
                    )));
                }
                _ => continue,
            },
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(TransportError::SignalConnect(e.to_string())),
            None => return Err(TransportError::SignalConnect("closed before join".into())),
        }
    };

    let ping_interval = Duration::from_secs(u64::try_from(join.ping_interval).unwrap_or(0).max(1));
    let ping_timeout = Duration::from_secs(
        u64::try_from(join.ping_timeout)
            .unwrap_or(0)
            .max(ping_interval.as_secs() * 2),
    );
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (resp_tx, resp_rx) = mpsc::unbounded_channel();
    let (leave_tx, leave_done) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(run_socket(
        ws,
        req_rx,
        resp_tx,
        leave_tx,
        ping_interval,
        ping_timeout,
    ));
    Ok(SignalConnection {
        join,
        tx: req_tx,
        rx: resp_rx,
        task,
        leave_done,
    })
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn run_socket(
    mut ws: Ws,
    mut requests: mpsc::UnboundedReceiver<signal_request::Message>,
    responses: mpsc::UnboundedSender<SignalInbound>,
    leave_done: tokio::sync::oneshot::Sender<()>,
    ping_interval: Duration,
    ping_timeout: Duration,
) {
    let mut ping = tokio::time::interval(ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let mut leave_done = Some(leave_done);
    let reason = loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(WsMessage::Binary(bytes))) => {
                    last_heard = Instant::now();
                    match decode(&bytes) {
                        Ok(message) => {
                            if responses.send(SignalInbound::Message(Box::new(message))).is_err() {
                                return;
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "ignoring a malformed signal message"),
                    }
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    break format!("closed by the server ({frame:?})");
                }
                Some(Ok(_)) => last_heard = Instant::now(),
                Some(Err(e)) => break format!("socket error: {e}"),
                None => break "socket closed".to_string(),
            },
            request = requests.recv() => {
                let Some(request) = request else { break "session ended".to_string() };
                let is_leave = matches!(request, signal_request::Message::Leave(_));
                let bytes = proto::SignalRequest { message: Some(request) }.encode_to_vec();
                if let Err(e) = ws.send(WsMessage::Binary(bytes.into())).await {
                    break format!("send failed: {e}");
                }
                if is_leave {
                    let _ = ws.close(None).await;
                    if let Some(done) = leave_done.take() {
                        let _ = done.send(());
                    }
                    return;
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > ping_timeout {
                    break format!("no message from the server for {ping_timeout:?}");
                }
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                    .unwrap_or(0);
                let req = proto::SignalRequest {
                    message: Some(signal_request::Message::PingReq(proto::Ping { timestamp: now_ms, rtt: 0 })),
                };
                if let Err(e) = ws.send(WsMessage::Binary(req.encode_to_vec().into())).await {
                    break format!("ping failed: {e}");
                }
            }
        }
    };
    let _ = responses.send(SignalInbound::Lost(reason));
}

fn decode(bytes: &[u8]) -> Result<signal_response::Message, TransportError> {
    proto::SignalResponse::decode(bytes)
        .map_err(|e| TransportError::Protocol(e.to_string()))?
        .message
        .ok_or_else(|| TransportError::Protocol("empty SignalResponse".into()))
}

fn describe_ws_error(e: tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Http(response) => {
            let body = response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            format!("HTTP {}: {}", response.status(), body.trim())
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtc_url_accepts_ws_and_http_schemes() {
        let url = rtc_url("http://127.0.0.1:7880/").expect("http is accepted");
        assert!(
            url.starts_with("ws://127.0.0.1:7880/rtc?protocol=16&"),
            "{url}"
        );
        let url = rtc_url("wss://example.livekit.cloud").expect("wss is accepted");
        assert!(url.starts_with("wss://example.livekit.cloud/rtc?"), "{url}");
        assert!(matches!(
            rtc_url("ftp://x"),
            Err(TransportError::InvalidUrl(_))
        ));
    }
}
