//! One connection to the room: the signal socket and both peer connections, from join to
//! leave or loss. [`super::room`] runs sessions one after another when one is lost.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use livekit_protocol as proto;
use proto::{signal_request, signal_response};
use rtc::data_channel::RTCDataChannelInit;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use webrtc::data_channel::DataChannel;
use webrtc::peer_connection::{
    PeerConnection, RTCIceCandidateInit, RTCIceServer, RTCPeerConnectionState,
};

mod messages;
mod negotiation;

use messages::{DcEvent, spawn_dc_reader};

use super::data::{DataDecoder, DataEncoder};
use super::error::TransportError;
use super::inbound::spawn_track_reader;
use super::outbound::PublishedTrack;
use super::peer::{self, PcEvent, PcKind, PeerOptions};
use super::roster::{Roster, RosterChange};
use super::signal::{self, SignalConnection, SignalInbound};
use super::{RoomEvent, Transcription};

/// How long the subscriber (primary) connection may take to come up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the server may take to confirm our track before we negotiate without it.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// Reliable data packets held while the data channel opens, at most.
const MAX_PENDING_DATA: usize = 1024;
/// How long leaving waits after the last reliable packet so that SCTP can deliver it.
const DATA_LINGER: Duration = Duration::from_millis(300);

/// What the room asks the session to do.
pub(crate) enum Command {
    Data {
        topic: String,
        payload: Vec<u8>,
        to: Vec<String>,
    },
    Transcription(Transcription),
    Attributes(HashMap<String, String>),
    Leave(oneshot::Sender<()>),
}

/// How a session ended.
pub(crate) enum SessionEnd {
    /// We left (or the room handle was dropped).
    Left,
    /// Connection lost: rejoin.
    Lost(String),
    /// The server removed us: do not rejoin.
    Removed(String),
}

/// Everything one session needs from the room.
pub(crate) struct SessionConfig {
    pub url: String,
    pub token: String,
    pub loopback_only: bool,
    pub ignore_ice_servers: bool,
    pub publish_audio: bool,
}

pub(crate) struct Session {
    signal: SignalConnection,
    publisher: Arc<dyn PeerConnection>,
    subscriber: Arc<dyn PeerConnection>,
    pc_rx: mpsc::UnboundedReceiver<PcEvent>,
    dc_tx: mpsc::UnboundedSender<DcEvent>,
    dc_rx: mpsc::UnboundedReceiver<DcEvent>,
    reliable: Arc<dyn DataChannel>,
    reliable_open: bool,
    pending_data: VecDeque<Vec<u8>>,
    /// When the last reliable packet was handed to the data channel.
    last_reliable: Option<std::time::Instant>,
    roster: Roster,
    identity: String,
    readers: HashMap<String, (String, JoinHandle<()>)>,
    helpers: Vec<JoinHandle<()>>,
    offer_in_flight: bool,
    renegotiate: bool,
    offer_id: u32,
    remote_set: [bool; 2],
    pending_candidates: [Vec<RTCIceCandidateInit>; 2],
    pending_track_cid: Option<String>,
    published: watch::Sender<Option<PublishedTrack>>,
    /// The track negotiated but not handed to the pacer yet: RTP written before the
    /// publisher's DTLS handshake is done cannot be encrypted (SRTP has no keys yet).
    unconnected_track: Option<PublishedTrack>,
    /// The publisher's own candidates gathered before the server's answer.
    unsent_candidates: Vec<RTCIceCandidateInit>,
    publisher_connected: bool,
    encoder: DataEncoder,
    decoder: DataDecoder,
    request_id: u32,
    subscriber_connected: bool,
    started: Instant,
    events: mpsc::Sender<RoomEvent>,
}

