//! The local recognizer (Debian's pocketsphinx) as a stream, on espeak-ng speech at the
//! transport's 48 kHz with silences around it.

use std::time::Duration;

use providers::stt::sphinx::{Sphinx, SphinxConfig};
use providers::stt::{SpeechToText, SttEvent, SttStream, Transcript};
use tests::speech::{Voice, read_wav, speak};

const BOUND: Duration = Duration::from_secs(60);

fn speech(text: &str) -> Vec<i16> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.wav");
    speak(text, &Voice::default(), &path).expect("espeak-ng");
    let (rate, samples) = read_wav(&path).expect("wav");
    assert_eq!(rate, 48_000);
    samples
        .iter()
        .map(|s| (s.clamp(-1.0, 1.0) * 32767.0) as i16)
        .collect()
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

#[tokio::test]
async fn speech_between_silences_gives_speech_start_interims_and_a_timed_final() {
    let sphinx = Sphinx::new(SphinxConfig::default());
    sphinx.check().await.expect("the model loads");
    let mut stt = sphinx.open(48_000, Some("en"));
    let spoken = speech("i wrote tests for every endpoint and we ran them on each commit");
    let lead = vec![0i16; 48_000 * 3 / 2];
    let begin = 1.5;
    let end = begin + spoken.len() as f64 / 48_000.0;
    let mut audio = lead;
    audio.extend(&spoken);
    audio.extend(vec![0i16; 48_000]);
    for frame in audio.chunks(960) {
        stt.send_audio(frame);
    }
    stt.close();
    let events = until_closed(&mut stt).await;
    assert_eq!(events.last(), Some(&SttEvent::Closed { error: None }));
    let started = events
        .iter()
        .find_map(|e| match e {
            SttEvent::SpeechStarted { at } => Some(*at),
            _ => None,
        })
        .expect("speech start");
    assert!(
        (started - begin).abs() < 0.4,
        "speech started at {started}, sent at {begin}"
    );
    let finals: Vec<&Transcript> = events
        .iter()
        .filter_map(|e| match e {
            SttEvent::Transcript(t) if t.is_final => Some(t),
            _ => None,
        })
        .collect();
    let interims = events
        .iter()
        .filter(|e| matches!(e, SttEvent::Transcript(t) if !t.is_final))
        .count();
    assert!(interims >= 2, "{events:?}");
    assert!(!finals.is_empty(), "{events:?}");
    let words: Vec<_> = finals.iter().flat_map(|t| t.words.iter()).collect();
    assert!(words.len() >= 5, "{finals:?}");
    for w in &words {
        assert!(
            w.start >= begin - 0.3 && w.end <= end + 0.3 && w.start <= w.end,
            "{w:?} outside {begin}..{end}"
        );
        assert!((0.0..=1.0).contains(&w.confidence));
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SttEvent::UtteranceEnd { .. })),
        "{events:?}"
    );
    let text = finals
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("heard: {text}");
}

#[tokio::test]
async fn a_language_without_a_model_or_a_missing_model_ends_the_stream_with_the_reason() {
    let sphinx = Sphinx::new(SphinxConfig::default());
    let mut stt = sphinx.open(48_000, Some("es"));
    let events = until_closed(&mut stt).await;
    assert!(
        matches!(&events[..], [SttEvent::Closed { error: Some(e) }] if e.contains("English only")),
        "{events:?}"
    );
    let missing = Sphinx::new(SphinxConfig {
        model: "/nonexistent".into(),
        ..SphinxConfig::default()
    });
    let err = missing.check().await.expect_err("no model");
    assert!(err.to_string().contains("incomplete"), "{err}");
    let mut stt = missing.open(48_000, None);
    let events = until_closed(&mut stt).await;
    assert!(
        matches!(&events[..], [SttEvent::Closed { error: Some(_) }]),
        "{events:?}"
    );
}
