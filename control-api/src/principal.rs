//! [`Principal`]: who is calling — a user by access token, or a user through one of their API
//! keys (`Authorization: Bearer sk_...` or `X-API-Key: sk_...`). Every protected route takes it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::AppState;
use crate::accounts::{self, User};
use crate::auth::CurrentUser;
use crate::error::ApiError;

/// The header integrators may use instead of `Authorization`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// An access token (a JWT) from login.
    Session,
    /// The API key with this id.
    ApiKey(String),
}

/// The authenticated, active user of a request and how they proved it.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user acting.
    pub user: User,
    /// Session or API key.
    pub via: Via,
}

impl Principal {
    /// Refuses API keys: for routes that manage credentials themselves.
    pub fn require_session(&self) -> Result<(), ApiError> {
        match self.via {
            Via::Session => Ok(()),
            Via::ApiKey(_) => Err(ApiError::Forbidden(
                "this operation needs a login session, not an API key".to_owned(),
            )),
        }
    }

    /// The key id when the caller used an API key.
    pub fn api_key_id(&self) -> Option<&str> {
        match &self.via {
            Via::ApiKey(id) => Some(id),
            Via::Session => None,
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(secret) = api_key_secret(parts)? {
            let (user_id, key_id) = crate::api_keys::authenticate(state.db(), &secret).await?;
            let user = accounts::by_id(state.db(), &user_id)
                .await?
                .ok_or_else(|| ApiError::Unauthorized("invalid API key".to_owned()))?;
            if !user.is_active {
                return Err(ApiError::BadRequest("inactive user".to_owned()));
            }
            tracing::Span::current().record(
                "principal",
                tracing::field::display(format!("key:{key_id}")),
            );
            let via = Via::ApiKey(key_id);
            limited(parts, state, &user.id, &via)?;
            return Ok(Self { user, via });
        }
        // The session path: `CurrentUser` has counted the request against the user's limit.
        let current = CurrentUser::from_request_parts(parts, state).await?;
        Ok(Self {
            user: current.user,
            via: Via::Session,
        })
    }
}

/// Counts a request of `user_id` made `via` a session or key against its rate limit and leaves
/// the decision for the headers; 429 when exhausted.
pub(crate) fn limited(
    parts: &Parts,
    state: &AppState,
    user_id: &str,
    via: &Via,
) -> Result<(), ApiError> {
    let Some(info) = state.rate_limits().check(user_id, via) else {
        return Ok(());
    };
    if let Some(slot) = parts.extensions.get::<crate::rate_limit::RateSlot>() {
        slot.set(info);
    }
    match info.retry_after {
        Some(secs) => Err(ApiError::TooManyRequests(secs)),
        None => Ok(()),
    }
}

/// The `sk_` secret of the request, from `X-API-Key` or an `sk_` bearer credential.
fn api_key_secret(parts: &Parts) -> Result<Option<String>, ApiError> {
    if let Some(value) = parts.headers.get(API_KEY_HEADER) {
        let secret = value
            .to_str()
            .map_err(|_| ApiError::Unauthorized("invalid API key".to_owned()))?
            .trim();
        return Ok(Some(secret.to_owned()));
    }
    Ok(crate::auth::bearer(&parts.headers)
        .filter(|token| token.starts_with("sk_"))
        .map(str::to_owned))
}