impl Session {
    /// Joins the room: signal, peer connections, data channels, track publication request.
    pub(crate) async fn establish(
        config: &SessionConfig,
        attributes: &HashMap<String, String>,
        published: watch::Sender<Option<PublishedTrack>>,
        events: mpsc::Sender<RoomEvent>,
    ) -> Result<Self, TransportError> {
        let signal = signal::connect(&config.url, &config.token).await?;
        let join = &signal.join;
        let local = join.participant.clone().unwrap_or_default();
        let room = join
            .room
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let ice_servers = if config.ignore_ice_servers {
            Vec::new()
        } else {
            join.ice_servers
                .iter()
                .map(|s| RTCIceServer {
                    urls: s.urls.clone(),
                    username: s.username.clone(),
                    credential: s.credential.clone(),
                })
                .collect()
        };
        let options = PeerOptions {
            loopback_only: config.loopback_only,
            ice_servers,
        };
        let (pc_tx, pc_rx) = mpsc::unbounded_channel();
        let subscriber = peer::build(PcKind::Subscriber, &options, pc_tx.clone()).await?;
        let publisher = peer::build(PcKind::Publisher, &options, pc_tx).await?;
        let reliable = publisher
            .create_data_channel(
                "_reliable",
                Some(RTCDataChannelInit {
                    ordered: true,
                    ..Default::default()
                }),
            )
            .await?;
        let lossy = publisher
            .create_data_channel(
                "_lossy",
                Some(RTCDataChannelInit {
                    ordered: false,
                    max_retransmits: Some(0),
                    ..Default::default()
                }),
            )
            .await?;
        let (dc_tx, dc_rx) = mpsc::unbounded_channel();
        let helpers = vec![
            spawn_dc_reader(PcKind::Publisher, reliable.clone(), dc_tx.clone()),
            spawn_dc_reader(PcKind::Publisher, lossy, dc_tx.clone()),
        ];
        let mut session = Self {
            roster: Roster::new(&local),
            identity: local.identity.clone(),
            signal,
            publisher,
            subscriber,
            pc_rx,
            dc_tx,
            dc_rx,
            reliable,
            reliable_open: false,
            pending_data: VecDeque::new(),
            last_reliable: None,
            readers: HashMap::new(),
            helpers,
            offer_in_flight: false,
            renegotiate: false,
            offer_id: 0,
            remote_set: [false; 2],
            pending_candidates: [Vec::new(), Vec::new()],
            pending_track_cid: None,
            published,
            unconnected_track: None,
            unsent_candidates: Vec::new(),
            publisher_connected: false,
            encoder: DataEncoder::default(),
            decoder: DataDecoder::default(),
            request_id: 0,
            subscriber_connected: false,
            started: Instant::now(),
            events,
        };
        // With a track to publish, the first offer waits for `track_published`, so that it
        // carries the data channels and the audio together. Renegotiating a sender while ICE
        // completes (offer 2 out, connected before its answer) left webrtc-rs 0.21 never
        // sending on the new track in about one join in three under load.
        if config.publish_audio {
            let cid = format!("TR_agent_{:08x}", rand::random::<u32>());
            session.send(signal_request::Message::AddTrack(proto::AddTrackRequest {
                cid: cid.clone(),
                name: "agent-voice".into(),
                r#type: proto::TrackType::Audio as i32,
                source: proto::TrackSource::Microphone as i32,
                disable_red: true,
                ..Default::default()
            }));
            session.pending_track_cid = Some(cid);
        } else {
            session.negotiate().await?;
        }
        if !attributes.is_empty() {
            session.update_attributes(attributes.clone());
        }
        session
            .emit(RoomEvent::Connected {
                sid: local.sid.clone(),
                identity: local.identity.clone(),
                room,
            })
            .await;
        let others = session.signal.join.other_participants.clone();
        let changes = session.roster.apply(&others);
        session.apply_changes(changes).await;
        Ok(session)
    }

    /// Runs until we leave, the server removes us, or the connection is lost. Attribute
    /// updates are merged into `attributes`, so the next session can restore them.
    pub(crate) async fn run(
        mut self,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        attributes: &mut HashMap<String, String>,
    ) -> SessionEnd {
        let end = self.run_inner(commands, attributes).await;
        self.teardown().await;
        end
    }

