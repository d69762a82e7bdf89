//! A worker checks its providers before it registers: with a speech recognizer that cannot
//! be reached, one that refuses the connection, one that refuses the key, or an LLM that
//! cannot be reached, `agent
//! worker` exits with an error naming the provider and never registers with LiveKit (whose
//! address here is closed too: the worker fails before it tries it). The wire-format fakes
//! stand in for the vendors; every worker test elsewhere starts with providers that pass.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::fakes::transcribe::{self, TranscribeScript};

/// A loopback port nothing listens on.
fn closed_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Runs `agent worker` with `args` added; its exit status and its log.
async fn worker(args: &[&str]) -> Result<(std::process::ExitStatus, String)> {
    let livekit = format!("ws://127.0.0.1:{}", closed_port()?);
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_agent"))
            .arg("worker")
            .args([
                "--url",
                &livekit,
                "--api-key",
                "devkey",
                "--api-secret",
                "secret",
            ])
            .args(["--agent-name", "provider-checks", "--tts", "espeak"])
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("RUST_BACKTRACE")
            .env_remove("DEEPGRAM_API_KEY")
            .env_remove("DEEPGRAM_URL")
            .env_remove("STT_PROVIDER")
            .env_remove("STT_TRANSCRIPTIONS_URL")
            .env_remove("LLM_API_KEY")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .context("the worker neither started nor exited")??;
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status, log))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_providers_are_not_ready_does_not_start() -> Result<()> {
    // No speech recognizer at the address.
    let nowhere = format!("ws://127.0.0.1:{}", closed_port()?);
    let (status, log) = worker(&["--stt-url", &nowhere, "--llm", "scripted"]).await?;
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("the speech recognizer (deepgram) is not ready"),
        "{log}"
    );
    assert!(!log.contains("registered"), "{log}");

    // A speech recognizer that refuses the connection (HTTP 503).
    let refusing = FakeDeepgram::start(DeepgramScript {
        accept_connections: Some(0),
        ..Default::default()
    })
    .await?;
    let (status, log) = worker(&["--stt-url", &refusing.base_url(), "--llm", "scripted"]).await?;
    assert!(!status.success(), "{log}");
    assert!(log.contains("is not ready") && log.contains("503"), "{log}");

    // A speech recognizer that refuses the key (HTTP 401, as Deepgram answers).
    let keyed = FakeDeepgram::start(DeepgramScript {
        api_key: Some("the-right-key".to_owned()),
        ..Default::default()
    })
    .await?;
    let (status, log) = worker(&[
        "--stt-url",
        &keyed.base_url(),
        "--stt-api-key",
        "a-wrong-key",
        "--llm",
        "scripted",
    ])
    .await?;
    assert!(!status.success(), "{log}");
    assert!(log.contains("is not ready") && log.contains("401"), "{log}");
    assert!(
        !log.contains("a-wrong-key"),
        "the key is never logged: {log}"
    );
    eprintln!(
        "invalid key: {}",
        log.lines()
            .find(|l| l.contains("not ready"))
            .unwrap_or_default()
    );

    // The recognizer is fine; the LLM cannot be reached.
    let stt = FakeDeepgram::start(DeepgramScript::default()).await?;
    let llm = format!("http://127.0.0.1:{}/v1", closed_port()?);
    let (status, log) = worker(&[
        "--stt-url",
        &stt.base_url(),
        "--llm",
        "open-ai",
        "--llm-base-url",
        &llm,
    ])
    .await?;
    assert!(!status.success(), "{log}");
    assert!(log.contains("the LLM is not ready"), "{log}");
    assert_eq!(
        stt.recorded().targets.len(),
        1,
        "the recognizer was checked first, once"
    );
    eprintln!(
        "refused to start: {}",
        log.lines()
            .find(|l| l.contains("not ready"))
            .unwrap_or_default()
    );

    // No cloud key: the local recognizer, whose model is missing here.
    let (status, log) =
        worker(&["--pocketsphinx-model", "/nonexistent", "--llm", "scripted"]).await?;
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("the speech recognizer (pocketsphinx) is not ready")
            && log.contains("incomplete"),
        "{log}"
    );

    // A transcription server that refuses the key.
    let transcriptions = transcribe::start(TranscribeScript {
        api_key: Some("the-right-key".to_owned()),
        ..Default::default()
    })
    .await?;
    let (status, log) = worker(&[
        "--transcriptions-url",
        &transcriptions.base_url(),
        "--transcriptions-api-key",
        "a-wrong-key",
        "--llm",
        "scripted",
    ])
    .await?;
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("the speech recognizer (transcriptions) is not ready") && log.contains("401"),
        "{log}"
    );
    assert!(!log.contains("a-wrong-key"), "{log}");
    Ok(())
}
