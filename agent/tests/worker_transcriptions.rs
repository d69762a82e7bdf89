//! The OpenAI-compatible transcription provider, end to end: an `agent worker` with
//! `--stt transcriptions` against the fake server, a real livekit-server and control-api,
//! and the official Python client answering by voice. Each answer is one request (a WAV of
//! the answer cut at the VAD's speech end), and control-api stores what the server said.

mod worker_common;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use tests::fakes::transcribe::{self, TranscribeScript, form};
use worker_common::fleet::{self, Fleet, agent_of, spoke};
use worker_common::{ANSWER, utterance};

const HEARD: [&str; 3] = [
    "I have worked on distributed systems for five years.",
    "The payments platform, where I led the migration.",
    "We wrote down the trade-offs and chose together.",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_answer_is_one_transcription_request_and_control_api_stores_its_text() -> Result<()> {
    let _turn = fleet::TURN.lock().await;
    let server = transcribe::start(TranscribeScript {
        texts: HEARD.map(str::to_owned).to_vec(),
        api_key: Some("sk-whisper".into()),
        latency: Duration::from_millis(150),
        ..Default::default()
    })
    .await?;
    let fleet = Fleet::start("whisper", false).await?;
    let url = server.base_url();
    let _worker = fleet
        .worker_with_args(
            "whisper-worker",
            1,
            &[
                "--stt",
                "transcriptions",
                "--transcriptions-url",
                &url,
                "--transcriptions-api-key",
                "sk-whisper",
            ],
        )
        .await?;
    // The start-up check: half a second of silence, with the key.
    let checks = server.requests().len();
    ensure!(checks == 1, "{checks} requests before any interview");

    let mut candidate = fleet.interview("whisper").await?;
    let id = candidate.interview.id.clone();
    let (at, agent, _) = agent_of(&mut candidate.client, None).await?;
    let mut from = spoke(&mut candidate.client, &agent, at).await?;
    let said = utterance(fleet.dir.path(), "answer", ANSWER)?;
    for _ in 0..2 {
        candidate.client.play(&said).await?;
        from = spoke(&mut candidate.client, &agent, from).await?;
    }
    candidate.client.play(&said).await?;
    // The last answer ends the scripted interview: the agent closes and leaves.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let stored = loop {
        let state = fleet.control.state(&id).await?;
        let turns: Vec<String> = state["transcript"]
            .as_array()
            .context("transcript")?
            .iter()
            .filter(|t| t["role"] == "candidate")
            .filter_map(|t| t["text"].as_str().map(str::to_owned))
            .collect();
        if turns.len() >= 3 {
            break turns;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "candidate turns never stored: {state}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(stored, HEARD, "control-api stores the server's words");

    let requests = server.requests();
    let answers: Vec<_> = requests[checks..].iter().map(form).collect();
    assert_eq!(answers.len(), 3, "one request per answer");
    let spoken = {
        let (rate, samples) = tests::speech::read_wav(&said)?;
        samples.len() as f64 / f64::from(rate) - 1.0
    };
    for parts in &answers {
        let file = parts.iter().find(|p| p.name == "file").context("file")?;
        let reader = hound::WavReader::new(std::io::Cursor::new(&file.data))?;
        let seconds = f64::from(reader.duration()) / f64::from(reader.spec().sample_rate);
        // The answer, cut at the VAD's speech end: not the agent's question before it.
        assert!(
            seconds > spoken * 0.8 && seconds < spoken + 1.5,
            "a segment of {seconds:.2} s for an answer of {spoken:.2} s"
        );
    }
    eprintln!(
        "transcriptions: {} answer requests, segments {:?} s for {spoken:.2} s answers",
        answers.len(),
        answers
            .iter()
            .filter_map(|p| p.iter().find(|p| p.name == "file"))
            .map(|f| (f.data.len() - 44) as f64 / 32_000.0)
            .map(|s| (s * 100.0).round() / 100.0)
            .collect::<Vec<_>>()
    );
    Ok(())
}
