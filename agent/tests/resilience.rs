//! Must show 5: the agent survives a livekit-server restart and a cut signal socket (rejoins
//! within 5 s, audio flows both ways again), and follows a client that leaves and comes back.

mod common;

use std::time::{Duration, Instant};

use agent::transport::RoomEvent;
use anyhow::Result;
use common::{Agent, agent_hears, correlation, drained, options, push_wav, utterance};
use tests::livekit::LiveKitServer;
use tests::pyclient::{ClientOptions, PyClient};
use tests::speech;
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy in front of the server's signal port whose connections can be cut.
struct Proxy {
    port: u16,
    cut: tokio::sync::watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(target_port: u16) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (cut, cuts) = tokio::sync::watch::channel(0u64);
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut cuts = cuts.clone();
                cuts.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target_port)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cuts.changed() => {} // dropping both sockets cuts the connection
                    }
                });
            }
        });
        Ok(Self { port, cut, task })
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Drops every connection open now.
    fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the harness URL ends with a port")
}

async fn wait_connected(agent: &mut Agent, timeout: Duration) -> Result<Duration> {
    let start = Instant::now();
    agent
        .wait_for(timeout, |e| matches!(e, RoomEvent::Connected { .. }))
        .await?;
    Ok(start.elapsed())
}

async fn candidate(
    server: &LiveKitServer,
    room: &str,
    record: &std::path::Path,
) -> Result<PyClient> {
    let mut client = PyClient::join(
        &server.ws_url(),
        &server.token("candidate", room)?,
        ClientOptions {
            record: Some(record.to_path_buf()),
            record_identity: Some("agent".into()),
            mic_queue_ms: Some(400),
            ..Default::default()
        },
    )
    .await?;
    client.publish().await?;
    Ok(client)
}

/// The agent speaks; returns the sent samples (checked against the client's recording later).
async fn agent_speaks(
    agent: &Agent,
    dir: &std::path::Path,
    name: &str,
    text: &str,
) -> Result<Vec<f32>> {
    let said = utterance(dir, name, text, 70)?;
    let sent = push_wav(&agent.handle, &said)?;
    drained(&agent.handle, Duration::from_secs(30)).await?;
    Ok(sent)
}

/// A fresh listener joins, hears the agent speak `text`, and leaves; returns the correlation
/// of its recording with what the agent sent. (A fresh client, because the harness client's
/// recorder keeps mixing in the agent's previous, unsubscribed track after a rejoin.)
async fn listener_hears_agent(
    server: &LiveKitServer,
    room: &str,
    agent: &Agent,
    dir: &std::path::Path,
    text: &str,
) -> Result<f32> {
    let recording = dir.join("listener.wav");
    let mut listener = PyClient::join(
        &server.ws_url(),
        &server.token("listener", room)?,
        ClientOptions {
            record: Some(recording.clone()),
            record_identity: Some("agent".into()),
            ..Default::default()
        },
    )
    .await?;
    listener
        .wait_for(Duration::from_secs(20), |e| {
            e["event"] == "first_audio" && e["identity"] == "agent"
        })
        .await?;
    // A fresh subscriber's jitter buffer adapts during its first moments (stretching what it
    // plays); the check is whether audio flows after the rejoin, so let it settle first.
    listener.record_more(1.0, Duration::from_secs(20)).await?;
    let sent = agent_speaks(agent, dir, "agent-after", text).await?;
    // The agent sent its last frame; let the tail reach the recording before leaving.
    listener.record_more(0.5, Duration::from_secs(20)).await?;
    listener.leave().await?;
    let (_, received) = speech::read_wav(&recording)?;
    let (corr, lag) = correlation(&sent, &received);
    eprintln!(
        "a listener heard the agent with correlation {corr:.3} at lag {} ms",
        lag * 20
    );
    Ok(corr)
}

async fn subscribed_to_candidate(agent: &mut Agent) -> Result<()> {
    agent
        .wait_for(
            Duration::from_secs(20),
            |e| matches!(e, RoomEvent::TrackSubscribed { identity, .. } if identity == "candidate"),
        )
        .await
        .map(drop)
}

