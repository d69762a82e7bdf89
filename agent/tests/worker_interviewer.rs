//! The interviewer end to end: `agent worker` processes in real rooms of a real
//! livekit-server, candidates on the official Python client answering with espeak-ng,
//! control-api in-process over SQLite with a role (three skills) and an uploaded PDF resume.
//!
//! Three deployments run at once:
//! - English, scripted wording, three minutes: the interview goes from the disclosure to the
//!   close with no operator call; the phase control-api shows changes while it runs; the
//!   transcript control-api stores equals the one published in the room; it ends completed
//!   and is not dispatched again; a report is produced. A second candidate of the same role
//!   leaves after the first question: `left_early`, not dispatched again.
//! - Spanish, one minute: the agent speaks Spanish with espeak-ng's Spanish voice and the
//!   speech recognizer is asked for `language=es`.
//! - An LLM (the OpenAI-compatible fake) words the questions, one minute: its requests carry
//!   the role, the skills and the resume's claims; the disclosure and the close are said as
//!   written; the interview ends on the conductor's decision although the LLM never says
//!   goodbye.
//! - The speech recognizer goes down for good four seconds in: the candidate hears plainly
//!   why the interview ends, control-api records the provider failure and the interview
//!   ends `failed` with the reason, and it is not dispatched again.

#[path = "../../control-api/tests/resumes_pdfs/mod.rs"]
mod resumes_pdfs;
mod worker_common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use tests::fakes::deepgram::{DeepgramScript, FakeDeepgram};
use tests::fakes::openai_chat::{self, ChatScript};
use tests::speech::{self, Voice};
use worker_common::WorkerProcess;
use worker_common::fleet::{Candidate, Fleet, TURN, agent_of, agent_state, find};

/// What the English candidate says (and the fake recognizer hears) every time: a yes to
/// the disclosure and a specific answer (a figure, a reason) to every question.
const ANSWER_EN: &str = "Yes. I designed the payment service and measured every request, then I \
    improved the slowest database queries and cut the latency by 40 percent because customers waited.";
/// The same in Spanish.
const ANSWER_ES: &str = "Sí. Diseñé el servicio de pagos y medí cada petición, después mejoré las \
    consultas más lentas y reduje la latencia un 40 por ciento porque los clientes esperaban.";
/// What the fake LLM says every time it is asked: never a goodbye.
const LLM_LINE: &str = "Could you walk me through how you approached that, step by step?";
const SKILLS: [&str; 3] = ["Rust", "PostgreSQL", "Kubernetes"];
/// The two claims of the test resume the background phase probes (figures first).
const CLAIMS: [&str; 2] = [
    "Improved API latency by 40%",
    "Led migration to microservices architecture",
];

/// The candidates' speaking rate (espeak-ng's words per minute).
const ANSWER_WPM: u32 = 190;
/// How long any one step of a conversation may take.
const STEP: Duration = Duration::from_secs(90);

/// A fake speech recognizer that hears `answer` in every burst.
async fn hearing(answer: &str) -> Result<FakeDeepgram> {
    FakeDeepgram::start(DeepgramScript {
        utterances: vec![answer.to_owned(); 256],
        endpointing: 0.5,
        // The agent asks for a final at every pause of 100 ms ("Yes." then the rest): the
        // recognizer settles the words said so far, at espeak's pace at `ANSWER_WPM`.
        finalize_words: Some(0.28),
        ..Default::default()
    })
    .await
}

/// `text` spoken by espeak-ng's `voice`, with a second of silence after it.
fn spoken(dir: &Path, name: &str, voice: &str, text: &str) -> Result<PathBuf> {
    let raw = dir.join(format!("{name}.raw.wav"));
    let voice = Voice {
        voice: voice.to_owned(),
        words_per_minute: ANSWER_WPM,
        pitch: 40,
        ..Voice::default()
    };
    speech::speak(text, &voice, &raw)?;
    let (rate, mut samples) = speech::read_wav(&raw)?;
    samples.extend(speech::silence(1.0));
    let out = dir.join(format!("{name}.wav"));
    speech::write_wav(&out, rate, &samples)?;
    Ok(out)
}

