//! Data-channel traffic and room commands: data packets, transcriptions, attributes.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::BytesMut;
use livekit_protocol as proto;
use proto::signal_request;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use webrtc::data_channel::{DataChannel, DataChannelEvent};

use super::super::TRANSCRIPTION_TOPIC;
use super::super::peer::PcKind;
use super::{Command, MAX_PENDING_DATA, Session};

/// What a data-channel reader task reports.
pub(super) enum DcEvent {
    Open(PcKind, String),
    Message(Vec<u8>),
}

impl Session {
    pub(super) async fn on_dc_event(&mut self, event: DcEvent) {
        match event {
            DcEvent::Open(PcKind::Publisher, label) if label == "_reliable" => {
                self.reliable_open = true;
                while let Some(packet) = self.pending_data.pop_front() {
                    self.send_reliable(packet).await;
                }
            }
            DcEvent::Open(..) => {}
            DcEvent::Message(bytes) => {
                if let Some(event) = self.decoder.on_message(&bytes) {
                    self.emit(event).await;
                }
            }
        }
    }

    /// Runs a command held while rejoining.
    pub(crate) async fn handle_command(&mut self, command: Command) {
        self.on_command(command).await;
    }

    pub(super) async fn on_command(&mut self, command: Command) {
        match command {
            Command::Data { topic, payload, to } => {
                let packet = self.encoder.user(&topic, &payload, &to);
                self.send_reliable(packet).await;
            }
            Command::Transcription(t) => {
                let attributes = HashMap::from([
                    ("lk.segment_id".to_string(), t.segment_id),
                    ("lk.transcribed_track_id".to_string(), t.track_sid),
                    ("lk.transcription_final".to_string(), t.is_final.to_string()),
                ]);
                let packets = self.encoder.text_stream(
                    TRANSCRIPTION_TOPIC,
                    &t.text,
                    attributes,
                    t.on_behalf_of.as_deref(),
                );
                for packet in packets {
                    self.send_reliable(packet).await;
                }
            }
            Command::Attributes(attributes) => self.update_attributes(attributes),
            Command::Leave(_) => {}
        }
    }

    pub(super) fn update_attributes(&mut self, attributes: HashMap<String, String>) {
        self.request_id += 1;
        self.send(signal_request::Message::UpdateMetadata(
            proto::UpdateParticipantMetadata {
                attributes,
                request_id: self.request_id,
                ..Default::default()
            },
        ));
    }

    pub(super) async fn send_reliable(&mut self, packet: Vec<u8>) {
        if !self.reliable_open {
            if self.pending_data.len() < MAX_PENDING_DATA {
                self.pending_data.push_back(packet);
            }
            return;
        }
        self.last_reliable = Some(std::time::Instant::now());
        if let Err(e) = self.reliable.send(BytesMut::from(&packet[..])).await {
            tracing::warn!(error = %e, "sending a data packet failed");
        }
    }
}

pub(super) fn spawn_dc_reader(
    kind: PcKind,
    channel: Arc<dyn DataChannel>,
    tx: mpsc::UnboundedSender<DcEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let label = channel.label().await.unwrap_or_default();
        while let Some(event) = channel.poll().await {
            let forwarded = match event {
                DataChannelEvent::OnOpen => tx.send(DcEvent::Open(kind, label.clone())),
                DataChannelEvent::OnMessage(message) => {
                    tx.send(DcEvent::Message(message.data.to_vec()))
                }
                DataChannelEvent::OnClose => break,
                _ => Ok(()),
            };
            if forwarded.is_err() {
                break;
            }
        }
    })
}
