//! The demo's simulated candidate: against a running stack (`scripts/run.sh --demo` starts
//! one and then this), it signs in as a demo recruiter, creates a role with a two-question
//! plan (one skill, one behavioral question) and a two-minute interview, starts it, and
//! joins the room with the official Python LiveKit SDK. It answers every line of the
//! interviewer by voice (Flite, a different synthesizer from the agent's), prints the live
//! transcript as the room's `lk.transcription` streams show it, and at the end prints
//! what control-api stored and where the report is.
//!
//! `cargo run -p tests --bin demo -- --api http://127.0.0.1:8000`

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use serde_json::{Value, json};
use tests::pyclient::{ClientOptions, PyClient, announces_agent_state};
use tests::speech;

#[derive(Debug, Parser)]
#[command(about = "A simulated candidate for the one-command demo")]
struct Args {
    /// control-api's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    api: String,
    /// The interview's length in minutes.
    #[arg(long, default_value_t = 2)]
    minutes: u32,
    /// The Flite voice the candidate speaks with.
    #[arg(long, default_value = "rms")]
    voice: String,
}

const CONSENT: &str = "Yes, I agree. I am ready to begin.";
const ANSWERS: &[&str] = &[
    "I built the payment service in rust and it handled ten thousand requests per second.",
    "When two people disagreed I asked them to write down the tradeoffs and we picked one together.",
    "I would start by measuring where the time goes before changing anything.",
    "I wrote tests for every endpoint and we ran them on each commit.",
];

/// Lower-case words without punctuation.
fn normalized(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word edit distance of `hypothesis` from `reference`, and the reference's length.
fn word_errors(reference: &str, hypothesis: &str) -> (usize, usize) {
    let (r, h) = (normalized(reference), normalized(hypothesis));
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for i in 1..=r.len() {
        let mut diagonal = row[0];
        row[0] = i;
        for j in 1..=h.len() {
            let next = (row[j] + 1)
                .min(row[j - 1] + 1)
                .min(diagonal + usize::from(r[i - 1] != h[j - 1]));
            diagonal = row[j];
            row[j] = next;
        }
    }
    (row[h.len()], r.len())
}

struct Api {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| path.to_owned())?;
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        ensure!(status.is_success(), "{path} answered {status}: {value}");
        Ok(value)
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }
}