/// A role with [`SKILLS`] and the test resume; returns their ids.
async fn role_and_resume(fleet: &Fleet) -> Result<(String, String)> {
    let skills: Vec<Value> = SKILLS
        .iter()
        .map(|s| json!({"name": s, "level": "Expert"}))
        .collect();
    let role = fleet
        .control
        .owner_post(
            "/api/v1/roles",
            &json!({
                "name": "Backend Engineer", "category": "Engineering", "specialization": "Backend",
                "experience_level": "Senior", "required_skills": skills,
                "interview_structure": {"technical": 3, "behavioral": 1, "coding": 0},
                "rubric": [{"name": "Technical depth", "weight": 2}, {"name": "Communication", "weight": 1}]
            }),
        )
        .await?;
    let resume = fleet
        .control
        .upload_resume(&resumes_pdfs::resume_pdf())
        .await?;
    Ok((
        role["id"].as_str().context("role id")?.to_owned(),
        resume["id"].as_str().context("resume id")?.to_owned(),
    ))
}

/// A deployment for agent `name`: control-api, livekit-server, a worker taking `jobs`
/// interviews (worded by the LLM at `llm`, or scripted), the role and the resume.
async fn deploy(
    name: &str,
    stt: FakeDeepgram,
    jobs: usize,
    llm: Option<&str>,
) -> Result<(Fleet, WorkerProcess, (String, String))> {
    let fleet = Fleet::start_with_stt(name, false, stt).await?;
    let worker_name = format!("{name}-worker");
    let worker = match llm {
        Some(url) => fleet.worker_with_llm(&worker_name, jobs, url).await?,
        None => fleet.worker(&worker_name, jobs).await?,
    };
    let ids = role_and_resume(&fleet).await?;
    Ok((fleet, worker, ids))
}

/// Starts an interview of `minutes` in `language` for the role and resume.
async fn interview(
    fleet: &Fleet,
    title: &str,
    ids: &(String, String),
    minutes: u32,
    language: &str,
) -> Result<Candidate> {
    fleet
        .interview_with(
            title,
            json!({
                "title": title, "role_id": ids.0, "resume_id": ids.1,
                "candidate_name": "Jane Doe", "duration_minutes": minutes, "language": language
            }),
        )
        .await
}

/// What a candidate saw of an interview they answered.
struct Conversation {
    /// The phases control-api showed, in order, each time the agent finished a line.
    phases: Vec<String>,
    answers: usize,
    /// Every event of the candidate's client.
    events: Vec<Value>,
    agent: String,
}

/// Answers every line of the agent once it has finished it (`consent` first, then
/// `answer`), until the room closes; leaves after `leave_after` answers if given.
async fn converse(
    fleet: &Fleet,
    mut candidate: Candidate,
    consent: &Path,
    answer: &Path,
    leave_after: Option<usize>,
) -> Result<Conversation> {
    let id = candidate.interview.id.clone();
    let client = &mut candidate.client;
    let (_, agent, _) = agent_of(client, None).await?;
    let closed = |e: &Value| e["event"] == "disconnected";
    let mut phases: Vec<String> = Vec::new();
    let mut answers = 0;
    let mut from = 0;
    loop {
        let (at, e) = find(client, from, STEP, "the agent speaking", |e| {
            agent_state(e, &agent, "speaking") || closed(e)
        })
        .await?;
        if closed(&e) {
            break;
        }
        let (at, e) = find(client, at, STEP, "the agent listening", |e| {
            agent_state(e, &agent, "listening") || closed(e)
        })
        .await?;
        if closed(&e) {
            break;
        }
        let state = fleet
            .control
            .owner_get(&format!("/api/v1/interviews/{id}/state"))
            .await?;
        if let Some(phase) = state["phase"].as_str()
            && phases.last().map(String::as_str) != Some(phase)
        {
            phases.push(phase.to_owned());
        }
        if leave_after == Some(answers) {
            break;
        }
        client
            .play(if answers == 0 { consent } else { answer })
            .await?;
        answers += 1;
        let (done, _) = find(client, at, STEP, "the answer played", |e| {
            e["event"] == "play_done"
        })
        .await?;
        // The interview may end (the conductor's hard stop) while the answer still plays:
        // the room's close then comes before `play_done`.
        if client.events()[at..done].iter().any(closed) {
            break;
        }
        from = done + 1;
    }
    let events = candidate.client.leave().await?;
    Ok(Conversation {
        phases,
        answers,
        events,
        agent,
    })
}

