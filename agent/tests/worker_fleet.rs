//! The worker fleet's must-shows, end to end: a real livekit-server posting webhooks to a real
//! control-api (in-process, SQLite), `agent worker` processes, interviews started through
//! control-api and official Python clients as candidates.

mod worker_common;

use std::time::Duration;

use agent::session::runner::{GOODBYE, RESUMED};
use anyhow::{Result, ensure};
use futures_util::future::try_join_all;
use worker_common::fleet::{self, Candidate, Fleet, agent_of, spoke};
use worker_common::{
    ANSWER, GREETING, SECOND, agent_voice, correlation_in_halves, recording, unix_now, utterance,
};

/// How well the candidate heard the agent say `text`: the lower correlation of its two
/// halves, each at its own best lag, in order. A loaded machine makes the clients' jitter
/// buffers stretch and shrink pauses, so 0.7 is the bar (the drain test checks that a line
/// never said stays below it).
async fn heard(path: &std::path::Path, text: &str) -> Result<f32> {
    let (corr, ordered) = correlation_in_halves(&agent_voice(text).await?, &recording(path)?);
    eprintln!(
        "{}: {text:?} heard with correlation {corr:.3}",
        path.display()
    );
    Ok(if ordered { corr } else { 0.0 })
}

/// The candidate answers; returns when the agent has asked its next question.
async fn answer(fleet: &Fleet, candidate: &mut Candidate, agent: &str, name: &str) -> Result<()> {
    let said = utterance(fleet.dir.path(), name, ANSWER)?;
    let from = candidate.client.events().len();
    candidate.client.play(&said).await?;
    spoke(&mut candidate.client, agent, from).await.map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_eight_interviews_within_their_caps() -> Result<()> {
    let _turn = fleet::TURN.lock().await;
    let fleet = Fleet::start("fleet-share", false).await?;
    let a = fleet.worker("a", 5).await?;
    let b = fleet.worker("b", 5).await?;
    // Two interviews start at a time and stay connected: all eight end up running at once
    // while the machine is not asked to greet eight candidates in the same second.
    let mut candidates = Vec::new();
    let mut per_worker = std::collections::HashMap::<String, usize>::new();
    for pair in 0..4 {
        let fleet = &fleet;
        let mut batch = try_join_all(
            (0..2)
                .map(|i| async move { fleet.interview(&format!("share-{}", pair * 2 + i)).await }),
        )
        .await?;
        for candidate in &mut batch {
            let (agent_at, agent, worker) = agent_of(&mut candidate.client, None).await?;
            *per_worker.entry(worker).or_default() += 1;
            spoke(&mut candidate.client, &agent, agent_at).await?;
        }
        candidates.extend(batch);
    }
    eprintln!("interviews per worker: {per_worker:?}");
    // All eight run at once (nobody has left): a cap of 5 each forces both to serve.
    let (on_a, on_b) = (
        per_worker.get("a").copied().unwrap_or(0),
        per_worker.get("b").copied().unwrap_or(0),
    );
    ensure!(on_a + on_b == 8, "{per_worker:?}");
    ensure!(
        (3..=5).contains(&on_a) && (3..=5).contains(&on_b),
        "{per_worker:?}"
    );
    for w in [&a, &b] {
        let (frames, late) = (
            w.metric("worker_audio_frames_total").await?,
            w.metric("worker_audio_frames_late_total").await?,
        );
        eprintln!("worker {}: {late} of {frames} frames late", w.name);
    }
    ensure!(a.metric("worker_jobs_running").await? == on_a as f64);
    ensure!(b.metric("worker_jobs_running").await? == on_b as f64);
    for mut candidate in candidates {
        let agents: std::collections::BTreeSet<String> = candidate
            .client
            .events()
            .iter()
            .filter_map(|e| {
                e["identity"]
                    .as_str()
                    .filter(|i| i.starts_with("agent-"))
                    .map(str::to_owned)
            })
            .collect();
        candidate.client.leave().await?;
        ensure!(agents.len() == 1, "one agent per interview: {agents:?}");
        let samples = recording(&candidate.recording)?;
        eprintln!(
            "{}: agents {agents:?}, {:.1} s recorded, longest gap {:.2} s",
            candidate.interview.id,
            samples.len() as f32 / 48_000.0,
            tests::signal::longest_gap(&samples, 960, 0.001) as f32 / 48_000.0
        );
        ensure!(
            heard(&candidate.recording, GREETING).await? > 0.7,
            "{} was not greeted",
            candidate.interview.id
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_new_interviews_go_elsewhere_and_the_running_one_ends_normally() -> Result<()>
{
    let _turn = fleet::TURN.lock().await;
    let fleet = Fleet::start("fleet-drain", false).await?;
    let mut a = fleet.worker("a", 4).await?;
    let mut first = fleet.interview("drain-1").await?;
    let (agent_at, agent, worker) = agent_of(&mut first.client, None).await?;
    ensure!(worker == "a", "the only worker took it");
    let b = fleet.worker("b", 4).await?;
    spoke(&mut first.client, &agent, agent_at).await?;

    a.signal("TERM")?;
    let terminated = unix_now();
    a.wait_until(Duration::from_secs(10), "draining", async |w| {
        matches!(w.get("/ready").await, Ok((503, _)))
    })
    .await?;
    ensure!(a.metric("worker_draining").await? == 1.0);
    let mut later = try_join_all([fleet.interview("drain-2"), fleet.interview("drain-3")]).await?;
    for candidate in &mut later {
        let (other_at, other, worker) = agent_of(&mut candidate.client, None).await?;
        ensure!(worker == "b", "a new interview went to the draining worker");
        spoke(&mut candidate.client, &other, other_at).await?;
    }

    // The running interview goes on: the candidate answers and the draining worker's agent
    // asks its next question; then the interview is completed and the candidate leaves.
    answer(&fleet, &mut first, &agent, "drain-answer").await?;
    ensure!(!a.exited(), "the worker must wait for its interview");
    fleet.control.complete(&first.interview.id).await?;
    first.client.leave().await?;
    let left = unix_now();
    let status = a.wait_exit(Duration::from_secs(30)).await?;
    let exited = unix_now();
    ensure!(status.success(), "drained worker exited with {status}");
    eprintln!(
        "drain: SIGTERM at 0 s, candidate left at {:.1} s, worker exited at {:.1} s",
        left - terminated,
        exited - terminated
    );
    let lines = fleet.control.interviewer_lines(&first.interview.id).await?;
    ensure!(lines == [GREETING, SECOND], "{lines:?}");
    ensure!(!lines.iter().any(|l| l == GOODBYE));
    ensure!(heard(&first.recording, SECOND).await? > 0.7);
    ensure!(
        heard(&first.recording, GOODBYE).await? < 0.7,
        "no goodbye was said"
    );
    ensure!(b.metric("worker_jobs_started_total").await? >= 2.0);
    for candidate in later {
        candidate.client.leave().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_is_replaced_and_the_candidate_hears_the_agent_again() -> Result<()> {
    let _turn = fleet::TURN.lock().await;
    let fleet = Fleet::start("fleet-kill", false).await?;
    let a = fleet.worker("a", 4).await?;
    let mut candidate = fleet.interview("kill-1").await?;
    let (agent_at, agent, worker) = agent_of(&mut candidate.client, None).await?;
    ensure!(worker == "a");
    let b = fleet.worker("b", 4).await?;
    spoke(&mut candidate.client, &agent, agent_at).await?;
    answer(&fleet, &mut candidate, &agent, "kill-answer").await?;
    let id = candidate.interview.id.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while fleet.control.interviewer_lines(&id).await?.len() < 2 {
        ensure!(tokio::time::Instant::now() < deadline, "turns not stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    a.signal("KILL")?;
    let killed = unix_now();
    let (successor_at, successor, worker) = agent_of(&mut candidate.client, Some(&agent)).await?;
    ensure!(worker == "b", "the surviving worker takes over");
    spoke(&mut candidate.client, &successor, successor_at).await?;
    // The question the candidate had not answered yet is asked again after the apology. The
    // successor posts its lines in the background: wait for them.
    let expected = [GREETING, SECOND, &format!("{RESUMED} {SECOND}")];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let lines = fleet.control.interviewer_lines(&id).await?;
        if lines == expected {
            break;
        }
        ensure!(
            tokio::time::Instant::now() < deadline && lines.len() < expected.len(),
            "transcript: {lines:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let state = fleet.control.state(&id).await?;
    ensure!(state["dispatch_count"] == 2, "{state}");
    fleet.control.complete(&id).await?;
    candidate.client.leave().await?;

    let back =
        worker_common::first_sound_after(&candidate.recording, killed, 0.02)?.map(|t| t - killed);
    eprintln!("kill -9: the candidate heard the agent again {back:?} s after the crash");
    let back = back.ok_or_else(|| anyhow::anyhow!("nothing heard after the crash"))?;
    ensure!(back < 10.0, "the agent was back only after {back:.1} s");
    ensure!(heard(&candidate.recording, RESUMED).await? > 0.7);
    ensure!(b.metric("worker_jobs_started_total").await? >= 1.0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_worker_socket_reregisters_without_touching_the_running_interview() -> Result<()> {
    let _turn = fleet::TURN.lock().await;
    let fleet = Fleet::start("fleet-cut", true).await?;
    let proxy = fleet
        .proxy
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("proxy"))?;
    let mut a = fleet.worker("a", 4).await?;
    let mut first = fleet.interview("cut-1").await?;
    let (agent_at, agent, _) = agent_of(&mut first.client, None).await?;
    spoke(&mut first.client, &agent, agent_at).await?;
    ensure!(a.metric("worker_registrations_total").await? == 1.0);

    ensure!(proxy.cut() == 1, "one worker socket to cut");
    a.wait_until(Duration::from_secs(20), "registered again", async |w| {
        w.metric("worker_registrations_total").await.ok() == Some(2.0) && w.ready().await
    })
    .await?;
    // At least the first socket and the new one (a failed attempt may add another).
    ensure!(proxy.agent_connections() >= 2);
    ensure!(a.metric("worker_jobs_running").await? == 1.0);

    // The running interview was not interrupted; a later interview still arrives.
    answer(&fleet, &mut first, &agent, "cut-answer").await?;
    let mut second = fleet.interview("cut-2").await?;
    let (other_at, other, worker) = agent_of(&mut second.client, None).await?;
    ensure!(worker == "a");
    spoke(&mut second.client, &other, other_at).await?;
    ensure!(a.metric("worker_jobs_running").await? == 2.0);
    let gone = first
        .client
        .events()
        .iter()
        .any(|e| e["event"] == "participant_disconnected" && e["identity"] == agent.as_str());
    ensure!(!gone, "the agent left the running interview");
    first.client.leave().await?;
    second.client.leave().await?;
    ensure!(heard(&first.recording, GREETING).await? > 0.7);
    ensure!(heard(&first.recording, SECOND).await? > 0.7);
    ensure!(heard(&second.recording, GREETING).await? > 0.7);
    Ok(())
}
