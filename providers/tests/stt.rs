//! The Deepgram live client against the fake Deepgram server over a real
//! loopback WebSocket, fed with espeak-ng speech made at test time.

use std::time::Duration;

use providers::stt::live::Deepgram;
use providers::stt::{LiveConfig, SpeechToText, SttEvent, SttStream, Transcript};
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::speech::{Voice, read_wav, speak};

const BOUND: Duration = Duration::from_secs(30);
const RATE: u32 = 16_000;

/// Speech for `text` at 16 kHz as linear16.
fn speech(text: &str) -> Vec<i16> {
    speech_at(text, Voice::default().words_per_minute)
}

/// Speech for `text` at `wpm` words a minute, at 16 kHz as linear16.
fn speech_at(text: &str, wpm: u32) -> Vec<i16> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.wav");
    let voice = Voice {
        words_per_minute: wpm,
        ..Voice::default()
    };
    speak(text, &voice, &path).expect("espeak-ng");
    let (rate, samples) = read_wav(&path).expect("wav");
    assert_eq!(rate, 48_000);
    samples
        .iter()
        .step_by(3)
        .map(|s| (s.clamp(-1.0, 1.0) * 32767.0) as i16)
        .collect()
}

fn silence(seconds: f64) -> Vec<i16> {
    vec![0; (seconds * f64::from(RATE)) as usize]
}

fn config(fake: &FakeDeepgram) -> LiveConfig {
    let mut config = LiveConfig::new(fake.base_url());
    config.api_key = Some("dg-test-key".into());
    config.keep_alive = Duration::from_millis(100);
    config
}

/// The fake serving `script`, and the Deepgram client's stream connected to it.
async fn open(script: DeepgramScript) -> (FakeDeepgram, SttStream) {
    let fake = FakeDeepgram::start(script).await.expect("fake");
    let stt = Deepgram {
        config: config(&fake),
    }
    .open(RATE, None);
    (fake, stt)
}