/// `text` in the candidate's voice with a second of silence after it.
fn spoken(dir: &Path, name: &str, voice: &str, text: &str) -> Result<PathBuf> {
    let raw = dir.join(format!("{name}.raw.wav"));
    speech::speak_flite(text, voice, &raw)?;
    let (rate, mut samples) = speech::read_wav(&raw)?;
    samples.extend(speech::silence(1.0));
    let out = dir.join(format!("{name}.wav"));
    speech::write_wav(&out, rate, &samples)?;
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut api = Api {
        base: args.api.trim_end_matches('/').to_owned(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()?,
        token: String::new(),
    };
    let credentials = json!({"email": "demo@example.com", "password": "quiet-harbor-lantern-42"});
    // A second run against the same database finds the account already there.
    let registered = api.post("/api/v1/auth/register", credentials.clone()).await;
    let login = match api.post("/api/v1/auth/login", credentials).await {
        Ok(login) => login,
        Err(e) => bail!("cannot sign in ({e:#}); registering said: {registered:?}"),
    };
    api.token = login["access_token"]
        .as_str()
        .context("access token")?
        .to_owned();
    let role = api
        .post(
            "/api/v1/roles",
            json!({
                "name": "Backend Engineer", "category": "Engineering", "specialization": "Backend",
                "experience_level": "Senior",
                "required_skills": [{"name": "Rust", "level": "Expert"}],
                "interview_structure": {"technical": 1, "behavioral": 1, "coding": 0},
                "rubric": [{"name": "Technical depth", "weight": 2}, {"name": "Communication", "weight": 1}]
            }),
        )
        .await?;
    let interview = api
        .post(
            "/api/v1/interviews",
            json!({
                "title": "Demo interview", "role_id": role["id"], "candidate_name": "Alex Demo",
                "duration_minutes": args.minutes, "language": "en"
            }),
        )
        .await?;
    let id = interview["id"].as_str().context("interview id")?.to_owned();
    let started = api
        .post(&format!("/api/v1/interviews/{id}/start"), json!({}))
        .await?;
    println!("interview {id} started in room {}", started["room_name"]);

    let dir = tempfile::tempdir()?;
    let consent = spoken(dir.path(), "consent", &args.voice, CONSENT)?;
    let answers: Vec<PathBuf> = ANSWERS
        .iter()
        .enumerate()
        .map(|(i, text)| spoken(dir.path(), &format!("answer{i}"), &args.voice, text))
        .collect::<Result<_>>()?;
    let mut client = PyClient::join(
        started["url"].as_str().context("url")?,
        started["token"].as_str().context("token")?,
        ClientOptions {
            mic_queue_ms: Some(400),
            ..Default::default()
        },
    )
    .await?;
    client.publish().await?;
    println!("candidate joined; the transcript follows (interviewer > / candidate <)\n");

    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(u64::from(args.minutes) * 60 + 120);
    let (mut seen, mut answered, mut speaking) = (0, 0usize, false);
    // What the candidate said, in order, to measure what the recognizer heard.
    let mut said: Vec<&str> = Vec::new();
    'room: loop {
        ensure!(
            tokio::time::Instant::now() < deadline,
            "the interview did not end in time"
        );
        let events: Vec<Value> = client.events()[seen..].to_vec();
        seen += events.len();
        for e in &events {
            if e["event"] == "disconnected" {
                break 'room;
            }
            if e["event"] == "text_received"
                && e["topic"] == "lk.transcription"
                && e["attributes"]["lk.transcription_final"] == "true"
            {
                let from_agent = e["identity"]
                    .as_str()
                    .is_some_and(|i| i.starts_with("agent-"));
                let mark = if from_agent { ">" } else { "<" };
                println!("{mark} {}", e["text"].as_str().unwrap_or_default());
            }
            if announces_agent_state(e, "speaking") {
                speaking = true;
            }
            if speaking && announces_agent_state(e, "listening") {
                speaking = false;
                let (path, text) = if answered == 0 {
                    (&consent, CONSENT)
                } else {
                    let i = (answered - 1) % answers.len();
                    (&answers[i], ANSWERS[i])
                };
                said.push(text);
                client.play(path).await?;
                answered += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = client.leave().await;

    // What control-api stored, and the report once it is ready.
    let mut report = Value::Null;
    for _ in 0..300 {
        report = api.get(&format!("/api/v1/interviews/{id}/report")).await?;
        match report["evaluation"]["status"].as_str() {
            Some("ready") => break,
            Some("failed") => bail!("the report failed: {report}"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let state = api.get(&format!("/api/v1/interviews/{id}/state")).await?;
    let turns = state["conversation_history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let heard: Vec<&str> = turns
        .iter()
        .filter(|t| t["role"] == "candidate")
        .filter_map(|t| t["text"].as_str())
        .collect();
    let (wrong, total) = word_errors(&said.join(" "), &heard.join(" "));
    let wer = wrong as f64 / total.max(1) as f64;
    println!(
        "\ninterview {id}: status {}, phase {}, {} turns stored; the candidate gave {answered} answers \
         ({total} words), stored as {} words: word error rate {:.1}%",
        state["status"],
        state["phase"],
        turns.len(),
        normalized(&heard.join(" ")).len(),
        100.0 * wer
    );
    ensure!(
        state["status"] == "completed",
        "the interview did not complete"
    );
    ensure!(
        answered >= 3 && wer < 0.6,
        "the candidate was not heard: {heard:?}"
    );
    let evaluation = &report["evaluation"];
    ensure!(
        evaluation["status"] == "ready",
        "no report within a minute: {report}"
    );
    println!(
        "report ready ({} scorer): recommendation {}, {} dimensions scored",
        evaluation["scorer"].as_str().unwrap_or("?"),
        evaluation["report"]["recommendation"],
        evaluation["report"]["dimensions"]
            .as_array()
            .map_or(0, Vec::len)
    );
    println!("report: {}/api/v1/interviews/{id}/report", api.base);
    Ok(())
}
