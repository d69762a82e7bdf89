//! Prometheus metrics: request counts and latencies by method, route template and status,
//! rendered in the text exposition format at `/metrics` for scrapers that present the metrics
//! token (`METRICS_TOKEN`, else `SERVICE_TOKEN`) as a bearer credential.
//!
//! Each [`crate::app`] owns its own registry (no process-global state), so tests and several
//! apps in one process never see each other's numbers. Routes are labelled by their template
//! (`/api/v1/resumes/{id}`), never by the raw path, so label cardinality stays bounded; requests
//! that match no route share the label `unmatched`.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// Latency buckets in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The request metrics of one app.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with the request counter and latency histogram.
    pub fn new() -> Self {
        let labels = ["method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &labels,
        )
        .expect("static metric definition is valid");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request to response head",
            )
            .buckets(BUCKETS.to_vec()),
            &labels,
        )
        .expect("static metric definition is valid");
        let registry = Registry::new();
        registry
            .register(Box::new(requests.clone()))
            .expect("first registration of a fresh registry");
        registry
            .register(Box::new(latency.clone()))
            .expect("first registration of a fresh registry");
        Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                latency,
            }),
        }
    }

    /// Records one answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.inner.requests.with_label_values(&labels).inc();
        self.inner
            .latency
            .with_label_values(&labels)
            .observe(seconds);
    }

    /// The registry in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for the metric types registered here.
        if let Err(err) = TextEncoder::new().encode(&self.inner.registry.gather(), &mut out) {
            tracing::error!(error = %err, "encoding metrics");
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// `/metrics`, for merging into the app's router; scrapes must present
    /// `Authorization: Bearer <token>`.
    pub fn router<S: Clone + Send + Sync + 'static>(&self, token: String) -> Router<S> {
        Router::new()
            .route("/metrics", get(scrape))
            .with_state((self.clone(), Arc::<str>::from(token)))
    }
}

async fn scrape(
    State((metrics, token)): State<(Metrics, Arc<str>)>,
    headers: axum::http::HeaderMap,
) -> Response {
    let presented = crate::auth::bearer(&headers).unwrap_or_default();
    if token.is_empty() || !crate::auth::same_secret(presented.as_bytes(), token.as_bytes()) {
        return crate::error::ApiError::Unauthorized("a metrics token is required".to_owned())
            .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

/// Middleware (`from_fn_with_state(metrics, record)`) counting and timing every request.
pub async fn record(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    metrics.observe(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Known methods by name; anything else shares one label so cardinality stays bounded.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
