//! The `fakes` command: started as a process, it prints the agent's settings and serves the
//! vendors' wire formats with the knobs it was given (a chat reply after its first-token
//! delay, a recognizer refusing a wrong key), until it is stopped.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test]
async fn the_fakes_run_as_a_command_with_their_knobs() -> Result<()> {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_fakes"))
        .args(["--llm-reply", "Tell me about your last project."])
        .args(["--llm-first-token-ms", "300", "--stt-api-key", "right-key"])
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let mut settings = std::collections::HashMap::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await? {
            if line.starts_with('#') {
                break;
            }
            if let Some((k, v)) = line.split_once('=') {
                settings.insert(k.to_owned(), v.to_owned());
            }
        }
        anyhow::Ok(())
    })
    .await
    .context("the command printed no settings")??;
    let llm = settings.get("LLM_BASE_URL").context("LLM_BASE_URL")?;
    let stt = settings.get("DEEPGRAM_URL").context("DEEPGRAM_URL")?;
    assert!(settings.contains_key("TTS_BASE_URL"), "{settings:?}");
    assert!(
        settings.contains_key("STT_TRANSCRIPTIONS_URL"),
        "{settings:?}"
    );

    // Chat: the model list, and a streamed reply after the first-token delay.
    let http = reqwest::Client::new();
    let models = http.get(format!("{llm}/models")).send().await?;
    assert!(models.status().is_success());
    let asked = Instant::now();
    let reply = http
        .post(format!("{llm}/chat/completions"))
        .json(&serde_json::json!({"model": "fake", "stream": true,
            "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await?
        .text()
        .await?;
    let waited = asked.elapsed();
    assert!(reply.contains("data: [DONE]"), "{reply}");
    let words: String = reply
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(words, "Tell me about your last project.");
    assert!(waited >= Duration::from_millis(300), "{waited:?}");

    // The recognizer refuses a wrong key and accepts the right one.
    let listen = format!("{stt}/v1/listen?encoding=linear16&sample_rate=16000");
    let mut wrong = listen.as_str().into_client_request()?;
    wrong
        .headers_mut()
        .insert("authorization", "Token wrong-key".parse()?);
    let refused = tokio_tungstenite::connect_async(wrong).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("401")),
        "{:?}",
        refused.map(|_| ())
    );
    let mut right = listen.as_str().into_client_request()?;
    right
        .headers_mut()
        .insert("authorization", "Token right-key".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(right).await?;
    let _ = socket.close(None).await;
    let _ = socket.next().await;

    child.kill().await?;
    Ok(())
}
