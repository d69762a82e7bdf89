//! A real control-api served in-process on a free loopback port over SQLite: a recruiter
//! account, interviews started through its HTTP API, and the agent-side state.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The service token the workers present.
pub const SERVICE_TOKEN: &str = "worker-tests-service-token";

/// A started interview: what the candidate gets back from `start`.
#[derive(Debug, Clone)]
pub struct Started {
    pub id: String,
    pub room: String,
    pub url: String,
    pub token: String,
}

/// control-api, stopped when dropped.
pub struct ControlPlane {
    pub base: String,
    http: reqwest::Client,
    access_token: String,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// The listener control-api will serve on, bound first so LiveKit's webhook URL is known.
pub struct Reserved {
    listener: TcpListener,
    pub base: String,
}

impl Reserved {
    /// Binds 127.0.0.1:0.
    pub async fn bind() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        Ok(Self { listener, base })
    }

    /// The URL LiveKit posts webhooks to.
    pub fn webhook_url(&self) -> String {
        format!("{}/api/v1/livekit/webhook", self.base)
    }
}

impl ControlPlane {
    /// Serves control-api on `reserved`, talking to LiveKit at `livekit_ws`.
    pub async fn start(reserved: Reserved, livekit_ws: &str, agent_name: &str) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let db = format!("sqlite://{}/control.db?mode=rwc", dir.path().display());
        let mut config = control_api::Config::for_database(&db);
        config.livekit_url = livekit_ws.to_owned();
        config.livekit_api_key = tests::livekit::API_KEY.to_owned();
        config.livekit_api_secret = tests::livekit::API_SECRET.to_owned();
        config.agent_name = agent_name.to_owned();
        config.service_token = SERVICE_TOKEN.to_owned();
        config.rate_limit_user_per_minute = 0;
        config.rate_limit_key_per_minute = 0;
        let state = control_api::AppState::connect(config)
            .await
            .context("control-api database")?;
        let task = tokio::spawn(async move {
            let _ = control_api::run(reserved.listener, state, std::future::pending()).await;
        });
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()?;
        let credentials = json!({"email": "recruiter@example.com", "password": "securepassword"});
        let mut plane = Self {
            base: reserved.base,
            http,
            access_token: String::new(),
            task,
            _dir: dir,
        };
        plane
            .call("POST", "/api/v1/auth/register", Some(&credentials), None)
            .await?;
        let login = plane
            .call("POST", "/api/v1/auth/login", Some(&credentials), None)
            .await?;
        plane.access_token = login["access_token"]
            .as_str()
            .context("access token")?
            .to_owned();
        Ok(plane)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> Result<Value> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        ensure!(status.is_success(), "{path} answered {status}: {value}");
        Ok(value)
    }

    /// Creates an interview and starts it (room + agent dispatch).
    pub async fn start_interview(&self, title: &str) -> Result<Started> {
        self.start_interview_with(json!({"title": title})).await
    }

    /// Creates an interview from `body` and starts it.
    pub async fn start_interview_with(&self, body: Value) -> Result<Started> {
        let token = Some(self.access_token.as_str());
        let created = self
            .call("POST", "/api/v1/interviews", Some(&body), token)
            .await?;
        let id = created["id"].as_str().context("interview id")?.to_owned();
        let started = self
            .call(
                "POST",
                &format!("/api/v1/interviews/{id}/start"),
                None,
                token,
            )
            .await?;
        Ok(Started {
            room: started["room_name"].as_str().context("room")?.to_owned(),
            url: started["url"].as_str().context("url")?.to_owned(),
            token: started["token"].as_str().context("token")?.to_owned(),
            id,
        })
    }

    /// Marks the interview completed (the recruiter's side).
    pub async fn complete(&self, id: &str) -> Result<()> {
        self.call(
            "POST",
            &format!("/api/v1/interviews/{id}/complete"),
            None,
            Some(&self.access_token),
        )
        .await
        .map(drop)
    }

    /// POST `body` to `path` as the recruiter.
    pub async fn owner_post(&self, path: &str, body: &Value) -> Result<Value> {
        self.call("POST", path, Some(body), Some(&self.access_token))
            .await
    }

    /// Uploads a PDF resume as the recruiter (multipart, as a browser sends it); the
    /// stored resume with its parsed fields.
    pub async fn upload_resume(&self, pdf: &[u8]) -> Result<Value> {
        const BOUNDARY: &str = "XworkerTestsBoundaryX";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cv.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(pdf);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let response = self
            .http
            .post(format!("{}/api/v1/resumes/upload", self.base))
            .bearer_auth(&self.access_token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        ensure!(
            status.is_success(),
            "resume upload answered {status}: {value}"
        );
        Ok(value)
    }

    /// GET `path` as the recruiter who owns the interviews.
    pub async fn owner_get(&self, path: &str) -> Result<Value> {
        self.call("GET", path, None, Some(&self.access_token)).await
    }

    /// The agent-side state (transcript, events, dispatch count).
    pub async fn state(&self, id: &str) -> Result<Value> {
        self.call(
            "GET",
            &format!("/api/v1/internal/interviews/{id}/state"),
            None,
            Some(SERVICE_TOKEN),
        )
        .await
    }

    /// The interviewer's lines in the transcript so far.
    pub async fn interviewer_lines(&self, id: &str) -> Result<Vec<String>> {
        let state = self.state(id).await?;
        Ok(state["transcript"]
            .as_array()
            .map(|turns| {
                turns
                    .iter()
                    .filter(|t| t["role"] == "interviewer")
                    .filter_map(|t| t["text"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        self.task.abort();
    }
}
