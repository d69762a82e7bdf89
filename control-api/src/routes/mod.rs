//! Route modules; each exposes one `router()` merged in [`crate::app`].

pub mod api_keys;
pub mod auth;
pub mod code_submissions;
pub mod docs;
pub mod fallback;
pub mod health;
pub mod internal;
pub mod interview_live;
pub mod interviews;
pub mod invites;
pub mod pages;
pub mod resumes;
pub mod roles;
pub mod statistics;
pub mod users;
pub mod voice;
pub mod webhooks;

/// A path parameter, under the one rejection policy of the API: a path that cannot be read
/// (not UTF-8 after percent-decoding) names no object, so it is the route's own 404.
pub(crate) fn path_param(
    param: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
    not_found: impl FnOnce() -> crate::error::ApiError,
) -> Result<String, crate::error::ApiError> {
    param
        .map(|axum::extract::Path(p)| p)
        .map_err(|_| not_found())
}

/// A JSON body as `T`, read from a JSON object only: serde would also build a struct from an
/// array (`[null, null]`), which the OpenAPI document does not allow. Handlers extract
/// `Json<serde_json::Map<..>>` (arrays are refused there, in the error shape) and call this.
pub(crate) fn from_object<T: serde::de::DeserializeOwned>(
    map: serde_json::Map<String, serde_json::Value>,
) -> Result<T, crate::error::ApiError> {
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| crate::error::ApiError::Unprocessable(e.to_string()))
}
