//! The agent's voice reaches the Python client through a real livekit-server intact and
//! without gaps, a flush silences it, and data, transcriptions and the agent state go both
//! ways. Times are checked against generous liveness bounds: the pacer's cadence and the
//! flush are tested in paused time (`transport::outbound` tests), and the figures in a real
//! room come from `scripts/bench-room.sh` (see the table in ARCHITECTURE.md).

mod common;

use std::time::Duration;

use agent::transport::{AgentState, RoomEvent, Transcription};
use anyhow::{Context, Result};
use common::{
    Agent, agent_token, correlation, drained, options, push_wav, tremolo_tone, unix_now, utterance,
};
use serde_json::json;
use tests::livekit::LiveKitServer;
use tests::pyclient::{
    ClientOptions, PyClient, announces_agent_state, recording_timeline, wall_time,
};
use tests::{signal, speech};

async fn client_recording_agent(
    server: &LiveKitServer,
    room: &str,
    record: &std::path::Path,
) -> Result<PyClient> {
    PyClient::join(
        &server.ws_url(),
        &server.token("candidate", room)?,
        ClientOptions {
            record: Some(record.to_path_buf()),
            record_identity: Some("agent".into()),
            ..Default::default()
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_hears_the_agent_promptly_intact_and_without_gaps() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = common::start_server().await?;
    let room = "publish-room";
    let recording = dir.path().join("heard.wav");
    let mut client = client_recording_agent(&server, room, &recording).await?;

    let joined_at = unix_now();
    let agent = Agent::join(&server, room, "agent").await?;
    let subscribed = client
        .wait_for(Duration::from_secs(10), |e| {
            e["event"] == "track_subscribed" && e["identity"] == "agent"
        })
        .await?;
    let delay = subscribed["t"].as_f64().context("event time")? - joined_at;
    eprintln!(
        "client subscribed {:.0} ms after the agent joined and published",
        delay * 1000.0
    );
    assert!(delay < 2.0, "subscribed after {delay:.2} s");
    // Subscribed is not yet flowing: the server binds the down track after the client's
    // answer. The idle agent sends encoded silence, so the first frame heard says it flows.
    client
        .wait_for(Duration::from_secs(10), |e| {
            e["event"] == "first_audio" && e["identity"] == "agent"
        })
        .await?;

    let said = utterance(
        dir.path(),
        "agent",
        "Thank you. Could you tell me about a system you designed and what you would change today?",
        60,
    )?;
    let tone = tremolo_tone(dir.path(), "tone", 3.0)?;
    let mut sent = push_wav(&agent.handle, &said)?;
    let tone_start = sent.len();
    sent.extend(push_wav(&agent.handle, &tone)?);
    let tone_end = sent.len() - 48_000;
    drained(&agent.handle, Duration::from_secs(30)).await?;
    client.leave().await?;
    agent.leave().await?;

    let (_, received) = speech::read_wav(&recording)?;
    let (corr, lag) = correlation(&sent, &received);
    eprintln!(
        "client recording: correlation {corr:.3} at lag {} ms",
        lag * 20
    );
    assert!(corr >= 0.9, "envelope correlation {corr:.3} < 0.9");
    let start = lag * 960 + tone_start;
    let end = (lag * 960 + tone_end).min(received.len());
    assert!(
        end > start + 48_000,
        "the tone is missing from the recording"
    );
    let gap = signal::longest_gap(&received[start..end], 480, 0.02);
    eprintln!("longest gap inside the continuous tone: {} ms", gap / 48);
    assert!(
        gap <= 300 * 48,
        "gap of {} ms in the agent's audio",
        gap / 48
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushing_the_queue_silences_the_client() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = common::start_server().await?;
    let room = "flush-room";
    let recording = dir.path().join("heard.wav");
    let mut client = client_recording_agent(&server, room, &recording).await?;
    let agent = Agent::join(&server, room, "agent").await?;
    client
        .wait_for(Duration::from_secs(10), |e| {
            e["event"] == "first_audio" && e["identity"] == "agent"
        })
        .await?;
    let tone = tremolo_tone(dir.path(), "long", 10.0)?;
    push_wav(&agent.handle, &tone)?;
    // Let two seconds of tone play out, then cut it.
    drained_until(&agent, 500).await?;
    let flushed_at = unix_now();
    let dropped = agent.handle.flush_audio();
    assert!(
        dropped > 100,
        "only {dropped} frames were queued at the flush"
    );
    // Half a second of silence after the cut, so the recording shows what followed it.
    for _ in 0..25 {
        agent.handle.push_audio(&[0; 960])?;
    }
    drained(&agent.handle, Duration::from_secs(5)).await?;
    agent.leave().await?;
    client.leave().await?;

    let (_, received) = speech::read_wav(&recording)?;
    let timeline = recording_timeline(&recording)?;
    let last = signal::last_above(&received, 0.02).context("the client heard nothing")?;
    let heard_until = wall_time(&timeline, last as u64).context("timeline")?;
    let after = heard_until - flushed_at;
    eprintln!(
        "audio stopped at the client {:.0} ms after the flush",
        after * 1000.0
    );
    assert!(
        after <= 1.0,
        "audio went on for {:.0} ms after the flush",
        after * 1000.0
    );
    assert!(
        after > -0.5,
        "the tone stopped long before the flush: {after:.3} s"
    );
    Ok(())
}

/// Waits until at most `frames` frames are left in the queue.
async fn drained_until(agent: &Agent, frames: usize) -> Result<()> {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while agent.handle.queued_audio() > frames {
        anyhow::ensure!(std::time::Instant::now() < deadline, "queue did not drain");
        tick.tick().await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcripts_state_and_data_flow_both_ways() -> Result<()> {
    let server = common::start_server().await?;
    let room = "data-room";
    let mut client = PyClient::join(
        &server.ws_url(),
        &server.token("candidate", room)?,
        ClientOptions::default(),
    )
    .await?;
    client.publish().await?;
    let token = agent_token(&server, "agent", room)?;
    let mut agent = Agent::join_with(options(&server.ws_url(), token)).await?;
    let wait = Duration::from_secs(10);
    let RoomEvent::TrackSubscribed { track_sid, .. } = agent
        .wait_for(wait, |e| matches!(e, RoomEvent::TrackSubscribed { .. }))
        .await?
    else {
        unreachable!("matched above");
    };

    let agent_is = |e: &serde_json::Value, state: &str| {
        e["identity"] == "agent" && announces_agent_state(e, state)
    };
    agent.handle.set_agent_state(AgentState::Thinking)?;
    client.wait_for(wait, |e| agent_is(e, "thinking")).await?;
    agent.handle.set_agent_state(AgentState::Speaking)?;
    client.wait_for(wait, |e| agent_is(e, "speaking")).await?;

    agent.handle.send_transcription(Transcription {
        segment_id: "SG_agent_1".into(),
        track_sid: "TR_agent".into(),
        text: "Tell me about yourself.".into(),
        is_final: true,
        on_behalf_of: None,
    })?;
    let got = client
        .wait_for(wait, |e| {
            e["event"] == "text_received" && e["identity"] == "agent"
        })
        .await?;
    assert_eq!(got["topic"], "lk.transcription");
    assert_eq!(got["text"], "Tell me about yourself.");
    assert_eq!(got["attributes"]["lk.segment_id"], "SG_agent_1");
    assert_eq!(got["attributes"]["lk.transcribed_track_id"], "TR_agent");
    assert_eq!(got["attributes"]["lk.transcription_final"], "true");

    agent.handle.send_transcription(Transcription {
        segment_id: "SG_cand_1".into(),
        track_sid: track_sid.clone(),
        text: "I build streaming systems.".into(),
        is_final: false,
        on_behalf_of: Some("candidate".into()),
    })?;
    let got = client
        .wait_for(wait, |e| {
            e["event"] == "text_received" && e["attributes"]["lk.segment_id"] == "SG_cand_1"
        })
        .await?;
    assert_eq!(
        got["identity"], "candidate",
        "sent on the candidate's behalf"
    );
    assert_eq!(
        got["attributes"]["lk.transcribed_track_id"],
        track_sid.as_str()
    );
    assert_eq!(got["attributes"]["lk.transcription_final"], "false");

    agent
        .handle
        .send_data("nudge", br#"{"kind":"slow_down"}"#, &[])?;
    let got = client
        .wait_for(wait, |e| e["event"] == "data_received")
        .await?;
    assert_eq!(got["identity"], "agent");
    assert_eq!(got["topic"], "nudge");
    assert_eq!(got["text"], r#"{"kind":"slow_down"}"#);

    client
        .send(json!({"cmd": "send_data", "topic": "code", "text": "fn main() {}"}))
        .await?;
    let got = agent
        .wait_for(wait, |e| matches!(e, RoomEvent::Data { .. }))
        .await?;
    let RoomEvent::Data {
        identity,
        topic,
        payload,
    } = got
    else {
        unreachable!("matched above");
    };
    assert_eq!(identity.as_deref(), Some("candidate"));
    assert_eq!(
        (topic.as_str(), payload.as_slice()),
        ("code", &b"fn main() {}"[..])
    );

    client
        .send_text("lk.chat", "hello agent", json!({"k": "v"}))
        .await?;
    let got = agent
        .wait_for(wait, |e| matches!(e, RoomEvent::Text { .. }))
        .await?;
    let RoomEvent::Text {
        identity,
        topic,
        text,
        attributes,
        ..
    } = got
    else {
        unreachable!("matched above");
    };
    assert_eq!(
        (identity.as_str(), topic.as_str(), text.as_str()),
        ("candidate", "lk.chat", "hello agent")
    );
    assert_eq!(attributes.get("k").map(String::as_str), Some("v"));

    // A clean leave: the client sees the agent go at once, not after the server's timeout.
    agent.leave().await?;
    client
        .wait_for(Duration::from_secs(8), |e| {
            e["event"] == "participant_disconnected" && e["identity"] == "agent"
        })
        .await?;
    client.leave().await?;
    Ok(())
}