async fn client_hears_agent_track(client: &mut PyClient) -> Result<()> {
    client
        .wait_for(Duration::from_secs(20), |e| {
            e["event"] == "first_audio" && e["identity"] == "agent"
        })
        .await
        .map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_rejoins_after_a_server_restart_and_audio_flows_again() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut server = common::start_server().await?;
    let room = "restart-room";
    let recording = dir.path().join("heard.wav");
    let mut client = candidate(&server, room, &recording).await?;
    let mut agent = Agent::join(&server, room, "agent").await?;
    subscribed_to_candidate(&mut agent).await?;
    client_hears_agent_track(&mut client).await?;
    let before = agent_hears(
        &agent,
        &mut client,
        dir.path(),
        "before",
        "Before the restart, one two three.",
    )
    .await?;
    assert!(before >= 0.9, "before the restart: {before:.3}");

    server.restart().await?;
    let rejoined = wait_connected(&mut agent, Duration::from_secs(5)).await?;
    eprintln!(
        "the agent rejoined {} ms after the server was back",
        rejoined.as_millis()
    );
    client
        .wait_for(Duration::from_secs(30), |e| {
            e["event"] == "reconnected" || e["event"] == "disconnected"
        })
        .await?;
    subscribed_to_candidate(&mut agent).await?;
    let heard = listener_hears_agent(
        &server,
        room,
        &agent,
        dir.path(),
        "After the restart I can still speak to you clearly.",
    )
    .await?;
    let after = agent_hears(
        &agent,
        &mut client,
        dir.path(),
        "after",
        "After the restart, four five six seven.",
    )
    .await?;
    client.leave().await?;
    agent.leave().await?;
    assert!(
        after >= 0.9,
        "the agent's hearing after the restart: {after:.3}"
    );
    assert!(
        heard >= 0.9,
        "the client's hearing after the restart: {heard:.3}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_rejoins_after_its_signal_socket_is_cut() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = common::start_server().await?;
    let room = "cut-room";
    let proxy = Proxy::start(port_of(&server.ws_url())).await?;
    let recording = dir.path().join("heard.wav");
    let mut client = candidate(&server, room, &recording).await?;
    let mut agent = Agent::join_with(options(&proxy.url(), server.token("agent", room)?)).await?;
    subscribed_to_candidate(&mut agent).await?;
    client_hears_agent_track(&mut client).await?;

    let cut_at = Instant::now();
    proxy.cut();
    agent
        .wait_for(Duration::from_secs(5), |e| {
            matches!(e, RoomEvent::Reconnecting { .. })
        })
        .await?;
    wait_connected(&mut agent, Duration::from_secs(5)).await?;
    let rejoined = cut_at.elapsed();
    eprintln!(
        "the agent rejoined {} ms after the cut",
        rejoined.as_millis()
    );
    assert!(
        rejoined < Duration::from_secs(5),
        "rejoined after {rejoined:?}"
    );
    subscribed_to_candidate(&mut agent).await?;
    let heard = listener_hears_agent(
        &server,
        room,
        &agent,
        dir.path(),
        "The line was cut but I am back now.",
    )
    .await?;
    let after = agent_hears(
        &agent,
        &mut client,
        dir.path(),
        "after",
        "Good, I can hear you again, eight nine ten.",
    )
    .await?;
    client.leave().await?;
    agent.leave().await?;
    assert!(
        after >= 0.9,
        "the agent's hearing after the cut: {after:.3}"
    );
    assert!(
        heard >= 0.9,
        "the client's hearing after the cut: {heard:.3}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_subscribes_again_when_the_candidate_rejoins() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = common::start_server().await?;
    let room = "rejoin-room";
    let mut agent = Agent::join(&server, room, "agent").await?;
    let client = candidate(&server, room, &dir.path().join("first.wav")).await?;
    subscribed_to_candidate(&mut agent).await?;
    client.leave().await?;
    agent
        .wait_for(
            Duration::from_secs(10),
            |e| matches!(e, RoomEvent::ParticipantLeft { identity } if identity == "candidate"),
        )
        .await?;

    let mut client = candidate(&server, room, &dir.path().join("second.wav")).await?;
    subscribed_to_candidate(&mut agent).await?;
    let corr = agent_hears(
        &agent,
        &mut client,
        dir.path(),
        "again",
        "I am back in the room, can you hear me?",
    )
    .await?;
    client.leave().await?;
    agent.leave().await?;
    assert!(corr >= 0.9, "after the candidate rejoined: {corr:.3}");
    Ok(())
}