    async fn run_inner(
        &mut self,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        attributes: &mut HashMap<String, String>,
    ) -> SessionEnd {
        let connect_deadline = tokio::time::sleep(CONNECT_TIMEOUT);
        tokio::pin!(connect_deadline);
        let publish_deadline = tokio::time::sleep(PUBLISH_TIMEOUT);
        tokio::pin!(publish_deadline);
        loop {
            let result = tokio::select! {
                inbound = self.signal.rx.recv() => match inbound {
                    Some(SignalInbound::Message(message)) => self.on_signal(*message).await,
                    Some(SignalInbound::Lost(reason)) => return SessionEnd::Lost(reason),
                    None => return SessionEnd::Lost("signal task ended".into()),
                },
                Some(event) = self.pc_rx.recv() => self.on_pc_event(event).await,
                Some(event) = self.dc_rx.recv() => {
                    self.on_dc_event(event).await;
                    Ok(None)
                }
                command = commands.recv() => match command {
                    Some(Command::Leave(done)) => {
                        self.leave().await;
                        let _ = done.send(());
                        return SessionEnd::Left;
                    }
                    Some(command) => {
                        if let Command::Attributes(a) = &command {
                            attributes.extend(a.clone());
                        }
                        self.on_command(command).await;
                        Ok(None)
                    }
                    None => {
                        self.leave().await;
                        return SessionEnd::Left;
                    }
                },
                () = &mut publish_deadline, if self.pending_track_cid.is_some() => {
                    tracing::warn!("no track_published from the server; negotiating without audio");
                    self.pending_track_cid = None;
                    self.negotiate().await.map(|()| None)
                }
                () = &mut connect_deadline, if !self.subscriber_connected => {
                    return SessionEnd::Lost(format!(
                        "subscriber connection not up after {:?}",
                        self.started.elapsed()
                    ));
                }
            };
            match result {
                Ok(None) => {}
                Ok(Some(end)) => return end,
                Err(e) => return SessionEnd::Lost(e.to_string()),
            }
        }
    }

    async fn on_signal(
        &mut self,
        message: signal_response::Message,
    ) -> Result<Option<SessionEnd>, TransportError> {
        use signal_response::Message as M;
        match message {
            M::Offer(offer) => self.on_subscriber_offer(offer).await?,
            M::Answer(answer) => self.on_publisher_answer(answer).await?,
            M::Trickle(trickle) => self.on_remote_candidate(trickle).await,
            M::Update(update) => {
                let changes = self.roster.apply(&update.participants);
                self.apply_changes(changes).await;
            }
            M::TrackPublished(published) => self.on_track_published(published).await?,
            M::Leave(leave) => {
                let reason = format!(
                    "server leave (reason {}, action {})",
                    leave.reason, leave.action
                );
                let disconnect = leave.action == proto::leave_request::Action::Disconnect as i32;
                return Ok(Some(if disconnect && !leave.can_reconnect {
                    SessionEnd::Removed(reason)
                } else {
                    SessionEnd::Lost(reason)
                }));
            }
            M::TrackSubscribed(subscribed) => {
                self.emit(RoomEvent::LocalTrackSubscribed {
                    track_sid: subscribed.track_sid,
                })
                .await;
            }
            M::RefreshToken(_) | M::PongResp(_) | M::Pong(_) => {}
            other => {
                tracing::trace!(message = ?std::mem::discriminant(&other), "signal message ignored")
            }
        }
        Ok(None)
    }

