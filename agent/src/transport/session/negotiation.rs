//! SDP offer/answer and trickle ICE for both peer connections, and publishing our track.
//!
//! **Invariant:** at most one publisher offer is outstanding; a renegotiation requested
//! meanwhile is remembered and sent once the answer is applied.

use std::sync::Arc;
use std::time::Instant;

use livekit_protocol as proto;
use proto::signal_request;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::peer_connection::{RTCIceCandidateInit, RTCSessionDescription};

use super::super::error::TransportError;
use super::super::outbound::PublishedTrack;
use super::super::peer::{self, PcKind};
use super::Session;

impl Session {
    pub(super) async fn on_subscriber_offer(
        &mut self,
        offer: proto::SessionDescription,
    ) -> Result<(), TransportError> {
        let desc = RTCSessionDescription::offer(offer.sdp)?;
        self.subscriber.set_remote_description(desc).await?;
        self.remote_set[1] = true;
        self.drain_candidates(PcKind::Subscriber).await;
        let answer = self.subscriber.create_answer(None).await?;
        self.subscriber
            .set_local_description(answer.clone())
            .await?;
        self.send(signal_request::Message::Answer(proto::SessionDescription {
            r#type: "answer".into(),
            sdp: answer.sdp,
            id: offer.id,
            ..Default::default()
        }));
        Ok(())
    }

    pub(super) async fn on_publisher_answer(
        &mut self,
        answer: proto::SessionDescription,
    ) -> Result<(), TransportError> {
        if !self.offer_in_flight {
            return Ok(()); // an answer to nothing: ignore
        }
        tracing::debug!(id = answer.id, "publisher answer received");
        let desc = RTCSessionDescription::answer(answer.sdp)?;
        self.publisher.set_remote_description(desc).await?;
        self.offer_in_flight = false;
        self.remote_set[0] = true;
        self.drain_candidates(PcKind::Publisher).await;
        for init in std::mem::take(&mut self.unsent_candidates) {
            self.trickle(PcKind::Publisher, &init);
        }
        if std::mem::take(&mut self.renegotiate) {
            self.negotiate().await?;
        }
        Ok(())
    }

    /// Offers on the publisher, or remembers to once the outstanding offer is answered.
    pub(super) async fn negotiate(&mut self) -> Result<(), TransportError> {
        if self.offer_in_flight {
            self.renegotiate = true;
            return Ok(());
        }
        let offer = self.publisher.create_offer(None).await?;
        self.publisher.set_local_description(offer.clone()).await?;
        self.offer_id += 1;
        self.offer_in_flight = true;
        tracing::debug!(id = self.offer_id, "publisher offer sent");
        self.send(signal_request::Message::Offer(proto::SessionDescription {
            r#type: "offer".into(),
            sdp: offer.sdp,
            id: self.offer_id,
            ..Default::default()
        }));
        Ok(())
    }

    pub(super) async fn on_track_published(
        &mut self,
        published: proto::TrackPublishedResponse,
    ) -> Result<(), TransportError> {
        if self.pending_track_cid.as_deref() != Some(published.cid.as_str()) {
            return Ok(());
        }
        self.pending_track_cid = None;
        tracing::debug!(cid = %published.cid, sid = ?published.track.as_ref().map(|t| &t.sid), "track published");
        let ssrc = rand::random::<u32>();
        let codec = peer::opus_codec();
        let track = Arc::new(TrackLocalStaticSample::new(
            Instant::now(),
            MediaStreamTrack::new(
                format!("{}|{}", self.identity, published.cid),
                published.cid.clone(),
                "agent-voice".into(),
                RtpCodecKind::Audio,
                vec![RTCRtpEncodingParameters {
                    rtp_coding_parameters: RTCRtpCodingParameters {
                        ssrc: Some(ssrc),
                        ..Default::default()
                    },
                    codec: codec.rtp_codec.clone(),
                    ..Default::default()
                }],
            ),
        )?);
        self.publisher
            .add_transceiver_from_track(
                track.clone() as Arc<dyn TrackLocal>,
                Some(RTCRtpTransceiverInit {
                    direction: RTCRtpTransceiverDirection::Sendonly,
                    streams: vec![],
                    send_encodings: vec![],
                }),
            )
            .await?;
        self.negotiate().await?;
        let track = PublishedTrack {
            track,
            ssrc,
            payload_type: codec.payload_type,
        };
        // The pacer gets the track once the publisher is connected (DTLS done, SRTP keyed).
        if self.publisher_connected {
            self.published.send_replace(Some(track));
        } else {
            self.unconnected_track = Some(track);
        }
        Ok(())
    }

    pub(super) async fn on_remote_candidate(&mut self, trickle: proto::TrickleRequest) {
        let Ok(init) = serde_json::from_str::<RTCIceCandidateInit>(&trickle.candidate_init) else {
            tracing::debug!("ignoring an unparsable remote candidate");
            return;
        };
        let kind = if trickle.target == PcKind::Subscriber.signal_target() {
            PcKind::Subscriber
        } else {
            PcKind::Publisher
        };
        let index = kind as usize;
        if self.remote_set[index] {
            if let Err(e) = self.pc(kind).add_ice_candidate(init).await {
                tracing::debug!(error = %e, ?kind, "remote candidate rejected");
            }
        } else {
            self.pending_candidates[index].push(init);
        }
    }

    /// Sends one of our ICE candidates to the server.
    pub(super) fn trickle(&self, kind: PcKind, init: &RTCIceCandidateInit) {
        if let Ok(json) = serde_json::to_string(init) {
            self.send(signal_request::Message::Trickle(proto::TrickleRequest {
                candidate_init: json,
                target: kind.signal_target(),
                r#final: false,
            }));
        }
    }

    pub(super) async fn drain_candidates(&mut self, kind: PcKind) {
        for init in std::mem::take(&mut self.pending_candidates[kind as usize]) {
            if let Err(e) = self.pc(kind).add_ice_candidate(init).await {
                tracing::debug!(error = %e, ?kind, "queued remote candidate rejected");
            }
        }
    }
}
