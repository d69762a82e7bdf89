//! The control-plane HTTP service: accounts, API keys, roles, resumes, interviews and tokens.
//!
//! [`app`] builds the whole router from an [`AppState`]; [`run`] serves it on a listener the
//! caller owns until the shutdown future resolves. Everything under `/api/v1` follows the seed
//! APIs' paths and field names; every failure is `{"detail": ..., "status_code": ...}`.

pub mod accounts;
pub mod agent_store;
pub mod analysis;
pub mod api_keys;
pub mod auth;
pub mod config;
pub mod db;
pub mod delivery;
pub mod error;
pub mod evaluation;
pub mod interviews;
pub mod invites;
pub mod json;
pub mod livekit;
pub mod login_limit;
pub mod metrics;
pub mod migrations;
pub mod openapi;
pub mod passwords;
pub mod principal;
pub mod rate_limit;
pub mod resumes;
pub mod roles;
mod routes;
pub mod sessions;
pub mod text;
pub mod time;
pub mod transcript;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;
pub use db::{Db, Dialect};
pub use error::ApiError;

/// The request-id header set on every request and echoed on every response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Shared, cheaply cloned state of the service.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    db: Db,
    login_limiter: login_limit::LoginLimiter,
    register_limiter: Option<login_limit::LoginLimiter>,
    hasher: passwords::Hasher,
    evaluations_finished: tokio::sync::watch::Sender<u64>,
    analysis_slots: Arc<analysis::Slots>,
    rate_limits: rate_limit::RateLimits,
}

impl AppState {
    /// State over an already connected database.
    pub fn new(config: Config, db: Db) -> Self {
        Self {
            inner: Arc::new(Inner {
                login_limiter: login_limit::LoginLimiter::new(config.login_attempts_per_minute),
                register_limiter: (config.registrations_per_minute > 0)
                    .then(|| login_limit::LoginLimiter::new(config.registrations_per_minute)),
                evaluations_finished: tokio::sync::watch::Sender::new(0),
                analysis_slots: Arc::default(),
                hasher: passwords::Hasher::new(
                    config.password_hash_concurrency,
                    config.password_hash_queue,
                ),
                rate_limits: rate_limit::RateLimits::new(
                    config.rate_limit_user_per_minute,
                    config.rate_limit_key_per_minute,
                    config.rate_limit_anonymous_per_minute,
                ),
                config,
                db,
            }),
        }
    }

    /// Connects to `config.database_url`, applies migrations, and builds the state.
    pub async fn connect(config: Config) -> Result<Self, sqlx::Error> {
        let db = Db::connect(&config.database_url).await?;
        Ok(Self::new(config, db))
    }

    /// The login-attempt limiter.
    pub fn login_limiter(&self) -> &login_limit::LoginLimiter {
        &self.inner.login_limiter
    }

    /// The limit on registrations per client address, if any.
    pub fn register_limiter(&self) -> Option<&login_limit::LoginLimiter> {
        self.inner.register_limiter.as_ref()
    }

    /// Counts evaluations that have finished (ready or failed), for whoever waits on one.
    pub fn evaluations_finished(&self) -> &tokio::sync::watch::Sender<u64> {
        &self.inner.evaluations_finished
    }

    /// Who holds an analysis socket now.
    pub fn analysis_slots(&self) -> &Arc<analysis::Slots> {
        &self.inner.analysis_slots
    }

    /// The bounded password hasher.
    pub fn hasher(&self) -> &passwords::Hasher {
        &self.inner.hasher
    }

    /// The per-user and per-key request limits.
    pub fn rate_limits(&self) -> &rate_limit::RateLimits {
        &self.inner.rate_limits
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The configuration the service runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
}

/// The complete router: routes, fallback, and the cross-cutting layers.
pub fn app(state: AppState) -> Router {
    let config = state.config().clone();
    let request_metrics = metrics::Metrics::new();
    let api = Router::new()
        .merge(routes::health::api_router())
        .merge(routes::api_keys::router())
        .merge(routes::auth::router())
        .merge(routes::resumes::router())
        .merge(routes::interviews::router())
        .merge(routes::interview_live::router())
        .merge(routes::code_submissions::router())
        .merge(routes::invites::router())
        .merge(routes::voice::router())
        .merge(routes::internal::router())
        .merge(routes::webhooks::router())
        .merge(routes::roles::router())
        .merge(routes::statistics::router())
        .merge(routes::users::router());
    let api = api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        rate_limit::headers,
    ));
    Router::new()
        .merge(routes::health::router())
        .merge(openapi::router())
        .merge(routes::docs::router())
        .merge(routes::pages::router(&config.web_dir))
        .merge(analysis::router())
        .merge(request_metrics.router(config.metrics_token().to_owned()))
        .nest("/api/v1", api)
        .fallback(routes::fallback::not_found)
        .method_not_allowed_fallback(routes::fallback::method_not_allowed)
        .layer(axum::middleware::from_fn(text::reject_control_in_uri))
        .layer(axum::middleware::from_fn_with_state(
            request_metrics,
            metrics::record,
        ))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        // No response may be sniffed into another type (a resume PDF rendered as HTML).
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(cors(&config.cors_origins))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Every request's span: method, path, the request id (set by the outer layer) and, once
/// authenticated, the principal (`user:<id>` or `key:<id>`), so each log line of a request
/// names them.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
        principal = tracing::field::Empty,
    )
}

/// Serves [`app`] on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter(|o| !o.trim().is_empty())
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
        ])
}
