//! Typed configuration, read once from flags and environment variables.

use std::net::SocketAddr;

/// Settings of the control-plane service. Secrets are never printed (see [`Config::redacted`]).
#[derive(Clone, clap::Parser)]
#[command(
    name = "control-api",
    about = "AI interviewer control-plane HTTP service"
)]
pub struct Config {
    /// Database URL: `sqlite://...` (default) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://.data/interviewer.db?mode=rwc"
    )]
    pub database_url: String,
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// HMAC secret for access tokens.
    #[arg(long, env = "JWT_SECRET", default_value = "dev-only-change-me")]
    pub jwt_secret: String,
    /// Access token lifetime in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,
    /// Refresh token lifetime in seconds.
    #[arg(long, env = "REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,
    /// LiveKit server URL handed to clients (ws:// or wss://).
    #[arg(long, env = "LIVEKIT_URL", default_value = "ws://127.0.0.1:7880")]
    pub livekit_url: String,
    /// LiveKit API key.
    #[arg(long, env = "LIVEKIT_API_KEY", default_value = "devkey")]
    pub livekit_api_key: String,
    /// LiveKit API secret.
    #[arg(long, env = "LIVEKIT_API_SECRET", default_value = "secret")]
    pub livekit_api_secret: String,
    /// Name of the agent LiveKit dispatches into interview rooms.
    #[arg(long, env = "AGENT_NAME", default_value = "interviewer")]
    pub agent_name: String,
    /// Token the agent presents on the internal endpoints.
    #[arg(long, env = "SERVICE_TOKEN", default_value = "dev-service-token")]
    pub service_token: String,
    /// Bearer token Prometheus presents on `/metrics`; empty: the service token.
    #[arg(long, env = "METRICS_TOKEN", default_value = "")]
    pub metrics_token: String,
    /// Bytes of resumes (PDFs) one account may store.
    #[arg(long, env = "RESUME_QUOTA_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub resume_quota_bytes: u64,
    /// Requests per minute per client address on routes that need no credentials, and for
    /// requests whose credentials were refused (0: unlimited).
    #[arg(long, env = "RATE_LIMIT_ANONYMOUS_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_anonymous_per_minute: u32,
    /// OpenAI-compatible server (base URL with `/v1`) that scores interviews; empty: the
    /// offline heuristic scorer.
    #[arg(long, env = "EVALUATION_LLM_BASE_URL", default_value = "")]
    pub evaluation_llm_base_url: String,
    /// API key of that server (may be empty for local servers).
    #[arg(long, env = "EVALUATION_LLM_API_KEY", default_value = "")]
    pub evaluation_llm_api_key: String,
    /// Model that scores.
    #[arg(long, env = "EVALUATION_LLM_MODEL", default_value = "gpt-4o-mini")]
    pub evaluation_llm_model: String,
    /// Seconds one scoring request may take before it is retried.
    #[arg(long, env = "EVALUATION_LLM_TIMEOUT_SECS", default_value_t = 120)]
    pub evaluation_llm_timeout_secs: u64,
    /// Analysis sockets (`/ws/analysis/{id}`) open at once, one per user.
    #[arg(long, env = "ANALYSIS_MAX_SOCKETS", default_value_t = 100)]
    pub analysis_max_sockets: usize,
    /// Seconds of audio one analysis socket may stream.
    #[arg(long, env = "ANALYSIS_MAX_SECONDS", default_value_t = 3 * 3600)]
    pub analysis_max_seconds: u64,
    /// The address candidates open invite links at (`https://interviews.example.com`);
    /// empty: `http://` + `BIND`.
    #[arg(long, env = "PUBLIC_URL", default_value = "")]
    pub public_url: String,
    /// The built pages (`web/dist`): the candidate's page and the recruiter's console.
    #[arg(long, env = "WEB_DIR", default_value = "web/dist")]
    pub web_dir: std::path::PathBuf,
    /// Comma-separated CORS allow-list of origins; empty allows none.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',', default_value = "")]
    pub cors_origins: Vec<String>,
    /// Login attempts allowed per login name and minute.
    #[arg(long, env = "LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 10)]
    pub login_attempts_per_minute: u32,
    /// Registrations allowed per client address and minute (0: unlimited).
    #[arg(long, env = "REGISTRATIONS_PER_MINUTE", default_value_t = 20)]
    pub registrations_per_minute: u32,
    /// Password hashes (argon2id, 19 MiB each) run at once; the bound on hashing memory.
    #[arg(long, env = "PASSWORD_HASH_CONCURRENCY", default_value_t = 2)]
    pub password_hash_concurrency: usize,
    /// Registrations and logins that may wait for a hashing slot; beyond it, 503.
    #[arg(long, env = "PASSWORD_HASH_QUEUE", default_value_t = 32)]
    pub password_hash_queue: usize,
    /// Maximum JSON request body in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Active API keys one user may hold at a time.
    #[arg(long, env = "API_KEYS_PER_USER", default_value_t = 10)]
    pub api_keys_per_user: u32,
    /// Requests per minute one user may make with access tokens (0: unlimited).
    #[arg(long, env = "RATE_LIMIT_USER_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_user_per_minute: u32,
    /// Requests per minute through one API key (0: unlimited).
    #[arg(long, env = "RATE_LIMIT_KEY_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_key_per_minute: u32,
}

impl Config {
    /// The token `/metrics` requires.
    pub fn metrics_token(&self) -> &str {
        if self.metrics_token.is_empty() {
            &self.service_token
        } else {
            &self.metrics_token
        }
    }

    /// A configuration for tests and embedding: defaults with the given database URL.
    pub fn for_database(database_url: &str) -> Self {
        use clap::Parser;
        let mut config = Self::parse_from(["control-api"]);
        config.database_url = database_url.to_owned();
        config
    }

    /// A one-line summary safe to log (no secrets).
    pub fn redacted(&self) -> String {
        let db = self.database_url.split('@').next_back().unwrap_or_default();
        format!(
            "bind={} db=..{} livekit={} agent={} cors={:?} scorer={}",
            self.bind,
            db,
            self.livekit_url,
            self.agent_name,
            self.cors_origins,
            if self.evaluation_llm_base_url.is_empty() {
                "heuristic"
            } else {
                "llm"
            }
        )
    }
}
