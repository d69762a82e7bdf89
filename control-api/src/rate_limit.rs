//! Per-user, per-key and per-address request rate limits (governor's GCRA, one bucket per
//! user, key or client address), reported as `X-RateLimit-Limit/Remaining/Reset` and enforced
//! with 429 + `Retry-After`.
//!
//! The [`Principal`](crate::principal::Principal) and
//! [`CurrentUser`](crate::auth::CurrentUser) extractors take the decision once they know who is
//! calling and leave it in the request's [`RateSlot`]; the [`headers`] middleware, which created
//! that slot, copies it onto the response — also onto the 429. Requests without credentials
//! (registration, login, refresh, webhooks) are limited per client address before their
//! handler runs, and requests whose credentials were refused (401) are counted against their
//! address afterwards. Only the agent's service-token routes are not limited.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::AppState;
use crate::error::ApiError;
use crate::principal::Via;

type Limiter =
    RateLimiter<String, DashMapStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// How often (in checks) idle buckets are dropped, bounding memory.
const PRUNE_EVERY: u64 = 4096;

/// What one check decided, as the headers show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInfo {
    /// Requests per minute of the bucket.
    pub limit: u32,
    /// Requests still allowed right now.
    pub remaining: u32,
    /// Unix seconds when the bucket is full again.
    pub reset: u64,
    /// Seconds to wait, when refused.
    pub retry_after: Option<u64>,
}

/// The per-user and per-key buckets. A limit of 0 disables that kind.
pub struct RateLimits {
    users: Option<(Limiter, u32)>,
    keys: Option<(Limiter, u32)>,
    addresses: Option<(Limiter, u32)>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl RateLimits {
    /// Buckets allowing `per_user`, `per_key` and `per_address` (anonymous) requests per
    /// minute (bursts up to that many).
    pub fn new(per_user: u32, per_key: u32, per_address: u32) -> Self {
        let clock = DefaultClock::default();
        let make = |per_minute: u32| {
            NonZeroU32::new(per_minute).map(|n| {
                let limiter = RateLimiter::dashmap_with_clock(Quota::per_minute(n), clock.clone())
                    .with_middleware::<StateInformationMiddleware>();
                (limiter, per_minute)
            })
        };
        Self {
            users: make(per_user),
            keys: make(per_key),
            addresses: make(per_address),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request of `user_id` made `via` a session or key; `None` when unlimited.
    pub fn check(&self, user_id: &str, via: &Via) -> Option<RateInfo> {
        let (bucket, key) = match via {
            Via::Session => (self.users.as_ref()?, format!("user:{user_id}")),
            Via::ApiKey(id) => (self.keys.as_ref()?, format!("key:{id}")),
        };
        Some(self.count(bucket, &key))
    }

    /// Counts one anonymous request from `address`; `None` when unlimited.
    pub fn check_address(&self, address: &str) -> Option<RateInfo> {
        let bucket = self.addresses.as_ref()?;
        Some(self.count(bucket, &format!("addr:{address}")))
    }

    fn count(&self, bucket: &(Limiter, u32), key: &str) -> RateInfo {
        let (limiter, limit) = bucket;
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
        }
        let now_unix = crate::time::unix_now();
        let per_request =
            Quota::per_minute(NonZeroU32::MIN.saturating_add(limit - 1)).replenish_interval();
        match limiter.check_key(&key.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let refill = per_request * (limit - remaining.min(*limit));
                RateInfo {
                    limit: *limit,
                    remaining,
                    reset: now_unix + refill.as_secs_f64().ceil() as u64,
                    retry_after: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                let wait_secs = (wait.as_secs_f64().ceil() as u64).max(1);
                RateInfo {
                    limit: *limit,
                    remaining: 0,
                    reset: now_unix + (per_request * *limit).as_secs(),
                    retry_after: Some(wait_secs),
                }
            }
        }
    }
}

/// The client's IP address when the server knows it (`axum::serve` with connect info), for
/// per-address limits; requests without one (in-process tests) share one bucket.
pub fn client_address(request: &Request) -> String {
    request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())
}

/// Where the extractor leaves its decision for [`headers`].
#[derive(Clone, Default)]
pub struct RateSlot(Arc<Mutex<Option<RateInfo>>>);

impl RateSlot {
    /// Records the decision of this request.
    pub fn set(&self, info: RateInfo) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(info);
        }
    }

    fn get(&self) -> Option<RateInfo> {
        self.0.lock().ok().and_then(|slot| *slot)
    }
}

/// Middleware: limits anonymous requests per address, gives each request a [`RateSlot`] and
/// writes its decision as headers.
pub async fn headers(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let slot = RateSlot::default();
    request.extensions_mut().insert(slot.clone());
    let credentials = request.headers().contains_key(AUTHORIZATION)
        || request
            .headers()
            .contains_key(crate::principal::API_KEY_HEADER);
    let address = client_address(&request);
    let mut response = if credentials {
        next.run(request).await
    } else {
        match state.rate_limits().check_address(&address) {
            Some(info) => {
                slot.set(info);
                match info.retry_after {
                    Some(secs) => ApiError::TooManyRequests(secs).into_response(),
                    None => next.run(request).await,
                }
            }
            None => next.run(request).await,
        }
    };
    if credentials
        && slot.get().is_none()
        && response.status() == StatusCode::UNAUTHORIZED
        && let Some(info) = state.rate_limits().check_address(&address)
    {
        slot.set(info);
    }
    if let Some(info) = slot.get() {
        let headers = response.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", u64::from(info.limit)),
            ("x-ratelimit-remaining", u64::from(info.remaining)),
            ("x-ratelimit-reset", info.reset),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
    response
}
