//! Deepgram live (`/v1/listen`) messages: the URL we open, the control
//! messages we send and the typed events we parse.

use serde::Deserialize;

use crate::ProviderError;

/// The listen URL with the settings the voice loop relies on, and the interview's
/// language (an ISO 639-1 code such as `es`) when it has one.
pub fn listen_url(base: &str, sample_rate: u32, language: Option<&str>) -> String {
    let language = language
        .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(|l| format!("&language={l}"))
        .unwrap_or_default();
    format!(
        "{}/v1/listen?model=nova-3&encoding=linear16&sample_rate={sample_rate}&channels=1\
         &interim_results=true&punctuate=true&endpointing=25&filler_words=true\
         &vad_events=true&utterance_end_ms=1000{language}",
        base.trim_end_matches('/')
    )
}

/// Sent every 5 s when no audio flows.
pub const KEEP_ALIVE: &str = r#"{"type":"KeepAlive"}"#;
/// Asks for a final result for the audio sent so far.
pub const FINALIZE: &str = r#"{"type":"Finalize"}"#;
/// Ends the stream gracefully.
pub const CLOSE_STREAM: &str = r#"{"type":"CloseStream"}"#;

/// A recognised word with its times in seconds from stream start.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Word {
    pub word: String,
    pub start: f64,
    pub end: f64,
    #[serde(default)]
    pub confidence: Option<f32>,
}

/// One event from Deepgram.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    Transcript {
        text: String,
        words: Vec<Word>,
        is_final: bool,
        speech_final: bool,
        start: f64,
        duration: f64,
        confidence: f32,
    },
    SpeechStarted {
        timestamp: f64,
    },
    UtteranceEnd {
        last_word_end: f64,
    },
    Metadata {
        request_id: String,
    },
    /// A message type we do not know; ignored, never a panic.
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Wire {
    Results {
        #[serde(default)]
        channel: Channel,
        #[serde(default)]
        is_final: bool,
        #[serde(default)]
        speech_final: bool,
        #[serde(default)]
        start: f64,
        #[serde(default)]
        duration: f64,
    },
    SpeechStarted {
        #[serde(default)]
        timestamp: f64,
    },
    UtteranceEnd {
        #[serde(default)]
        last_word_end: f64,
    },
    Metadata {
        #[serde(default)]
        request_id: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct Channel {
    #[serde(default)]
    alternatives: Vec<Alternative>,
}

#[derive(Deserialize, Default)]
struct Alternative {
    #[serde(default)]
    transcript: String,
    #[serde(default)]
    words: Vec<Word>,
    #[serde(default)]
    confidence: Option<f32>,
}

/// Parses one text frame; `offset` (seconds) shifts times after a reconnect.
pub fn parse(text: &str, offset: f64) -> Result<Event, ProviderError> {
    let wire: Wire =
        serde_json::from_str(text).map_err(|e| ProviderError::Protocol(e.to_string()))?;
    Ok(match wire {
        Wire::Results {
            channel,
            is_final,
            speech_final,
            start,
            duration,
        } => {
            let alt = channel.alternatives.into_iter().next().unwrap_or_default();
            let words = alt
                .words
                .into_iter()
                .map(|w| Word {
                    start: w.start + offset,
                    end: w.end + offset,
                    ..w
                })
                .collect();
            Event::Transcript {
                text: alt.transcript,
                words,
                is_final,
                speech_final,
                start: start + offset,
                duration,
                confidence: alt.confidence.unwrap_or(1.0).clamp(0.0, 1.0),
            }
        }
        Wire::SpeechStarted { timestamp } => Event::SpeechStarted {
            timestamp: timestamp + offset,
        },
        Wire::UtteranceEnd { last_word_end } => Event::UtteranceEnd {
            last_word_end: last_word_end + offset,
        },
        Wire::Metadata { request_id } => Event::Metadata { request_id },
        Wire::Other => Event::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_final_result_with_words_and_offset() {
        let json = r#"{"type":"Results","channel_index":[0,1],"duration":1.5,"start":2.0,
            "is_final":true,"speech_final":true,"channel":{"alternatives":[{"transcript":"hello there",
            "confidence":0.9,"words":[{"word":"hello","start":2.1,"end":2.4},{"word":"there","start":2.5,"end":2.9}]}]}}"#;
        let Event::Transcript {
            text,
            words,
            is_final,
            speech_final,
            start,
            ..
        } = parse(json, 10.0).expect("parses")
        else {
            panic!("not a transcript");
        };
        assert_eq!(text, "hello there");
        assert!(is_final && speech_final);
        assert!((start - 12.0).abs() < 1e-9);
        assert!((words[1].end - 12.9).abs() < 1e-9);
    }

    #[test]
    fn vendor_garbage_is_an_error_or_ignored_never_a_panic() {
        assert!(parse("not json", 0.0).is_err());
        assert_eq!(
            parse(r#"{"type":"Brand new"}"#, 0.0).expect("unknown type"),
            Event::Other
        );
        let empty =
            parse(r#"{"type":"Results","channel":{"alternatives":[]}}"#, 0.0).expect("empty");
        assert!(matches!(empty, Event::Transcript { ref text, .. } if text.is_empty()));
        assert!(
            matches!(parse(r#"{"type":"UtteranceEnd","last_word_end":3.5}"#, 1.0),
            Ok(Event::UtteranceEnd { last_word_end }) if (last_word_end - 4.5).abs() < 1e-9)
        );
    }

    #[test]
    fn the_url_carries_the_live_settings() {
        let url = listen_url("wss://api.deepgram.com/", 16_000, None);
        assert!(listen_url("ws://x", 48_000, Some("es")).ends_with("&language=es"));
        assert!(!listen_url("ws://x", 48_000, Some("es&x=1")).contains("language"));
        assert!(url.starts_with(
            "wss://api.deepgram.com/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
        ));
        assert!(url.contains("endpointing=25") && url.contains("utterance_end_ms=1000"));
    }
}