    async fn on_pc_event(&mut self, event: PcEvent) -> Result<Option<SessionEnd>, TransportError> {
        match event {
            PcEvent::Candidate(kind, init) => {
                // Until the server's answer is applied, the publisher cannot check a
                // server's connectivity request (it has no remote password and drops it), so
                // its candidates wait for the answer and the server's first checks succeed.
                if kind == PcKind::Publisher && !self.remote_set[0] {
                    self.unsent_candidates.push(init);
                } else {
                    self.trickle(kind, &init);
                }
            }
            PcEvent::State(kind, state) => {
                tracing::debug!(?kind, %state, "peer connection state");
                match state {
                    RTCPeerConnectionState::Connected if kind == PcKind::Subscriber => {
                        self.subscriber_connected = true;
                    }
                    RTCPeerConnectionState::Connected => {
                        self.publisher_connected = true;
                        if let Some(track) = self.unconnected_track.take() {
                            self.published.send_replace(Some(track));
                        }
                    }
                    RTCPeerConnectionState::Failed => {
                        return Err(TransportError::PeerConnectionFailed(match kind {
                            PcKind::Publisher => "publisher",
                            PcKind::Subscriber => "subscriber",
                        }));
                    }
                    _ => {}
                }
            }
            PcEvent::Track(track) => {
                let stream_id = track.stream_id().await;
                let track_sid = track.track_id().await;
                let participant_sid = stream_id.split('|').next().unwrap_or_default();
                let identity = self
                    .roster
                    .identity(participant_sid)
                    .unwrap_or(participant_sid)
                    .to_string();
                let reader = spawn_track_reader(
                    track,
                    identity.as_str().into(),
                    track_sid.as_str().into(),
                    self.events.clone(),
                );
                if let Some((_, old)) = self
                    .readers
                    .insert(track_sid.clone(), (identity.clone(), reader))
                {
                    old.abort();
                }
                self.emit(RoomEvent::TrackSubscribed {
                    identity,
                    track_sid,
                })
                .await;
            }
            PcEvent::DataChannel(kind, channel) => {
                self.helpers
                    .push(spawn_dc_reader(kind, channel, self.dc_tx.clone()));
            }
        }
        Ok(None)
    }

    async fn apply_changes(&mut self, changes: Vec<RosterChange>) {
        for change in changes {
            let event = match change {
                RosterChange::Joined {
                    identity,
                    attributes,
                } => RoomEvent::ParticipantJoined {
                    identity,
                    attributes,
                },
                RosterChange::Left { identity } => RoomEvent::ParticipantLeft { identity },
                RosterChange::Attributes {
                    identity,
                    attributes,
                } => RoomEvent::AttributesChanged {
                    identity,
                    attributes,
                },
                RosterChange::TrackMuted {
                    identity,
                    track_sid,
                    muted,
                } => RoomEvent::TrackMuted {
                    identity,
                    track_sid,
                    muted,
                },
                RosterChange::TrackRemoved {
                    identity,
                    track_sid,
                } => match self.readers.remove(&track_sid) {
                    Some((_, reader)) => {
                        reader.abort();
                        RoomEvent::TrackUnsubscribed {
                            identity,
                            track_sid,
                        }
                    }
                    None => continue,
                },
            };
            self.emit(event).await;
        }
    }

    async fn leave(&mut self) {
        // Packets just handed to SCTP (a closing line's final transcript) still have to get
        // out: closing the peer connection at once would drop them. The data channel
        // cannot report its buffered amount, so linger briefly after the last one.
        if let Some(last) = self.last_reliable {
            let remaining = DATA_LINGER.saturating_sub(last.elapsed());
            if !remaining.is_zero() {
                tokio::time::sleep(remaining).await;
            }
        }
        self.signal.leave().await;
    }

    async fn teardown(mut self) {
        self.published.send_replace(None);
        for (track_sid, (identity, reader)) in std::mem::take(&mut self.readers) {
            reader.abort();
            self.emit(RoomEvent::TrackUnsubscribed {
                identity,
                track_sid,
            })
            .await;
        }
        for identity in self.roster.remote_identities() {
            self.emit(RoomEvent::ParticipantLeft { identity }).await;
        }
        for helper in &self.helpers {
            helper.abort();
        }
        let _ = self.publisher.close().await;
        let _ = self.subscriber.close().await;
    }

    fn pc(&self, kind: PcKind) -> &Arc<dyn PeerConnection> {
        match kind {
            PcKind::Publisher => &self.publisher,
            PcKind::Subscriber => &self.subscriber,
        }
    }

    fn send(&self, message: signal_request::Message) {
        // A closed request channel means the socket is gone; the loss arrives as an event.
        let _ = self.signal.tx.send(message);
    }

    async fn emit(&self, event: RoomEvent) {
        let _ = self.events.send(event).await;
    }
}
