//! Unknown routes and wrong methods get the common error shape.

use axum::http::Uri;

use crate::error::ApiError;

/// Fallback for paths that match no route.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

/// Fallback for a known path with an unsupported method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
