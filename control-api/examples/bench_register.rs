//! Peak memory of a burst of concurrent registrations: the service runs in this process on a
//! loopback port over a temp SQLite file, 100 clients register at once over real TCP, and the
//! process's resident memory (`VmRSS`) is sampled every 20 ms from before the burst until 60 s
//! after it. Run once with the default hashing bound and once with the bound lifted (100 hashes
//! at once, as before the bound existed):
//!
//! ```sh
//! cargo run --release -p control-api --example bench_register
//! ```

use std::time::{Duration, Instant};

use control_api::{AppState, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CLIENTS: usize = 100;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn register(addr: std::net::SocketAddr, i: usize, run: String) -> u16 {
    let run: String = run.chars().filter(char::is_ascii_alphanumeric).collect();
    let body =
        format!(r#"{{"email":"bench-{run}-{i}@example.com","password":"bench-password-{i}"}}"#);
    let request = format!(
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return 0;
    };
    if stream.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    String::from_utf8_lossy(&reply)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn burst(label: &str, concurrency: usize, queue: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config =
        Config::for_database(&format!("sqlite://{}/b.db?mode=rwc", dir.path().display()));
    config.registrations_per_minute = 0;
    config.rate_limit_anonymous_per_minute = 0;
    config.password_hash_concurrency = concurrency;
    config.password_hash_queue = queue;
    let state = AppState::connect(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(control_api::run(listener, state, async {
        let _ = stopped.await;
    }));
    // Warm up: one registration, so that idle includes the code paths but no burst.
    register(addr, usize::MAX, label.to_owned()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_kib();

    let sampler = tokio::spawn(async {
        let mut peak = 0;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            peak = peak.max(rss_kib());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        peak
    });
    let started = Instant::now();
    let statuses = futures_all((0..CLIENTS).map(|i| register(addr, i, label.to_owned()))).await;
    let burst_secs = started.elapsed().as_secs_f64();
    let mut after = Vec::new();
    for wait in [1u64, 10, 30, 60] {
        let target = started + Duration::from_secs(wait) + Duration::from_secs_f64(burst_secs);
        tokio::time::sleep_until(target.into()).await;
        after.push((wait, rss_kib()));
    }
    let peak = sampler
        .await?
        .max(after.iter().map(|a| a.1).max().unwrap_or(0));
    let count = |code: u16| statuses.iter().filter(|&&s| s == code).count();
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "{label:<34} {CLIENTS} concurrent registrations in {burst_secs:.1} s: 200 x{}, 503 x{}, other x{}",
        count(200),
        count(503),
        CLIENTS - count(200) - count(503)
    );
    println!(
        "{:<34} idle {:.0} MiB, peak {:.0} MiB (+{:.0} MiB), after {}",
        "",
        mib(idle),
        mib(peak),
        mib(peak.saturating_sub(idle)),
        after
            .iter()
            .map(|(s, kib)| format!("{s} s: +{:.0} MiB", mib(kib.saturating_sub(idle))))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = stop.send(());
    server.await??;
    Ok(())
}

async fn futures_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        if let Ok(v) = handle.await {
            out.push(v);
        }
    }
    out
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let defaults = Config::for_database("sqlite::memory:");
        burst(
            &format!(
                "bounded ({} at once, {} queued)",
                defaults.password_hash_concurrency, defaults.password_hash_queue
            ),
            defaults.password_hash_concurrency,
            defaults.password_hash_queue,
        )
        .await?;
        burst("unbounded (100 at once)", 100, 0).await
    })
}