/// The final transcription of each segment published in the room, in order, as
/// (role, words).
fn room_transcript(events: &[Value]) -> Vec<(String, Vec<String>)> {
    let mut order: Vec<String> = Vec::new();
    let mut text: HashMap<String, String> = HashMap::new();
    for e in events.iter().filter(|e| {
        e["event"] == "text_received"
            && e["topic"] == "lk.transcription"
            && e["attributes"]["lk.transcription_final"] == "true"
    }) {
        let segment = e["attributes"]["lk.segment_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !text.contains_key(&segment) {
            order.push(segment.clone());
        }
        text.insert(segment, e["text"].as_str().unwrap_or_default().to_owned());
    }
    order
        .into_iter()
        .map(|segment| {
            let role = if segment.starts_with("SG_agent") {
                "interviewer"
            } else {
                "candidate"
            };
            (role.to_owned(), words(&text[&segment]))
        })
        .collect()
}

/// control-api's transcript as (role, words).
fn stored_transcript(state: &Value) -> Vec<(String, Vec<String>)> {
    state["transcript"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["role"].as_str().unwrap_or_default().to_owned(),
                words(t["text"].as_str().unwrap_or_default()),
            )
        })
        .collect()
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The interview's agent-side state once control-api has handled the agent's departure
/// (bounded): its event says whether another agent was dispatched.
async fn after_agent_left(fleet: &Fleet, id: &str) -> Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let state = fleet.control.state(id).await?;
        let events = state["events"].as_array().cloned().unwrap_or_default();
        if events
            .iter()
            .any(|e| e["type"] == "participant_left" && e["agent"] == true)
        {
            return Ok(state);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "the agent of {id} never left: {state}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Ended as `status`, dispatched once, never re-dispatched.
fn ended_once(state: &Value, status: &str) {
    assert_eq!(state["status"], status, "{state}");
    assert_eq!(state["dispatch_count"], 1, "{state}");
    let events = state["events"].as_array().cloned().unwrap_or_default();
    assert!(
        !events.iter().any(|e| e["type"] == "agent_redispatched")
            && events
                .iter()
                .filter(|e| e["type"] == "participant_left" && e["agent"] == true)
                .all(|e| e["redispatched"] == false),
        "re-dispatched: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "ended_by_agent" && e["outcome"] == status),
        "{events:?}"
    );
}

fn agent_lines(transcript: &[(String, Vec<String>)]) -> Vec<String> {
    transcript
        .iter()
        .filter(|(role, _)| role == "interviewer")
        .map(|(_, w)| w.join(" "))
        .collect()
}

/// The English deployment: a three-minute interview answered throughout, and one the
/// candidate leaves after the first question.
async fn english() -> Result<()> {
    let (fleet, _worker, ids) =
        deploy("interviewer-en", hearing(ANSWER_EN).await?, 2, None).await?;
    let answer = spoken(fleet.dir.path(), "answer-en", "en-us", ANSWER_EN)?;

    let full = interview(&fleet, "three-minutes", &ids, 3, "en").await?;
    let leaver = interview(&fleet, "leaves-early", &ids, 3, "en").await?;
    let (full_id, leaver_id) = (full.interview.id.clone(), leaver.interview.id.clone());
    let started = tokio::time::Instant::now();
    let (full, left) = tokio::try_join!(
        converse(&fleet, full, &answer, &answer, None),
        converse(&fleet, leaver, &answer, &answer, Some(2)),
    )?;
    let took = started.elapsed().as_secs_f64();

    // Three minutes, by itself: from the disclosure to the close, phases in order.
    let state = after_agent_left(&fleet, &full_id).await?;
    ended_once(&state, "completed");
    let room = room_transcript(&full.events);
    let lines = agent_lines(&room);
    eprintln!(
        "three-minute interview: {took:.0} s, {} answers, {} agent lines, phases {:?}",
        full.answers,
        lines.len(),
        full.phases
    );
    assert!((150.0..=260.0).contains(&took), "took {took:.0} s");
    assert!(
        lines[0].contains("i am an ai interviewer for the backend engineer role"),
        "{lines:?}"
    );
    assert!(
        lines.last().is_some_and(|l| l.ends_with("goodbye")),
        "{lines:?}"
    );
    for phase in ["opening", "background", "technical", "behavioral"] {
        assert!(
            full.phases.iter().any(|p| p == phase),
            "{phase} not seen: {:?}",
            full.phases
        );
    }
    assert_eq!(state["phase"], "wrap_up");
    // The candidate's client was told every phase change and the time left, in order.
    let told: Vec<(String, f64)> = full
        .events
        .iter()
        .filter(|e| e["event"] == "data_received" && e["topic"] == contract::topics::PHASE)
        .filter_map(|e| {
            let m: contract::live::PhaseMessage = serde_json::from_str(e["text"].as_str()?).ok()?;
            Some((m.phase, m.remaining_s))
        })
        .collect();
    eprintln!("phases told to the room: {told:?}");
    let told_phases: Vec<&str> = told.iter().map(|(p, _)| p.as_str()).collect();
    for phase in ["background", "technical", "behavioral"] {
        assert!(told_phases.contains(&phase), "{phase} not told: {told:?}");
    }
    assert_eq!(told_phases.last(), Some(&"wrap_up"), "{told:?}");
    assert!(
        told.windows(2).all(|w| w[1].1 <= w[0].1) && told.iter().all(|(_, r)| *r <= 180.0),
        "time left must fall: {told:?}"
    );
    // Every skill and a resume claim were asked about; no question twice.
    let asked: Vec<&Value> = state["events"]
        .as_array()
        .context("events")?
        .iter()
        .filter(|e| e["type"] == "question")
        .collect();
    for skill in SKILLS {
        assert!(
            asked.iter().any(|e| e["data"]["skill"] == skill),
            "{skill} never asked: {asked:?}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&words(CLAIMS[0]).join(" "))),
        "{lines:?}"
    );
    let mut questions: Vec<&str> = asked
        .iter()
        .filter_map(|e| e["data"]["question"].as_str())
        .collect();
    let n = questions.len();
    questions.sort_unstable();
    questions.dedup();
    assert_eq!(questions.len(), n, "a question was repeated");
    assert!(
        state["events"]
            .as_array()
            .context("events")?
            .iter()
            .any(|e| e["type"] == "consent" && e["data"]["consent"] == true)
    );
    // control-api holds what the room heard, turn by turn.
    let stored = stored_transcript(&state);
    assert_eq!(
        stored, room,
        "control-api's transcript differs from the room's"
    );
    // The report follows by itself: evidence quoted verbatim from the stored transcript,
    // delivery kept apart in the coaching section.
    let waited = tokio::time::Instant::now();
    let report = ready_report(&fleet, &full_id).await?;
    let evaluation = &report["evaluation"];
    let candidate_turns: Vec<&str> = state["transcript"]
        .as_array()
        .context("transcript")?
        .iter()
        .filter(|t| t["role"] == "candidate")
        .filter_map(|t| t["text"].as_str())
        .collect();
    let dimensions = evaluation["report"]["dimensions"]
        .as_array()
        .context("dimensions")?;
    let mut quotes = 0;
    for d in dimensions {
        for e in d["evidence"].as_array().into_iter().flatten() {
            let quote = e["quote"].as_str().context("quote")?;
            assert!(
                candidate_turns.iter().any(|t| t.contains(quote)),
                "{quote} is not in the transcript"
            );
            quotes += 1;
        }
    }
    let rate = report["coaching"]["audio_features"]["speech_rate"]
        .as_f64()
        .context("coaching speech rate")?;
    eprintln!(
        "report {} by the {} scorer {:.1} s after the agent left: {} dimensions, {quotes} quotes, all verbatim; coaching speech rate {rate:.1} wpm (espeak asked for {ANSWER_WPM})",
        evaluation["status"],
        evaluation["scorer"],
        waited.elapsed().as_secs_f64(),
        dimensions.len(),
    );
    assert_eq!(evaluation["scorer"], "heuristic");
    assert!(quotes > 0, "{evaluation}");
    assert!(
        (rate - f64::from(ANSWER_WPM)).abs() <= 0.2 * f64::from(ANSWER_WPM),
        "speech rate {rate} vs {ANSWER_WPM}"
    );

    // The candidate who left after the first question.
    let state = after_agent_left(&fleet, &leaver_id).await?;
    ended_once(&state, "left_early");
    assert_eq!(left.answers, 2);
    let _ = full.agent;
    Ok(())
}

/// The report once it is ready (bounded).
async fn ready_report(fleet: &Fleet, id: &str) -> Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let report = fleet
            .control
            .owner_get(&format!("/api/v1/interviews/{id}/report"))
            .await?;
        let status = &report["evaluation"]["status"];
        if status == "ready" {
            return Ok(report);
        }
        ensure!(
            status != "failed" && tokio::time::Instant::now() < deadline,
            "no report for {id}: {report}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The Spanish deployment: one minute, offline.
async fn spanish() -> Result<()> {
    let (fleet, _worker, ids) =
        deploy("interviewer-es", hearing(ANSWER_ES).await?, 1, None).await?;
    let answer = spoken(fleet.dir.path(), "answer-es", "es", ANSWER_ES)?;
    let candidate = interview(&fleet, "spanish", &ids, 1, "es").await?;
    let (id, recording) = (candidate.interview.id.clone(), candidate.recording.clone());
    let talk = converse(&fleet, candidate, &answer, &answer, None).await?;
    let state = after_agent_left(&fleet, &id).await?;
    ended_once(&state, "completed");

    let room = room_transcript(&talk.events);
    let lines = agent_lines(&room);
    assert!(
        lines[0].contains("soy un entrevistador de inteligencia artificial"),
        "{lines:?}"
    );
    assert!(
        lines.last().is_some_and(|l| l.ends_with("adiós")),
        "{lines:?}"
    );
    let targets = fleet.stt.recorded().targets;
    // The worker's start-up check comes first and carries no interview's language.
    assert!(
        targets.len() >= 2 && targets[1..].iter().all(|t| t.contains("language=es")),
        "{targets:?}"
    );
    // The voice is espeak-ng's Spanish one: the disclosure as heard matches its Spanish
    // rendering better than the English voice reading the same words.
    let first = state["transcript"][0]["text"]
        .as_str()
        .context("first line")?;
    let heard = worker_common::recording(&recording)?;
    let voice = |code: &str| {
        use providers::tts::Tts;
        providers::tts::Espeak::default()
            .for_language(code)
            .context("an espeak voice")
    };
    let mut scores = Vec::new();
    for code in ["es", "en"] {
        let samples = agent::session::synthesize_all(voice(code)?.as_ref(), first).await?;
        let samples: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
        scores.push(worker_common::correlation(&samples, &heard).0);
    }
    eprintln!(
        "Spanish interview: {} agent lines; disclosure vs espeak es {:.2}, vs en-us {:.2}; STT {:?}",
        lines.len(),
        scores[0],
        scores[1],
        targets.get(1)
    );
    // (0.49 to 0.93 for the Spanish voice and under 0.2 for the English one in our runs:
    // the other deployments load the machine and the client's jitter buffer stretches the
    // audio, which lowers the whole-line correlation but not the gap between the voices.)
    assert!(
        scores[0] > 0.4 && scores[0] > scores[1] + 0.25,
        "{scores:?}"
    );
    Ok(())
}

/// The LLM deployment: the fake words every question, the conductor ends it.
async fn llm() -> Result<()> {
    let chat = openai_chat::start(ChatScript {
        replies: vec![LLM_LINE.to_owned()],
        ..Default::default()
    })
    .await?;
    let (fleet, worker, ids) = deploy(
        "interviewer-llm",
        hearing(ANSWER_EN).await?,
        1,
        Some(&chat.base_url()),
    )
    .await?;
    let answer = spoken(fleet.dir.path(), "answer-llm", "en-us", ANSWER_EN)?;
    let candidate = interview(&fleet, "llm", &ids, 1, "en").await?;
    let id = candidate.interview.id.clone();
    let talk = converse(&fleet, candidate, &answer, &answer, None).await?;
    let state = after_agent_left(&fleet, &id).await?;
    ended_once(&state, "completed");

    let requests: Vec<Value> = chat
        .requests()
        .iter()
        .filter(|r| r.target == "/v1/chat/completions")
        .map(|r| r.json())
        .collect();
    // The worker checked the model (with its key) before it registered.
    assert!(
        chat.requests().iter().any(
            |r| r.target == "/v1/models" && r.header("authorization") == Some("Bearer sk-test")
        ),
        "no model check"
    );
    ensure!(!requests.is_empty(), "the LLM was never asked");
    for request in &requests {
        let system = request["messages"][0]["content"]
            .as_str()
            .unwrap_or_default();
        assert!(system.contains("Backend Engineer"), "{system}");
        for needle in SKILLS.iter().chain(CLAIMS.iter()) {
            assert!(system.contains(needle), "{needle} not in {system}");
        }
    }
    let instructions: Vec<String> = requests
        .iter()
        .filter_map(|r| {
            r["messages"]
                .as_array()?
                .last()?
                .get("content")?
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(
        instructions
            .iter()
            .any(|i| i.contains("background question") && i.contains(CLAIMS[0])),
        "{instructions:?}"
    );
    let room = room_transcript(&talk.events);
    let lines = agent_lines(&room);
    eprintln!(
        "LLM interview: {} requests, {} agent lines; instructions {:?}",
        requests.len(),
        lines.len(),
        instructions
    );
    // The disclosure and the close as written; everything between in the LLM's words.
    assert!(
        lines[0].contains("i am an ai interviewer for the backend engineer role"),
        "{lines:?}"
    );
    assert!(
        lines.last().is_some_and(|l| l.ends_with("goodbye")),
        "{lines:?}"
    );
    let worded = words(LLM_LINE).join(" ");
    assert!(
        lines[1..lines.len() - 1]
            .iter()
            .all(|l| l.contains(&worded)),
        "{lines:?}"
    );
    // Every request worded a line, or was a speculative reply the agent discarded because
    // the candidate went on (after "Yes." and a pause): the worker counts those.
    let wasted = worker.metric("voice_speculative_wasted_total").await?;
    eprintln!("discarded speculative generations: {wasted}");
    assert_eq!(
        requests.len(),
        lines.len() - 2 + wasted as usize,
        "one request per worded line or discarded speculation"
    );
    Ok(())
}

/// The deployment whose speech recognizer goes down: the interview's connection is dropped
/// after four seconds of audio, and every reconnect refused.
async fn stt_down() -> Result<()> {
    let stt = FakeDeepgram::start(DeepgramScript {
        utterances: vec![ANSWER_EN.to_owned(); 8],
        endpointing: 0.5,
        drop_after_audio: Some(4.0),
        // The worker's start-up check and the interview's socket.
        accept_connections: Some(2),
        ..Default::default()
    })
    .await?;
    let (fleet, _worker, ids) = deploy("interviewer-down", stt, 1, None).await?;
    let mut candidate = interview(&fleet, "stt-down", &ids, 3, "en").await?;
    let id = candidate.interview.id.clone();
    agent_of(&mut candidate.client, None).await?;
    find(&mut candidate.client, 0, STEP, "the room closing", |e| {
        e["event"] == "disconnected"
    })
    .await?;
    let events = candidate.client.leave().await?;
    let state = after_agent_left(&fleet, &id).await?;
    ended_once(&state, "failed");
    let lines = agent_lines(&room_transcript(&events));
    assert_eq!(
        lines.last(),
        Some(&words(agent::session::PROVIDER_DOWN).join(" ")),
        "the candidate was told: {lines:?}"
    );
    let stored = stored_transcript(&state);
    assert_eq!(
        stored.last().map(|(_, w)| w.join(" ")),
        Some(words(agent::session::PROVIDER_DOWN).join(" "))
    );
    let failure = state["events"]
        .as_array()
        .context("events")?
        .iter()
        .find(|e| e["type"] == "provider_failure")
        .cloned()
        .context("no provider_failure event")?;
    assert_eq!(failure["data"]["provider"], "stt");
    let reason = failure["data"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("speech recognition unavailable"),
        "{reason}"
    );
    let ended = state["events"]
        .as_array()
        .context("events")?
        .iter()
        .find(|e| e["type"] == "ended_by_agent")
        .cloned()
        .context("ended")?;
    assert_eq!(ended["reason"], reason);
    eprintln!("speech recognizer down: the interview ended failed, reason {reason:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interviews_run_from_the_role_and_resume_and_end_by_themselves() -> Result<()> {
    let _turn = TURN.lock().await;
    tokio::try_join!(english(), spanish(), llm(), stt_down())?;
    Ok(())
}
