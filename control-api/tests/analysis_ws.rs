//! Seed 004's `/ws/analysis/{session_id}` over a real socket: espeak speech streamed as
//! Float32 PCM at 22.05 kHz (resampled by the service) gets one metrics message per
//! second and a "speak up" nudge in its quiet stretch, none in its normal stretch; garbage
//! binary, wrong JSON, unknown messages and oversize frames get error messages on a socket
//! that keeps working; the upgrade needs a token, the caller's own interview and a free slot.

mod common;

use std::time::Duration;

use control_api::AppState;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tests::speech::{Voice, read_wav, sox, speak};
use tokio_tungstenite::tungstenite::Message;

const ANSWER: &str = "I would start by measuring where the time goes and then change one thing at a time until the numbers improve";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(state: AppState) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(control_api::run(listener, state, async {
        let _ = stopped.await;
    }));
    (format!("ws://{addr}"), stop)
}

async fn interview(state: &AppState, token: &str) -> String {
    let reply = common::send_to(
        state,
        common::users::request(
            "POST",
            "/api/v1/interviews",
            Some(token),
            Some(&json!({"title": "T"})),
        ),
    )
    .await;
    reply.json["id"].as_str().expect("id").to_owned()
}

fn pcm(samples: &[f32]) -> Message {
    Message::Binary(
        samples
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect::<Vec<u8>>()
            .into(),
    )
}

/// The next text message as JSON (bounded).
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("a message within 20 s")
            .expect("socket open")
            .expect("no protocol error");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

