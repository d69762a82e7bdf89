//! [`LiveKitRoom`]: the real transport. A supervisor task runs sessions one after another,
//! rejoining with exponential backoff when one is lost; a pacer task sends the agent's voice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::error::TransportError;
use super::outbound::{OutboundQueue, PublishedTrack, run_pacer};
use super::session::{Command, Session, SessionConfig, SessionEnd};
use super::{AGENT_STATE_ATTRIBUTE, AgentState, RoomEvent, RoomTransport, Transcription};

/// Room events buffered for the consumer (audio is dropped beyond this, control waits).
const EVENT_BUFFER: usize = 4096;

/// How to rejoin after a loss.
#[derive(Debug, Clone)]
pub struct ReconnectPolicy {
    /// Give up after this many failed attempts in a row.
    pub max_attempts: u32,
    /// Wait before the second attempt (the first is immediate); doubles up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            // A candidate is waiting: retry often (every 2 s at most) for about 75 s.
            max_attempts: 40,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(2),
        }
    }
}

/// How to join.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `ws://`, `wss://`, `http://` or `https://` URL of the server.
    pub url: String,
    /// Participant token (never logged).
    pub token: String,
    /// Bind ICE UDP to 127.0.0.1 only and gather loopback candidates (tests, local servers).
    pub loopback_only: bool,
    /// Ignore the ICE servers in the JoinResponse (tests: no public STUN).
    pub ignore_ice_servers: bool,
    /// Publish the agent's microphone track at join.
    pub publish_audio: bool,
    /// Rejoin policy.
    pub reconnect: ReconnectPolicy,
}

impl ConnectOptions {
    /// Options for `url` and `token` with a published track and default reconnects.
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            token: token.into(),
            loopback_only: false,
            ignore_ice_servers: false,
            publish_audio: true,
            reconnect: ReconnectPolicy::default(),
        }
    }
}

/// The command side of a [`LiveKitRoom`]: cheap to clone, usable from any task while another
/// task owns the room and reads its events.
#[derive(Clone)]
pub struct RoomHandle {
    commands: mpsc::UnboundedSender<Command>,
    queue: Arc<OutboundQueue>,
}

impl RoomHandle {
    fn command(&self, command: Command) -> Result<(), TransportError> {
        self.commands
            .send(command)
            .map_err(|_| TransportError::Closed)
    }

    /// Sets participant attributes (merged with those set before; kept across rejoins).
    pub fn set_attributes(
        &self,
        attributes: HashMap<String, String>,
    ) -> Result<(), TransportError> {
        self.command(Command::Attributes(attributes))
    }

    /// See [`RoomTransport::push_audio`].
    pub fn push_audio(&self, frame: &[i16]) -> Result<(), TransportError> {
        self.queue.push(frame)
    }

    /// See [`RoomTransport::flush_audio`].
    pub fn flush_audio(&self) -> usize {
        self.queue.flush()
    }

    /// See [`RoomTransport::queued_audio`].
    pub fn queued_audio(&self) -> usize {
        self.queue.len()
    }

    /// See [`RoomTransport::send_data`].
    pub fn send_data(
        &self,
        topic: &str,
        payload: &[u8],
        to: &[String],
    ) -> Result<(), TransportError> {
        self.command(Command::Data {
            topic: topic.to_string(),
            payload: payload.to_vec(),
            to: to.to_vec(),
        })
    }

    /// See [`RoomTransport::send_transcription`].
    pub fn send_transcription(&self, transcription: Transcription) -> Result<(), TransportError> {
        self.command(Command::Transcription(transcription))
    }

    /// See [`RoomTransport::set_agent_state`].
    pub fn set_agent_state(&self, state: AgentState) -> Result<(), TransportError> {
        self.set_attributes(HashMap::from([(
            AGENT_STATE_ATTRIBUTE.to_string(),
            state.as_str().to_string(),
        )]))
    }
}

/// A LiveKit room joined over the network.
pub struct LiveKitRoom {
    handle: RoomHandle,
    events: mpsc::Receiver<RoomEvent>,
    supervisor: JoinHandle<()>,
    pacer: JoinHandle<()>,
}

impl LiveKitRoom {
    /// Joins the room; fails if the first join fails (later losses are rejoined).
    pub async fn connect(options: ConnectOptions) -> Result<Self, TransportError> {
        let (event_tx, events) = mpsc::channel(EVENT_BUFFER);
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (track_tx, track_rx) = watch::channel(None);
        let queue = Arc::new(OutboundQueue::default());
        let config = SessionConfig {
            url: options.url.clone(),
            token: options.token.clone(),
            loopback_only: options.loopback_only,
            ignore_ice_servers: options.ignore_ice_servers,
            publish_audio: options.publish_audio,
        };
        let first =
            Session::establish(&config, &HashMap::new(), track_tx.clone(), event_tx.clone())
                .await?;
        let pacer = tokio::spawn(run_pacer(queue.clone(), track_rx));
        let supervisor = tokio::spawn(supervise(
            config,
            options.reconnect,
            first,
            command_rx,
            track_tx,
            event_tx,
        ));
        Ok(Self {
            handle: RoomHandle { commands, queue },
            events,
            supervisor,
            pacer,
        })
    }

