//! Data-channel payloads: `DataPacket` protobufs for user packets and text streams.
//!
//! Outbound packets get increasing reliable sequence numbers (the server drops a repeated
//! one). Inbound text streams are reassembled with limits, so a peer cannot make us hold
//! unbounded memory.

use std::collections::HashMap;

use livekit_protocol as proto;
use prost::Message as _;
use proto::data_packet::Value;
use proto::data_stream;

use super::RoomEvent;

/// Largest chunk of a text stream (bytes).
const CHUNK_BYTES: usize = 15_000;
/// Text streams being received at once, at most.
const MAX_OPEN_STREAMS: usize = 64;
/// Largest text stream we reassemble.
const MAX_STREAM_BYTES: usize = 1 << 20;

/// Builds outbound packets.
#[derive(Debug, Default)]
pub(crate) struct DataEncoder {
    sequence: u32,
}

impl DataEncoder {
    /// A reliable user packet with a topic.
    pub(crate) fn user(&mut self, topic: &str, payload: &[u8], to: &[String]) -> Vec<u8> {
        let user = proto::UserPacket {
            payload: payload.to_vec(),
            topic: Some(topic.to_string()),
            ..Default::default()
        };
        self.packet(Value::User(user), None, to)
    }

    /// Header, chunks and trailer of a text stream.
    pub(crate) fn text_stream(
        &mut self,
        topic: &str,
        text: &str,
        attributes: HashMap<String, String>,
        sender_identity: Option<&str>,
    ) -> Vec<Vec<u8>> {
        let stream_id = random_id();
        let header = data_stream::Header {
            stream_id: stream_id.clone(),
            timestamp: now_ms(),
            topic: topic.to_string(),
            mime_type: "text/plain".into(),
            total_length: Some(text.len() as u64),
            attributes,
            content_header: Some(data_stream::header::ContentHeader::TextHeader(
                data_stream::TextHeader {
                    operation_type: data_stream::OperationType::Create as i32,
                    ..Default::default()
                },
            )),
            ..Default::default()
        };
        let mut out = vec![self.packet(Value::StreamHeader(header), sender_identity, &[])];
        for (index, chunk) in split_on_char_boundaries(text, CHUNK_BYTES)
            .into_iter()
            .enumerate()
        {
            let chunk = data_stream::Chunk {
                stream_id: stream_id.clone(),
                chunk_index: index as u64,
                content: chunk.as_bytes().to_vec(),
                ..Default::default()
            };
            out.push(self.packet(Value::StreamChunk(chunk), sender_identity, &[]));
        }
        let trailer = data_stream::Trailer {
            stream_id,
            ..Default::default()
        };
        out.push(self.packet(Value::StreamTrailer(trailer), sender_identity, &[]));
        out
    }

    fn packet(&mut self, value: Value, identity: Option<&str>, to: &[String]) -> Vec<u8> {
        self.sequence = self.sequence.wrapping_add(1).max(1);
        proto::DataPacket {
            participant_identity: identity.unwrap_or_default().to_string(),
            destination_identities: to.to_vec(),
            sequence: self.sequence,
            value: Some(value),
            ..Default::default()
        }
        .encode_to_vec()
    }
}

struct PartialStream {
    identity: String,
    topic: String,
    attributes: HashMap<String, String>,
    text: Vec<u8>,
}

/// Turns inbound packets into room events.
#[derive(Default)]
pub(crate) struct DataDecoder {
    streams: HashMap<String, PartialStream>,
}

impl DataDecoder {
    /// Decodes one data-channel message; `None` for packets that complete no event.
    pub(crate) fn on_message(&mut self, bytes: &[u8]) -> Option<RoomEvent> {
        let packet = proto::DataPacket::decode(bytes).ok()?;
        let identity = packet.participant_identity;
        match packet.value? {
            Value::User(user) => Some(RoomEvent::Data {
                identity: (!identity.is_empty()).then_some(identity),
                topic: user.topic.unwrap_or_default(),
                payload: user.payload,
            }),
            Value::StreamHeader(header) => {
                let is_text = matches!(
                    header.content_header,
                    Some(data_stream::header::ContentHeader::TextHeader(_))
                );
                if !is_text || self.streams.len() >= MAX_OPEN_STREAMS {
                    return None;
                }
                let mut text = header.inline_content.unwrap_or_default();
                text.truncate(MAX_STREAM_BYTES);
                self.streams.insert(
                    header.stream_id,
                    PartialStream {
                        identity,
                        topic: header.topic,
                        attributes: header.attributes,
                        text,
                    },
                );
                None
            }
            Value::StreamChunk(chunk) => {
                let stream = self.streams.get_mut(&chunk.stream_id)?;
                if stream.text.len() + chunk.content.len() > MAX_STREAM_BYTES {
                    self.streams.remove(&chunk.stream_id);
                    return None;
                }
                stream.text.extend_from_slice(&chunk.content);
                None
            }
            Value::StreamTrailer(trailer) => {
                let mut stream = self.streams.remove(&trailer.stream_id)?;
                stream.attributes.extend(trailer.attributes);
                Some(RoomEvent::Text {
                    identity: stream.identity,
                    topic: stream.topic,
                    stream_id: trailer.stream_id,
                    text: String::from_utf8_lossy(&stream.text).into_owned(),
                    attributes: stream.attributes,
                })
            }
            _ => None,
        }
    }
}

fn split_on_char_boundaries(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    out.push(rest);
    out
}

fn random_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_streams_round_trip_with_attributes_and_increasing_sequence() {
        let mut enc = DataEncoder::default();
        let text = "é".repeat(10_000); // 20 000 bytes: two chunks, split on a char boundary
        let attrs = HashMap::from([("lk.segment_id".to_string(), "S1".to_string())]);
        let packets = enc.text_stream("lk.transcription", &text, attrs, Some("cand"));
        assert_eq!(packets.len(), 4);
        let seqs: Vec<u32> = packets
            .iter()
            .map(|p| {
                proto::DataPacket::decode(p.as_slice())
                    .expect("valid")
                    .sequence
            })
            .collect();
        assert!(seqs.windows(2).all(|w| w[1] > w[0]), "{seqs:?}");
        let mut dec = DataDecoder::default();
        let events: Vec<_> = packets.iter().filter_map(|p| dec.on_message(p)).collect();
        let [
            RoomEvent::Text {
                identity,
                topic,
                text: got,
                attributes,
                ..
            },
        ] = &events[..]
        else {
            panic!("one text event expected, got {events:?}");
        };
        assert_eq!(
            (identity.as_str(), topic.as_str()),
            ("cand", "lk.transcription")
        );
        assert_eq!(got, &text);
        assert_eq!(attributes["lk.segment_id"], "S1");
    }

    #[test]
    fn garbage_and_orphan_chunks_are_ignored() {
        let mut dec = DataDecoder::default();
        assert!(dec.on_message(&[0xff, 0x01, 0x02]).is_none());
        let chunk = proto::DataPacket {
            value: Some(Value::StreamChunk(data_stream::Chunk {
                stream_id: "nope".into(),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert!(dec.on_message(&chunk.encode_to_vec()).is_none());
        let user = DataEncoder::default().user("nudge", b"hi", &[]);
        let Some(RoomEvent::Data { topic, payload, .. }) = dec.on_message(&user) else {
            panic!("data event expected");
        };
        assert_eq!((topic.as_str(), payload.as_slice()), ("nudge", &b"hi"[..]));
    }
}
