//! How many `/ws/analysis` sockets one control-api holds in real time: the service runs in
//! this process on loopback; N clients each stream the same 60 s of espeak speech (48 kHz
//! Float32, 4096-sample frames) as fast as the service takes it, and the run waits until every
//! client has its metrics messages (59: the resampler's delay holds the last second back until
//! more audio comes). The aggregate speed (seconds of audio analysed per
//! second of wall time) is how many real-time streams the machine sustains.
//!
//! ```sh
//! cargo run --release -p control-api --example bench_analysis
//! ```

use std::time::{Duration, Instant};

use control_api::{AppState, Config};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const SECONDS: usize = 60;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let wav = dir.path().join("answer.wav");
    tests::speech::speak(
        "I would start by measuring where the time goes and then change one thing at a time",
        &tests::speech::Voice::default(),
        &wav,
    )?;
    let (rate, speech) = tests::speech::read_wav(&wav)?;
    let mut audio = Vec::new();
    while audio.len() < SECONDS * rate as usize {
        audio.extend_from_slice(&speech);
    }
    audio.truncate(SECONDS * rate as usize);
    let frames: Vec<Vec<u8>> = audio
        .chunks(4096)
        .map(|c| c.iter().flat_map(|s| s.to_le_bytes()).collect())
        .collect();

    println!(
        "{:>8} {:>10} {:>16} {:>14}",
        "sockets", "wall s", "x real time", "per socket"
    );
    for sockets in [1usize, 4, 16, 64] {
        let mut config = Config::for_database(&format!(
            "sqlite://{}/b{sockets}.db?mode=rwc",
            dir.path().display()
        ));
        config.rate_limit_anonymous_per_minute = 0;
        config.registrations_per_minute = 0;
        let state = AppState::connect(config).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(control_api::run(
            listener,
            state.clone(),
            std::future::pending(),
        ));
        let mut urls = Vec::new();
        for i in 0..sockets {
            let token = register(&state, &format!("bench{i}@example.com")).await?;
            let id = interview(&state, &token).await?;
            urls.push(format!(
                "ws://{addr}/ws/analysis/{id}?token={token}&sample_rate={rate}"
            ));
        }
        let started = Instant::now();
        let clients: Vec<_> = urls
            .into_iter()
            .map(|url| {
                let frames = frames.clone();
                tokio::spawn(async move {
                    let (socket, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
                    let (mut tx, mut rx) = socket.split();
                    let sender = tokio::spawn(async move {
                        for frame in frames {
                            tx.send(Message::Binary(frame.into())).await?;
                        }
                        anyhow::Ok(tx)
                    });
                    let mut metrics = 0;
                    while metrics < SECONDS - 1 {
                        match tokio::time::timeout(Duration::from_secs(120), rx.next()).await? {
                            Some(Ok(Message::Text(t))) if t.contains("\"metrics\"") => metrics += 1,
                            Some(Ok(_)) => {}
                            _ => anyhow::bail!("socket ended early"),
                        }
                    }
                    let _tx = sender.await??;
                    anyhow::Ok(())
                })
            })
            .collect();
        for client in clients {
            client.await??;
        }
        let wall = started.elapsed().as_secs_f64();
        let speed = (sockets * SECONDS) as f64 / wall;
        println!(
            "{sockets:>8} {wall:>10.2} {speed:>16.1} {:>14.1}",
            speed / sockets as f64
        );
    }
    println!("(aggregate x real time = how many real-time analysis sockets this machine holds)");
    Ok(())
}

async fn register(state: &AppState, email: &str) -> anyhow::Result<String> {
    use tower::ServiceExt;
    let app = control_api::app(state.clone());
    let body = serde_json::json!({"email": email, "password": "bench-password-x"}).to_string();
    for uri in ["/api/v1/auth/register", "/api/v1/auth/login"] {
        let request = axum::http::Request::post(uri)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.replace(
                "email",
                if uri.ends_with("login") {
                    "username"
                } else {
                    "email"
                },
            )))?;
        let response = app.clone().oneshot(request).await?;
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await?
            .to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&bytes)?;
        if let Some(token) = json["access_token"].as_str() {
            return Ok(token.to_owned());
        }
    }
    anyhow::bail!("no token")
}

async fn interview(state: &AppState, token: &str) -> anyhow::Result<String> {
    use tower::ServiceExt;
    let request = axum::http::Request::post("/api/v1/interviews")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::from(r#"{"title":"bench"}"#))?;
    let response = control_api::app(state.clone()).oneshot(request).await?;
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await?
        .to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&bytes)?;
    Ok(json["id"].as_str().unwrap_or_default().to_owned())
}