    /// A handle for sending from other tasks.
    pub fn handle(&self) -> RoomHandle {
        self.handle.clone()
    }

    /// Sets participant attributes (merged with those set before; kept across rejoins).
    pub fn set_attributes(
        &self,
        attributes: HashMap<String, String>,
    ) -> Result<(), TransportError> {
        self.handle.set_attributes(attributes)
    }
}

impl Drop for LiveKitRoom {
    fn drop(&mut self) {
        self.pacer.abort();
    }
}

impl RoomTransport for LiveKitRoom {
    fn push_audio(&self, frame: &[i16]) -> Result<(), TransportError> {
        self.handle.push_audio(frame)
    }

    fn flush_audio(&self) -> usize {
        self.handle.flush_audio()
    }

    fn queued_audio(&self) -> usize {
        self.handle.queued_audio()
    }

    fn send_data(&self, topic: &str, payload: &[u8], to: &[String]) -> Result<(), TransportError> {
        self.handle.send_data(topic, payload, to)
    }

    fn send_transcription(&self, transcription: Transcription) -> Result<(), TransportError> {
        self.handle.send_transcription(transcription)
    }

    fn set_agent_state(&self, state: AgentState) -> Result<(), TransportError> {
        self.handle.set_agent_state(state)
    }

    async fn next_event(&mut self) -> Option<RoomEvent> {
        self.events.recv().await
    }

    async fn leave(mut self) {
        let (done, wait) = oneshot::channel();
        if self.handle.command(Command::Leave(done)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), wait).await;
        }
        self.pacer.abort();
        let supervisor = std::mem::replace(&mut self.supervisor, tokio::spawn(async {}));
        let _ = tokio::time::timeout(Duration::from_secs(5), supervisor).await;
    }
}

async fn supervise(
    config: SessionConfig,
    policy: ReconnectPolicy,
    first: Session,
    mut commands: mpsc::UnboundedReceiver<Command>,
    track: watch::Sender<Option<PublishedTrack>>,
    events: mpsc::Sender<RoomEvent>,
) {
    let mut attributes: HashMap<String, String> = HashMap::new();
    let mut session = Some(first);
    loop {
        let end = match session.take() {
            Some(s) => s.run(&mut commands, &mut attributes).await,
            None => SessionEnd::Lost("not connected".into()),
        };
        let reason = match end {
            SessionEnd::Left => {
                let _ = events
                    .send(RoomEvent::Disconnected {
                        reason: "left".into(),
                    })
                    .await;
                return;
            }
            SessionEnd::Removed(reason) => {
                let _ = events.send(RoomEvent::Disconnected { reason }).await;
                return;
            }
            SessionEnd::Lost(reason) => reason,
        };
        tracing::warn!(%reason, "session lost; rejoining");
        let mut backoff = policy.initial_backoff;
        let mut attempt = 0;
        while session.is_none() {
            attempt += 1;
            if attempt > policy.max_attempts {
                let _ = events
                    .send(RoomEvent::Disconnected {
                        reason: format!("gave up after {} attempts: {reason}", policy.max_attempts),
                    })
                    .await;
                return;
            }
            let _ = events
                .send(RoomEvent::Reconnecting {
                    attempt,
                    reason: reason.clone(),
                })
                .await;
            let wait = if attempt > 1 { backoff } else { Duration::ZERO };
            backoff = if attempt > 1 {
                (backoff * 2).min(policy.max_backoff)
            } else {
                backoff
            };
            let snapshot = attributes.clone();
            let establish = async {
                tokio::time::sleep(wait).await;
                Session::establish(&config, &snapshot, track.clone(), events.clone()).await
            };
            // While rejoining, a leave ends the room at once; other commands wait for the
            // next session (attributes are merged so the new session restores them).
            let mut held = Vec::new();
            let outcome = {
                tokio::pin!(establish);
                loop {
                    tokio::select! {
                        result = &mut establish => break Some(result),
                        command = commands.recv() => match command {
                            None | Some(Command::Leave(_)) => break None,
                            Some(command) => {
                                if let Command::Attributes(a) = &command {
                                    attributes.extend(a.clone());
                                }
                                held.push(command);
                            }
                        },
                    }
                }
            };
            match outcome {
                None => {
                    let _ = events
                        .send(RoomEvent::Disconnected {
                            reason: "left while rejoining".into(),
                        })
                        .await;
                    return;
                }
                Some(Ok(mut s)) => {
                    for command in held {
                        s.handle_command(command).await;
                    }
                    session = Some(s);
                }
                Some(Err(e)) => tracing::warn!(error = %e, attempt, "rejoin failed"),
            }
        }
    }
}
