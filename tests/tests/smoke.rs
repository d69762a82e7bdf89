//! Smoke tests that prove the harness: a real livekit-server, the official Python client,
//! real PostgreSQL and generated speech.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use tests::livekit::LiveKitServer;
use tests::postgres::{TestDatabase, psql};
use tests::pyclient::{ClientOptions, PyClient};
use tests::{signal, speech};

/// Speech followed by a second of silence, so that `play_done` at the sender comes after the
/// last spoken sample has reached the listener.
fn utterance(dir: &Path, name: &str, text: &str, pitch: u32) -> Result<std::path::PathBuf> {
    let spoken = dir.join(format!("{name}.spoken.wav"));
    speech::speak(
        text,
        &speech::Voice {
            pitch,
            ..Default::default()
        },
        &spoken,
    )?;
    let (rate, mut samples) = speech::read_wav(&spoken)?;
    samples.extend(speech::silence(1.0));
    let out = dir.join(format!("{name}.wav"));
    speech::write_wav(&out, rate, &samples)?;
    Ok(out)
}

#[test]
fn espeak_makes_speech_of_plausible_length() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let wav = dir.path().join("s.wav");
    speech::speak(
        "The quick brown fox jumps over the lazy dog.",
        &speech::Voice::default(),
        &wav,
    )?;
    let (rate, samples) = speech::read_wav(&wav)?;
    assert_eq!(rate, speech::RATE);
    let secs = signal::seconds(&samples, rate);
    assert!((1.5..6.0).contains(&secs), "duration {secs} s");
    let loud = signal::envelope_20ms(&samples, rate)
        .iter()
        .filter(|&&e| e > 0.02)
        .count();
    assert!(loud > 40, "only {loud} loud windows");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_lets_python_client_join_and_list_participants() -> Result<()> {
    let server = LiveKitServer::start().await?;
    let token = server.token("candidate-1", "smoke-room")?;
    let client = PyClient::join(&server.ws_url(), &token, ClientOptions::default()).await?;
    let participants = server
        .room_client()
        .list_participants("smoke-room")
        .await
        .context("RoomService.ListParticipants")?;
    let identities: Vec<_> = participants.iter().map(|p| p.identity.as_str()).collect();
    assert_eq!(identities, ["candidate-1"]);
    client.leave().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_python_clients_hear_each_other() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = LiveKitServer::start().await?;
    let room = "hear-each-other";
    let mut alice = PyClient::join(
        &server.ws_url(),
        &server.token("alice", room)?,
        ClientOptions {
            record: Some(dir.path().join("alice-heard.wav")),
            ..Default::default()
        },
    )
    .await?;
    let mut bob = PyClient::join(
        &server.ws_url(),
        &server.token("bob", room)?,
        ClientOptions {
            record: Some(dir.path().join("bob-heard.wav")),
            ..Default::default()
        },
    )
    .await?;
    alice.publish().await?;
    bob.publish().await?;
    let subscribed = Duration::from_secs(15);
    alice
        .wait_for(subscribed, |e| {
            e["event"] == "first_audio" && e["identity"] == "bob"
        })
        .await?;
    bob.wait_for(subscribed, |e| {
        e["event"] == "first_audio" && e["identity"] == "alice"
    })
    .await?;

    let said_by_alice = utterance(
        dir.path(),
        "alice",
        "Hello Bob, this is Alice speaking through a real LiveKit server.",
        40,
    )?;
    let said_by_bob = utterance(
        dir.path(),
        "bob",
        "Hi Alice, I can hear you. Seven, eight, nine, ten.",
        70,
    )?;
    alice.play(&said_by_alice).await?;
    bob.play(&said_by_bob).await?;
    let played = Duration::from_secs(30);
    alice.wait_event("play_done", played).await?;
    bob.wait_event("play_done", played).await?;
    alice.leave().await?;
    bob.leave().await?;

    for (sent, heard) in [
        (&said_by_alice, dir.path().join("bob-heard.wav")),
        (&said_by_bob, dir.path().join("alice-heard.wav")),
    ] {
        let (rate, source) = speech::read_wav(sent)?;
        let (heard_rate, received) = speech::read_wav(&heard)?;
        assert_eq!(heard_rate, rate);
        let reference = signal::envelope_20ms(&source, rate);
        let recorded = signal::envelope_20ms(&received, rate);
        let max_lag = recorded.len().saturating_sub(reference.len() / 2);
        let (corr, lag) = signal::best_ncc(&reference, &recorded, max_lag);
        eprintln!(
            "{}: correlation {corr:.3} at lag {} ms",
            heard.display(),
            lag * 20
        );
        assert!(
            corr >= 0.9,
            "{} correlates {corr:.3} with what was sent",
            heard.display()
        );
    }
    Ok(())
}

#[test]
fn postgres_answers_and_throwaway_databases_are_dropped() -> Result<()> {
    let name;
    {
        let db = TestDatabase::create()?;
        name = db.name().to_string();
        psql(
            db.url(),
            "CREATE TABLE t (x int); INSERT INTO t VALUES (2), (40)",
        )?;
        assert_eq!(psql(db.url(), "SELECT sum(x) FROM t")?, "42");
    }
    let left = psql(
        &tests::postgres::admin_url(),
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
    )?;
    assert_eq!(left, "0", "database {name} was not dropped");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_clients_exchange_data_text_streams_and_attributes() -> Result<()> {
    let server = LiveKitServer::start().await?;
    let room = "data-room";
    let mut alice = PyClient::join(
        &server.ws_url(),
        &server.token("alice", room)?,
        ClientOptions::default(),
    )
    .await?;
    let mut bob = PyClient::join(
        &server.ws_url(),
        &server.token("bob", room)?,
        ClientOptions::default(),
    )
    .await?;
    let timeout = Duration::from_secs(10);
    alice
        .wait_for(timeout, |e| {
            e["event"] == "participant_connected" && e["identity"] == "bob"
        })
        .await?;

    alice.send_data("nudge", r#"{"kind":"speak_up"}"#).await?;
    let got = bob
        .wait_for(timeout, |e| e["event"] == "data_received")
        .await?;
    assert_eq!(got["topic"], "nudge");
    assert_eq!(got["identity"], "alice");
    assert_eq!(got["text"], r#"{"kind":"speak_up"}"#);

    let attributes = serde_json::json!({
        "lk.segment_id": "SG_1",
        "lk.transcription_final": "true",
    });
    alice
        .send_text("lk.transcription", "Hello there, Bob.", attributes)
        .await?;
    let got = bob
        .wait_for(timeout, |e| e["event"] == "text_received")
        .await?;
    assert_eq!(got["topic"], "lk.transcription");
    assert_eq!(got["text"], "Hello there, Bob.");
    assert_eq!(got["attributes"]["lk.segment_id"], "SG_1");
    assert_eq!(got["attributes"]["lk.transcription_final"], "true");

    alice
        .send(serde_json::json!({"cmd": "set_attributes", "attributes": {"lk.agent.state": "listening"}}))
        .await?;
    let got = bob
        .wait_for(timeout, |e| e["event"] == "attributes_changed")
        .await?;
    assert_eq!(got["identity"], "alice");
    assert_eq!(got["attributes"]["lk.agent.state"], "listening");

    alice.leave().await?;
    bob.wait_for(timeout, |e| {
        e["event"] == "participant_disconnected" && e["identity"] == "alice"
    })
    .await?;
    bob.leave().await?;
    Ok(())
}
