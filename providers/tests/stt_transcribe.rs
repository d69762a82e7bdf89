//! The OpenAI-compatible transcription provider against the fake server over loopback:
//! one request per speech segment, word times in stream seconds, interims when streamed,
//! retries, a server that stays down ending the stream, the key checked at start.

use std::time::Duration;

use providers::stt::transcribe::{TranscribeConfig, Transcriptions};
use providers::stt::{SpeechToText, SttEvent, SttStream, Transcript};
use tests::fakes::transcribe::{self, TranscribeScript, field, form};

const BOUND: Duration = Duration::from_secs(30);
const RATE: u32 = 48_000;

/// A tone burst standing for speech (the fake only gates on energy).
fn voiced(seconds: f64) -> Vec<i16> {
    (0..(seconds * f64::from(RATE)) as usize)
        .map(|i| ((i as f64 * 0.05).sin() * 8_000.0) as i16)
        .collect()
}

fn silence(seconds: f64) -> Vec<i16> {
    vec![0; (seconds * f64::from(RATE)) as usize]
}

fn send(stt: &SttStream, audio: &[i16]) {
    for frame in audio.chunks(960) {
        stt.send_audio(frame);
    }
}

async fn until_closed(stt: &mut SttStream) -> Vec<SttEvent> {
    let mut all = Vec::new();
    loop {
        let event = tokio::time::timeout(BOUND, stt.next_event())
            .await
            .expect("an event in time")
            .expect("driver alive until Closed");
        let closed = matches!(event, SttEvent::Closed { .. });
        all.push(event);
        if closed {
            return all;
        }
    }
}

fn finals(events: &[SttEvent]) -> Vec<&Transcript> {
    events
        .iter()
        .filter_map(|e| match e {
            SttEvent::Transcript(t) if t.is_final => Some(t),
            _ => None,
        })
        .collect()
}

fn service(base: String, stream: bool) -> Transcriptions {
    let mut config = TranscribeConfig::new(base);
    config.api_key = Some("sk-local".into());
    config.model = "Systran/faster-whisper-small".into();
    config.stream = stream;
    config.retry.base_delay = Duration::from_millis(10);
    Transcriptions::new(config).expect("client")
}

#[tokio::test]
async fn each_segment_is_one_request_and_its_words_keep_stream_time() {
    let fake = transcribe::start(TranscribeScript {
        texts: vec![
            "I led the payments team.".into(),
            "We shipped in March.".into(),
        ],
        api_key: Some("sk-local".into()),
        ..Default::default()
    })
    .await
    .expect("fake");
    let stt = service(fake.base_url(), false);
    stt.check().await.expect("key accepted");
    let mut stream = stt.open(RATE, Some("en"));
    // 2 s of silence, 1.5 s of speech, the segment's end; 1 s of silence, 1 s of speech.
    send(&stream, &silence(2.0));
    send(&stream, &voiced(1.5));
    stream.finalize();
    send(&stream, &silence(1.0));
    send(&stream, &voiced(1.0));
    stream.finalize();
    // Silence alone is never sent.
    send(&stream, &silence(1.0));
    stream.finalize();
    stream.close();
    let events = until_closed(&mut stream).await;
    assert_eq!(events.last(), Some(&SttEvent::Closed { error: None }));
    let finals = finals(&events);
    let texts: Vec<&str> = finals.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(texts, ["I led the payments team.", "We shipped in March."]);
    let first = &finals[0];
    assert_eq!(first.words.len(), 5);
    assert!(
        (first.start - 2.0).abs() < 0.1,
        "first segment at {}",
        first.start
    );
    assert!(
        (first.start + first.duration - 3.5).abs() < 0.1,
        "{first:?}"
    );
    assert!(
        (finals[1].start - 4.5).abs() < 0.1,
        "second at {}",
        finals[1].start
    );
    assert!(
        first.confidence > 0.7 && first.confidence < 0.9,
        "exp(-0.2)"
    );
    let requests: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.target == "/v1/audio/transcriptions")
        .collect();
    // The check, then two voiced segments.
    assert_eq!(requests.len(), 3);
    let parts = form(&requests[1]);
    assert_eq!(
        field(&parts, "model").as_deref(),
        Some("Systran/faster-whisper-small")
    );
    assert_eq!(
        field(&parts, "response_format").as_deref(),
        Some("verbose_json")
    );
    assert_eq!(
        field(&parts, "timestamp_granularities[]").as_deref(),
        Some("word")
    );
    assert_eq!(field(&parts, "language").as_deref(), Some("en"));
    let wav = &parts.iter().find(|p| p.name == "file").expect("file").data;
    let reader = hound::WavReader::new(std::io::Cursor::new(wav)).expect("a WAV");
    assert_eq!(reader.spec().sample_rate, 16_000);
    // Trimmed to 0.2 s before the speech: about 1.7 s, not the 3.5 s since the start.
    let seconds = f64::from(reader.duration()) / 16_000.0;
    assert!((seconds - 1.7).abs() < 0.1, "{seconds}");
}

#[tokio::test]
async fn a_streaming_server_gives_interims_before_the_final() {
    let fake = transcribe::start(TranscribeScript {
        texts: vec!["We moved the database to Postgres.".into()],
        ..Default::default()
    })
    .await
    .expect("fake");
    let mut stream = service(fake.base_url(), true).open(RATE, None);
    send(&stream, &voiced(1.0));
    stream.close();
    let events = until_closed(&mut stream).await;
    let interims: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            SttEvent::Transcript(t) if !t.is_final => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(interims.first(), Some(&"We"));
    assert!(interims.len() >= 5, "{interims:?}");
    let finals = finals(&events);
    assert_eq!(finals.len(), 1);
    assert_eq!(finals[0].text, "We moved the database to Postgres.");
    assert_eq!(finals[0].words.len(), 6, "spread over the segment");
    assert_eq!(
        field(&form(&fake.requests()[0]), "stream").as_deref(),
        Some("true")
    );
}

#[tokio::test]
async fn failures_are_retried_and_a_server_that_stays_down_ends_the_stream() {
    let flaky = transcribe::start(TranscribeScript {
        texts: vec!["Still heard.".into()],
        fail_first: 2,
        ..Default::default()
    })
    .await
    .expect("fake");
    let mut stream = service(flaky.base_url(), false).open(RATE, None);
    send(&stream, &voiced(0.5));
    stream.close();
    let events = until_closed(&mut stream).await;
    assert_eq!(finals(&events)[0].text, "Still heard.");
    assert_eq!(flaky.requests().len(), 3);

    let down = transcribe::start(TranscribeScript {
        down: true,
        ..Default::default()
    })
    .await
    .expect("fake");
    let mut stream = service(down.base_url(), false).open(RATE, None);
    send(&stream, &voiced(0.5));
    stream.finalize();
    let events = until_closed(&mut stream).await;
    assert!(
        matches!(events.last(), Some(SttEvent::Closed { error: Some(e) }) if e.contains("503")),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_wrong_key_fails_the_start_up_check() {
    let fake = transcribe::start(TranscribeScript {
        api_key: Some("sk-right".into()),
        ..Default::default()
    })
    .await
    .expect("fake");
    let err = service(fake.base_url(), false)
        .check()
        .await
        .expect_err("401");
    assert!(err.to_string().contains("401"), "{err}");
}
