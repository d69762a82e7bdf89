//! `agent join` by hand, as a test: the binary plays a WAV into a real room and records what
//! it hears, while the Python client does the same from the other side.

mod common;

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use common::{correlation, utterance};
use tests::pyclient::{ClientOptions, PyClient};
use tests::speech;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_command_plays_and_records() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = common::start_server().await?;
    let room = "cli-room";
    let client_heard = dir.path().join("client-heard.wav");
    let mut client = PyClient::join(
        &server.ws_url(),
        &server.token("candidate", room)?,
        ClientOptions {
            record: Some(client_heard.clone()),
            record_identity: Some("agent".into()),
            ..Default::default()
        },
    )
    .await?;
    client.publish().await?;

    // The agent's WAV starts with a second of silence: the client subscribes meanwhile.
    let spoken = utterance(
        dir.path(),
        "agent-spoken",
        "Welcome to your interview. Let us begin.",
        65,
    )?;
    let (rate, agent_wav) = speech::read_wav(&spoken)?;
    let mut padded = speech::silence(1.0);
    padded.extend_from_slice(&agent_wav);
    let agent_says = dir.path().join("agent-says.wav");
    speech::write_wav(&agent_says, rate, &padded)?;
    let agent_heard = dir.path().join("agent-heard.wav");

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agent"))
        .args(["join", "--loopback", "--seconds", "12", "--url"])
        .arg(server.ws_url())
        .arg("--token")
        .arg(server.token("agent", room)?)
        .arg("--play")
        .arg(&agent_says)
        .arg("--record")
        .arg(&agent_heard)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting agent join")?;

    client
        .wait_for(Duration::from_secs(15), |e| {
            e["event"] == "first_audio" && e["identity"] == "agent"
        })
        .await?;
    let candidate_says = utterance(
        dir.path(),
        "candidate",
        "Thank you, I am ready to start.",
        40,
    )?;
    client.play(&candidate_says).await?;
    client
        .wait_event("play_done", Duration::from_secs(30))
        .await?;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .context("agent join did not exit")??;
    ensure!(status.success(), "agent join exited with {status}");
    client.leave().await?;

    let (_, heard_by_agent) = speech::read_wav(&agent_heard)?;
    let (_, sent_by_client) = speech::read_wav(&candidate_says)?;
    let (corr, _) = correlation(&sent_by_client, &heard_by_agent);
    eprintln!("agent join recorded the candidate with correlation {corr:.3}");
    ensure!(corr >= 0.9, "the agent's recording correlates {corr:.3}");
    let (_, heard_by_client) = speech::read_wav(&client_heard)?;
    // The speech itself, not the padding: how early the client's recording starts depends on
    // how fast its subscription settles, which is not what this test is about.
    let (corr, lag) = correlation(&agent_wav, &heard_by_client);
    eprintln!(
        "the client heard agent join's WAV with correlation {corr:.3} at {} ms",
        lag * 20
    );
    ensure!(corr >= 0.9, "the client's recording correlates {corr:.3}");
    Ok(())
}