/// Streams audio in 20 ms frames, 20 ms of audio per 2 ms of wall time.
async fn stream(stt: &SttStream, audio: &[i16]) {
    for frame in audio.chunks(RATE as usize / 50) {
        stt.send_audio(frame);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Collects events until `Closed`, returning final transcripts and all events.
async fn until_closed(stt: &mut SttStream) -> (Vec<String>, Vec<SttEvent>) {
    let mut finals = Vec::new();
    let mut all = Vec::new();
    loop {
        let event = tokio::time::timeout(BOUND, stt.next_event())
            .await
            .expect("an event in time")
            .expect("driver alive until Closed");
        if let SttEvent::Transcript(Transcript {
            text,
            is_final: true,
            ..
        }) = &event
            && !text.is_empty()
        {
            finals.push(text.clone());
        }
        let closed = matches!(event, SttEvent::Closed { .. });
        all.push(event);
        if closed {
            return (finals, all);
        }
    }
}

#[tokio::test]
async fn interim_and_final_results_follow_speech_bursts_only() {
    let (fake, mut stt) = open(DeepgramScript {
        utterances: vec![
            "I led the payments team.".into(),
            "We shipped it in March.".into(),
        ],
        ..DeepgramScript::default()
    })
    .await;
    let mut audio = silence(1.5);
    audio.extend(speech("I led the payments team"));
    audio.extend(silence(0.8));
    audio.extend(speech("we shipped it in march"));
    audio.extend(silence(0.8));
    stream(&stt, &audio).await;
    // Idle long enough for KeepAlive, then close.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stt.close();
    let (finals, events) = until_closed(&mut stt).await;

    assert_eq!(
        finals,
        ["I led the payments team.", "We shipped it in March."]
    );
    let interims = events
        .iter()
        .filter(|e| {
            matches!(e, SttEvent::Transcript(Transcript { is_final: false, text, .. }) if !text.is_empty())
        })
        .count();
    assert!(interims >= 2, "interim results: {interims}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SttEvent::SpeechStarted { at } if *at >= 1.4))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SttEvent::UtteranceEnd { .. }))
    );
    assert_eq!(events.last(), Some(&SttEvent::Closed { error: None }));

    let recorded = fake.recorded();
    assert_eq!(recorded.targets.len(), 1);
    assert!(recorded.targets[0].contains("encoding=linear16&sample_rate=16000"));
    assert!(recorded.targets[0].contains("interim_results=true"));
    assert_eq!(
        recorded.authorizations[0].as_deref(),
        Some("Token dg-test-key")
    );
    assert!(recorded.controls.iter().any(|c| c == "KeepAlive"));
    assert_eq!(
        recorded.controls.last().map(String::as_str),
        Some("CloseStream")
    );
    let sent = audio.len() as f64 / f64::from(RATE);
    assert!((recorded.audio_seconds - sent).abs() < 0.01);
}

#[tokio::test]
async fn silence_and_a_short_noise_burst_produce_no_words() {
    let (fake, mut stt) = open(DeepgramScript {
        utterances: vec!["never said".into()],
        ..DeepgramScript::default()
    })
    .await;
    let mut audio = silence(1.2);
    // A 100 ms cough-like burst of loud pseudo-random noise.
    let mut x: u32 = 12_345;
    audio.extend((0..RATE / 10).map(|_| {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        ((x >> 16) as i16) / 3
    }));
    audio.extend(silence(1.2));
    stream(&stt, &audio).await;
    stt.close();
    let (finals, _) = until_closed(&mut stt).await;
    assert!(finals.is_empty(), "{finals:?}");
    assert!(fake.recorded().finals.is_empty());
}

#[tokio::test]
async fn finalize_flushes_an_utterance_without_waiting_for_silence() {
    let (fake, mut stt) = open(DeepgramScript {
        utterances: vec!["and then we".into()],
        latency: Duration::from_millis(40),
        ..DeepgramScript::default()
    })
    .await;
    stream(&stt, &speech("and then we")).await;
    stt.finalize();
    let text = loop {
        let event = tokio::time::timeout(BOUND, stt.next_event())
            .await
            .expect("in time")
            .expect("alive");
        if let SttEvent::Transcript(Transcript {
            text,
            is_final: true,
            ..
        }) = event
            && !text.is_empty()
        {
            break text;
        }
    };
    assert_eq!(text, "and then we");
    assert!(fake.recorded().controls.iter().any(|c| c == "Finalize"));
    stt.close();
    until_closed(&mut stt).await;
}

/// `samples` without the quiet espeak-ng leaves before and after the words.
fn trimmed(samples: Vec<i16>) -> Vec<i16> {
    let loud = |s: &i16| s.unsigned_abs() > 300;
    let first = samples.iter().position(loud).unwrap_or(0);
    let last = samples.iter().rposition(loud).map_or(first, |i| i + 1);
    samples[first..last].to_vec()
}

/// `first`, a Finalize and a 100 ms pause, then `rest` and a second of silence; closes the
/// stream and returns the final transcripts and all events.
async fn finalized_in_a_pause(
    stt: &mut SttStream,
    first: &[i16],
    rest: &[i16],
) -> (Vec<String>, Vec<SttEvent>) {
    stream(stt, first).await;
    stt.finalize();
    stream(stt, &silence(0.1)).await;
    stream(stt, rest).await;
    stream(stt, &silence(1.0)).await;
    stt.close();
    until_closed(stt).await
}

#[tokio::test]
async fn a_second_finalize_in_the_same_pause_keeps_the_utterance_open() {
    // Finalize mid-utterance settles the scripted utterance at once; a second Finalize in
    // the same short pause (nothing to settle) must not make the words that resume it a new
    // utterance, or the fake would hand out the next one early.
    let (fake, mut stt) = open(DeepgramScript {
        utterances: vec![
            "We needed much lower latency, so we rewrote it.".into(),
            "Never said.".into(),
        ],
        ..DeepgramScript::default()
    })
    .await;
    stream(&stt, &trimmed(speech("we needed much lower latency"))).await;
    stt.finalize();
    stream(&stt, &silence(0.1)).await;
    stt.finalize();
    let mut rest = trimmed(speech("so we rewrote it"));
    rest.extend(silence(1.0));
    stream(&stt, &rest).await;
    stt.close();
    let (finals, _) = until_closed(&mut stt).await;
    assert_eq!(finals, ["We needed much lower latency, so we rewrote it."]);
    assert_eq!(fake.recorded().finals, finals);
    let finalizes = fake
        .recorded()
        .controls
        .iter()
        .filter(|c| *c == "Finalize")
        .count();
    assert_eq!(finalizes, 2);
}

#[tokio::test]
async fn a_fake_with_a_word_pace_settles_only_the_words_said_so_far() {
    // Deepgram's Finalize settles the words said so far; with `finalize_words` the fake does
    // too (at its pace), and the speech that resumes the utterance brings the rest, so the
    // words' times give a true speaking rate.
    const SAID: &str = "I designed the payment service and measured every request today.";
    let (fake, mut stt) = open(DeepgramScript {
        utterances: vec![SAID.into()],
        finalize_words: Some(0.35),
        ..DeepgramScript::default()
    })
    .await;
    let first = trimmed(speech("I designed the payment service"));
    let first_seconds = first.len() as f64 / f64::from(RATE);
    let rest = trimmed(speech("and measured every request today"));
    let (finals, events) = finalized_in_a_pause(&mut stt, &first, &rest).await;
    assert!(finals.len() >= 2, "{finals:?}");
    assert_eq!(finals.join(" "), SAID);
    let settled = finals[0].split_whitespace().count();
    assert!(
        (2..=7).contains(&settled),
        "{settled} words settled after {first_seconds:.2} s: {finals:?}"
    );
    // Every final's words lie inside the audio they were heard in.
    let word_ends: Vec<f64> = events
        .iter()
        .filter_map(|e| match e {
            SttEvent::Transcript(Transcript {
                is_final: true,
                words,
                ..
            }) => words.last().map(|w| w.end),
            _ => None,
        })
        .collect();
    assert!(
        word_ends
            .first()
            .is_some_and(|&e| e <= first_seconds + 0.05),
        "{word_ends:?}"
    );
    assert_eq!(fake.recorded().finals, [SAID]);
}

#[tokio::test]
async fn a_fake_with_a_word_pace_learns_each_speakers_own_pace() {
    // A fast speaker's words settled at a slower scripted pace would read as slow speech:
    // once the connection has heard an utterance to its end, the fake settles the words at
    // the pace that utterance was said at.
    const SAID: &str = "I designed the payment service and measured every request today.";
    let (fake, mut stt) = open(DeepgramScript {
        utterances: vec![SAID.into(), SAID.into()],
        finalize_words: Some(0.6),
        ..DeepgramScript::default()
    })
    .await;
    let mut audio = speech_at(
        "I designed the payment service and measured every request today",
        260,
    );
    audio.extend(silence(1.0));
    stream(&stt, &audio).await;
    // Seven of the ten words, then a Finalize.
    let first = trimmed(speech_at(
        "I designed the payment service and measured",
        260,
    ));
    let rest = trimmed(speech_at("every request today", 260));
    let (finals, _) = finalized_in_a_pause(&mut stt, &first, &rest).await;
    assert_eq!(finals.first().map(String::as_str), Some(SAID), "{finals:?}");
    let second = finals[1..].join(" ");
    assert_eq!(second, SAID, "{finals:?}");
    let settled = finals[1].split_whitespace().count();
    // At the scripted 0.6 s a word, the 1.3 voiced seconds before the Finalize would settle
    // 2 words.
    assert!(
        (6..=8).contains(&settled),
        "{settled} of the 7 words said were settled: {finals:?}"
    );
    assert_eq!(fake.recorded().finals, [SAID, SAID]);
}

#[tokio::test]
async fn a_dropped_socket_reconnects_and_replays_so_no_words_are_lost() {
    let (fake, mut stt) = open(DeepgramScript {
        utterances: vec![
            "My first answer.".into(),
            "Second answer, interrupted by the network.".into(),
        ],
        // Inside the second utterance.
        drop_after_audio: Some(3.5),
        ..DeepgramScript::default()
    })
    .await;
    let mut audio = silence(0.5);
    audio.extend(speech("my first answer"));
    audio.extend(silence(0.8));
    let second_at = audio.len() as f64 / f64::from(RATE);
    audio.extend(speech("second answer interrupted by the network"));
    audio.extend(silence(0.8));
    assert!(
        second_at < 3.3,
        "the drop must fall inside the second answer"
    );
    stream(&stt, &audio).await;
    stt.close();
    let (finals, events) = until_closed(&mut stt).await;

    assert_eq!(
        finals,
        [
            "My first answer.",
            "Second answer, interrupted by the network."
        ]
    );
    let reconnected = events
        .iter()
        .find_map(|e| match e {
            SttEvent::Reconnected {
                reconnects,
                replayed_samples,
            } => Some((*reconnects, *replayed_samples)),
            _ => None,
        })
        .expect("a reconnect");
    assert_eq!(reconnected.0, 1);
    assert!(reconnected.1 > 0, "the unfinalised audio was resent");
    assert_eq!(fake.recorded().targets.len(), 2);
    // Word times stay absolute across the reconnect.
    let last_start = events
        .iter()
        .rev()
        .find_map(|e| match e {
            SttEvent::Transcript(Transcript {
                words,
                is_final: true,
                ..
            }) => words.first().map(|w| w.start),
            _ => None,
        })
        .expect("words");
    assert!(
        (last_start - second_at).abs() < 0.3,
        "second answer starts at {last_start}, sent at {second_at}"
    );
}

#[tokio::test]
async fn an_unreachable_server_ends_the_stream_with_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let mut config = LiveConfig::new(format!("ws://{addr}"));
    config.max_reconnects = 2;
    config.reconnect_backoff = Duration::from_millis(5);
    let mut stt = Deepgram { config }.open(RATE, None);
    let (_, events) = until_closed(&mut stt).await;
    assert!(matches!(
        events.last(),
        Some(SttEvent::Closed { error: Some(_) })
    ));
}
