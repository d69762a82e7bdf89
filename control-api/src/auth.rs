//! Credentials: HS256 access tokens and the `CurrentUser` extractor (password hashing is
//! [`crate::passwords`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounts::{self, User};
use crate::error::ApiError;

/// Claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    iat: u64,
    typ: String,
    jti: String,
}

/// What a verified access token says.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The user it was issued to.
    pub user_id: String,
    /// Its unique id, for revocation.
    pub jti: String,
    /// Expiry, Unix seconds.
    pub exp: u64,
}

/// Issues an access token for `user_id` valid for the configured TTL.
pub fn issue_access_token(state: &AppState, user_id: &str) -> Result<String, ApiError> {
    let now = crate::time::unix_now();
    let claims = Claims {
        sub: user_id.to_owned(),
        iat: now,
        exp: now + state.config().access_token_ttl_secs,
        typ: "access".to_owned(),
        jti: uuid::Uuid::new_v4().to_string(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(state.config().jwt_secret.as_bytes()),
    )
    .map_err(|e| ApiError::Internal(e.into()))
}

/// The claims of a valid, unexpired access token (revocation is checked by [`CurrentUser`]).
pub fn verify_access_token(state: &AppState, token: &str) -> Result<AccessToken, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(state.config().jwt_secret.as_bytes()),
        &validation,
    )
    .map_err(|_| invalid_token())?;
    if data.claims.typ != "access" {
        return Err(invalid_token());
    }
    Ok(AccessToken {
        user_id: data.claims.sub,
        jti: data.claims.jti,
        exp: data.claims.exp,
    })
}

fn invalid_token() -> ApiError {
    ApiError::Unauthorized("could not validate credentials".to_owned())
}

/// The credential of an `Authorization: Bearer <credential>` header (the scheme is matched
/// case-insensitively, as RFC 9110 says), trimmed; `None` without one. The one bearer parser of
/// the service: user tokens, API keys, the service token and the metrics token all use it.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, credential) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| credential.trim())
        .filter(|c| !c.is_empty())
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(presented: &[u8], expected: &[u8]) -> bool {
    presented.len() == expected.len()
        && presented
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The active user an access token (valid, unexpired, not revoked) was issued to.
pub async fn user_of(state: &AppState, token: &str) -> Result<(User, AccessToken), ApiError> {
    let token = verify_access_token(state, token)?;
    if crate::sessions::is_revoked(state.db(), &token.jti).await? {
        return Err(invalid_token());
    }
    let user = accounts::by_id(state.db(), &token.user_id)
        .await?
        .ok_or_else(invalid_token)?;
    if !user.is_active {
        return Err(ApiError::BadRequest("inactive user".to_owned()));
    }
    Ok((user, token))
}

/// The authenticated, active user of a request (`Authorization: Bearer <access token>`).
pub struct CurrentUser {
    /// The user.
    pub user: User,
    /// The token the request presented.
    pub token: AccessToken,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiError::Unauthorized("not authenticated".to_owned()))?;
        let (user, token) = user_of(state, token).await?;
        tracing::Span::current().record(
            "principal",
            tracing::field::display(format!("user:{}", user.id)),
        );
        crate::principal::limited(parts, state, &user.id, &crate::principal::Via::Session)?;
        Ok(Self { user, token })
    }
}
