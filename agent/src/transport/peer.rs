//! Building the two peer connections (webrtc-rs) and forwarding their callbacks as events.
//!
//! Only Opus (PT 111) is registered, so the server sends plain Opus (no RED) and accepts
//! our Opus track.

use std::sync::Arc;

use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MediaEngine};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpHeaderExtensionCapability, RtpCodecKind,
};
use tokio::sync::mpsc;
use webrtc::data_channel::DataChannel;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceCandidateInit, RTCIceServer, RTCPeerConnectionIceEvent, RTCPeerConnectionState,
    SettingEngineBuilder, register_default_interceptors,
};

use super::error::TransportError;

/// The RTP header extension carrying the sender's audio level (RFC 6464).
const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

/// Which of the two peer connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PcKind {
    /// We offer, we send.
    Publisher,
    /// The server offers, we receive.
    Subscriber,
}

impl PcKind {
    /// The `SignalTarget` value in trickle messages.
    pub(crate) fn signal_target(self) -> i32 {
        match self {
            Self::Publisher => livekit_protocol::SignalTarget::Publisher as i32,
            Self::Subscriber => livekit_protocol::SignalTarget::Subscriber as i32,
        }
    }
}

/// What the peer connections report to the session.
pub(crate) enum PcEvent {
    Candidate(PcKind, RTCIceCandidateInit),
    State(PcKind, RTCPeerConnectionState),
    Track(Arc<dyn TrackRemote>),
    DataChannel(PcKind, Arc<dyn DataChannel>),
}

/// How to reach the server's media ports.
#[derive(Debug, Clone, Default)]
pub(crate) struct PeerOptions {
    /// Bind ICE UDP to 127.0.0.1 only and gather loopback candidates (tests).
    pub loopback_only: bool,
    /// STUN/TURN servers (from the JoinResponse unless ignored).
    pub ice_servers: Vec<RTCIceServer>,
}

/// The Opus codec as LiveKit negotiates it.
pub(crate) fn opus_codec() -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_OPUS.to_owned(),
            clock_rate: 48_000,
            channels: 2,
            sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
            rtcp_feedback: vec![],
        },
        payload_type: 111,
    }
}

/// Builds one peer connection whose callbacks go to `events`.
pub(crate) async fn build(
    kind: PcKind,
    options: &PeerOptions,
    events: mpsc::UnboundedSender<PcEvent>,
) -> Result<Arc<dyn PeerConnection>, TransportError> {
    let mut media_engine = MediaEngine::default();
    media_engine.register_codec(opus_codec(), RtpCodecKind::Audio)?;
    // Audio levels in every packet drive LiveKit's active-speaker events.
    media_engine.register_header_extension(
        RTCRtpHeaderExtensionCapability {
            uri: AUDIO_LEVEL_URI.to_string(),
        },
        RtpCodecKind::Audio,
        None,
    )?;
    let registry =
        register_default_interceptors(rtc::interceptor::Registry::new(), &mut media_engine)?;
    // A server's connectivity check can arrive before its trickled candidate: the pair is
    // then peer-reflexive, and ICE's default waits a whole second before nominating one. The
    // server's address is the same either way, so do not wait (this was the occasional
    // second in ICE checking before an agent's first words).
    let setting_engine = SettingEngineBuilder::new()
        .with_include_loopback_candidate(options.loopback_only)
        .with_prflx_acceptance_min_wait(Some(std::time::Duration::ZERO))
        .build();
    let config = RTCConfigurationBuilder::new()
        .with_ice_servers(options.ice_servers.clone())
        .build();
    let addr = if options.loopback_only {
        "127.0.0.1:0"
    } else {
        "0.0.0.0:0"
    };
    let pc = PeerConnectionBuilder::new()
        .with_configuration(config)
        .with_setting_engine(setting_engine)
        .with_media_engine(media_engine)
        .with_interceptor_registry(registry)
        .with_handler(Arc::new(Handler { kind, events }))
        .with_udp_addrs(vec![addr.to_string()])
        .build()
        .await?;
    Ok(Arc::new(pc))
}

struct Handler {
    kind: PcKind,
    events: mpsc::UnboundedSender<PcEvent>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        match event.candidate.to_json() {
            Ok(init) => {
                let _ = self.events.send(PcEvent::Candidate(self.kind, init));
            }
            Err(e) => tracing::debug!(error = %e, "cannot serialize a local candidate"),
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.events.send(PcEvent::State(self.kind, state));
    }

    async fn on_data_channel(&self, channel: Arc<dyn DataChannel>) {
        let _ = self.events.send(PcEvent::DataChannel(self.kind, channel));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.events.send(PcEvent::Track(track));
    }
}