#[tokio::test]
async fn streamed_speech_gets_metrics_each_second_and_a_nudge_when_quiet() {
    let state = common::memory_state().await;
    let token = common::users::user_token(&state, "ws@example.com").await;
    let id = interview(&state, &token).await;
    let (base, _stop) = serve(state.clone()).await;

    let dir = tempfile::tempdir().expect("dir");
    let wav = dir.path().join("answer.wav");
    speak(ANSWER, &Voice::default(), &wav).expect("espeak");
    // Streamed at 22.05 kHz, a rate the service must resample.
    let slow = dir.path().join("answer-22050.wav");
    sox(&[
        wav.to_str().expect("path"),
        "-r",
        "22050",
        slow.to_str().expect("path"),
    ])
    .expect("sox");
    let (rate, speech) = read_wav(&slow).expect("wav");
    assert_eq!(rate, 22_050);
    let pause = vec![0.0f32; rate as usize / 3];
    let mut normal = Vec::new();
    for _ in 0..2 {
        normal.extend_from_slice(&speech);
        normal.extend_from_slice(&pause);
    }
    let quiet: Vec<f32> = normal.iter().map(|s| s * 0.04).collect();
    let normal_seconds = normal.len() as f64 / f64::from(rate);
    let total_seconds = (normal.len() + quiet.len()) as f64 / f64::from(rate);

    let url = format!("{base}/ws/analysis/{id}?token={token}&sample_rate={rate}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("upgrade");
    // Bad input first: each gets an error, none closes the socket.
    socket
        .send(Message::Binary(vec![1u8, 2, 3].into()))
        .await
        .expect("send");
    socket
        .send(Message::Text("not json".into()))
        .await
        .expect("send");
    socket
        .send(Message::Text(r#"{"type": "make_me_sound_great"}"#.into()))
        .await
        .expect("send");
    socket
        .send(pcm(&vec![
            0.0;
            control_api::analysis::MAX_FRAME_SAMPLES + 1
        ]))
        .await
        .expect("send");
    socket.send(pcm(&[0.0, f32::NAN])).await.expect("send");
    for expected in [
        "multiple of 4",
        "JSON",
        "unknown message",
        "at most 48000",
        "finite",
    ] {
        let reply = next_json(&mut socket).await;
        assert_eq!(reply["type"], "error", "{reply}");
        assert!(
            reply["detail"]
                .as_str()
                .is_some_and(|d| d.contains(expected)),
            "{expected}: {reply}"
        );
    }
    socket
        .send(Message::Text(r#"{"type": "ping"}"#.into()))
        .await
        .expect("send");
    assert_eq!(next_json(&mut socket).await["type"], "pong");

    // Then the answer, as a browser sends it: 4096-sample frames.
    let all: Vec<f32> = normal.iter().chain(quiet.iter()).copied().collect();
    let sender = tokio::spawn(async move {
        for chunk in all.chunks(4096) {
            socket.send(pcm(chunk)).await.expect("send audio");
        }
        socket
    });
    let mut socket = sender.await.expect("sender");
    let expected_seconds = total_seconds.floor() as u64;
    let mut metrics = Vec::new();
    let mut nudges = Vec::new();
    while (metrics.len() as u64) < expected_seconds {
        let message = next_json(&mut socket).await;
        match message["type"].as_str() {
            Some("metrics") => metrics.push(message["data"].clone()),
            Some("nudge") => nudges.push(message),
            _ => panic!("unexpected {message}"),
        }
    }
    println!(
        "{} s of audio at {rate} Hz: {} metrics messages, nudges {:?}",
        total_seconds,
        metrics.len(),
        nudges
            .iter()
            .map(|n| (n["data"]["second"].clone(), n["data"]["kind"].clone()))
            .collect::<Vec<_>>()
    );
    assert!(
        metrics.iter().enumerate().all(|(i, m)| m["second"] == i),
        "one metrics message per second, in order"
    );
    assert!(
        metrics
            .iter()
            .all(|m| m["volume"].is_number() && m["is_speaking"].is_boolean())
    );
    assert!(
        metrics.iter().any(|m| m["is_speaking"] == true),
        "the speech is heard"
    );
    assert!(!nudges.is_empty(), "the quiet stretch gets a nudge");
    for nudge in &nudges {
        assert_eq!(nudge["data"]["kind"], "too_quiet", "{nudge}");
        assert_eq!(nudge["message"], nudge["data"]["nudge"]);
        let second = nudge["data"]["second"].as_f64().expect("second");
        assert!(
            second >= normal_seconds.floor(),
            "a nudge at {second} s, in the normal stretch (until {normal_seconds:.1} s)"
        );
    }
    socket.close(None).await.expect("close");
}

#[tokio::test]
async fn the_upgrade_needs_a_token_an_own_interview_and_a_free_slot() {
    let state = common::memory_state().await;
    let alice = common::users::user_token(&state, "alice@example.com").await;
    let bob = common::users::user_token(&state, "bob@example.com").await;
    let id = interview(&state, &alice).await;
    let (base, _stop) = serve(state.clone()).await;
    let status = |result: Result<(Socket, _), tokio_tungstenite::tungstenite::Error>| match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("{other}"),
        Ok(_) => 101,
    };
    let url = |token: &str, extra: &str| format!("{base}/ws/analysis/{id}?token={token}{extra}");
    assert_eq!(
        status(tokio_tungstenite::connect_async(format!("{base}/ws/analysis/{id}")).await),
        401
    );
    assert_eq!(
        status(tokio_tungstenite::connect_async(url("garbage", "")).await),
        401
    );
    assert_eq!(
        status(tokio_tungstenite::connect_async(url(&bob, "")).await),
        404,
        "not bob's interview"
    );
    assert_eq!(
        status(tokio_tungstenite::connect_async(url(&alice, "&sample_rate=100")).await),
        422
    );
    // The Authorization header works too, and one socket per user.
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "{base}/ws/analysis/{id}"
        ))
        .expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {alice}").parse().expect("header"),
    );
    let (mut first, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("first socket");
    assert_eq!(
        status(tokio_tungstenite::connect_async(url(&alice, "")).await),
        409
    );
    first.close(None).await.expect("close");
    // The slot is free again once the first socket is gone.
    let mut freed = None;
    for _ in 0..50 {
        match tokio_tungstenite::connect_async(url(&alice, "")).await {
            Ok((socket, _)) => {
                freed = Some(socket);
                break;
            }
            Err(_) => {
                // The server drops its side after the close handshake; wait for that event.
                let _ = first.next().await;
                tokio::task::yield_now().await;
            }
        }
    }
    assert!(freed.is_some(), "the slot was not given back");
}
