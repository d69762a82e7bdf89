//! The one error type of the HTTP surface and its single mapping to a response.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Every failure a handler can report. The mapping to HTTP lives only in [`IntoResponse`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The request was well-formed JSON but its content is unacceptable.
    #[error("{0}")]
    BadRequest(String),
    /// The body could not be parsed or had the wrong shape (wrong types, missing fields).
    #[error("{0}")]
    Unprocessable(String),
    /// The body is larger than the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The object is not in a state that allows this yet.
    #[error("{0}")]
    Conflict(String),
    /// Storing this would take the account past its storage quota.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Missing or invalid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such route, or no such object visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// The object existed but is no longer usable (an expired invite link, an interview that
    /// is over); `reason` is a stable word for clients (`expired`, `ended`).
    #[error("{detail}")]
    Gone {
        reason: &'static str,
        detail: String,
    },
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Too many requests; retry after the given number of seconds.
    #[error("too many requests, retry in {0} s")]
    TooManyRequests(u64),
    /// A dependency (database, LiveKit) is not ready.
    #[error("{0}")]
    Unavailable(String),
    /// The service is at a capacity bound (such as password hashing); retry after the given
    /// number of seconds.
    #[error("the service is busy, retry in {0} s")]
    Busy(u64),
    /// A bug or an infrastructure failure; logged, returned as an opaque 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The JSON body of every error response, as in the seed APIs.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// Human-readable explanation.
    pub detail: String,
    /// The HTTP status code, repeated in the body.
    pub status_code: u16,
    /// A stable word for clients where the status alone is ambiguous (410: `expired`,
    /// `ended`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

impl ApiError {
    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge | Self::QuotaExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Gone { .. } => StatusCode::GONE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            Self::Internal(err) => {
                tracing::error!(error = %err, "internal error");
                "internal server error".to_owned()
            }
            other => other.to_string(),
        };
        let reason = match &self {
            Self::Gone { reason, .. } => Some(*reason),
            _ => None,
        };
        let body = ErrorBody {
            detail,
            status_code: status.as_u16(),
            reason,
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::TooManyRequests(secs) | Self::Busy(secs) = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs.max(1)),
            );
        }
        if matches!(self, Self::Unauthorized(_)) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// A database failure: a 500 to the caller, the cause kept for the log.
pub fn internal(err: sqlx::Error) -> ApiError {
    ApiError::Internal(err.into())
}

/// `?` on a query: a database failure is a 500 with its cause logged.
impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        internal(err)
    }
}
