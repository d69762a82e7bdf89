//! `/auth/*` and `/users/me`: registration, login (JSON or OAuth2 password form), profile.

use axum::extract::{FromRequest, Request, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounts::{self, NewUser, User};
use crate::auth::{self, CurrentUser};
use crate::error::ApiError;
use crate::json::Json;
use crate::{passwords, sessions};

/// Body of `POST /auth/register` (seed 003).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(format = Email, min_length = 3, max_length = 254)]
    pub email: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// 3 to 64 letters, digits, `.`, `_` or `-`; never `@`. Stored lowercased.
    #[schema(min_length = 3, max_length = 64, pattern = "^[^@\\s]+$")]
    pub username: Option<String>,
    #[schema(max_length = 200)]
    pub full_name: Option<String>,
}

/// Login credentials; `username` may hold the email, as in the OAuth2 password form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    #[serde(alias = "email")]
    pub username: String,
    pub password: String,
}

/// A bearer token response (seed 003/004).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(value_type = String, example = "bearer")]
    pub token_type: &'static str,
    pub expires_in: u64,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/token", post(login))
        .route("/auth/refresh-token", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/users/me", get(me))
}

/// Creates an account.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 200, description = "The new user", body = crate::openapi::User),
        (status = 400, description = "Bad JSON, or email or username taken", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the size limit", body = crate::openapi::ErrorBody),
        (status = 422, description = "Missing fields, wrong types, invalid values, control characters or a weak password", body = crate::openapi::ErrorBody),
        (status = 429, description = "Too many registrations from this address", body = crate::openapi::ErrorBody),
        (status = 503, description = "Password hashing at capacity; retry after `Retry-After` seconds", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn register(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<User>, ApiError> {
    if let Some(limiter) = state.register_limiter() {
        limiter
            .check(
                &crate::rate_limit::client_address(&request),
                std::time::Instant::now(),
            )
            .map_err(|retry| ApiError::TooManyRequests(retry.as_secs()))?;
    }
    let Json(body) =
        Json::<serde_json::Map<String, serde_json::Value>>::from_request(request, &state).await?;
    let body: RegisterRequest = super::from_object(body)?;
    let email = accounts::normalize_email("email", &body.email)?;
    let username = body
        .username
        .as_deref()
        .map(accounts::normalize_username)
        .transpose()?;
    passwords::check_strength(&body.password, &email, username.as_deref())?;
    if let Some(name) = &body.full_name {
        check_len("full_name", name, 0, 200)?;
    }
    let hashed_password = state.hasher().hash(body.password).await?;
    let user = accounts::insert(
        state.db(),
        &NewUser {
            email: &email,
            username: username.as_deref(),
            full_name: body.full_name.as_deref(),
            hashed_password: &hashed_password,
        },
    )
    .await?;
    Ok(Json(user))
}

/// Logs in with email or username and password, as JSON or as the OAuth2 password form.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body(content(
        (LoginRequest = "application/json"),
        (LoginRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Access and refresh token", body = TokenResponse),
        (status = 400, description = "Bad body or inactive user", body = crate::openapi::ErrorBody),
        (status = 401, description = "Incorrect email or password", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body over the size limit", body = crate::openapi::ErrorBody),
        (status = 422, description = "Missing fields, wrong types or control characters", body = crate::openapi::ErrorBody),
        (status = 429, description = "Too many login attempts", body = crate::openapi::ErrorBody),
        (status = 503, description = "Password hashing at capacity; retry after `Retry-After` seconds", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<TokenResponse>, ApiError> {
    let is_form = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body: LoginRequest = if is_form {
        let form = Form::<LoginRequest>::from_request(request, &state)
            .await
            .map_err(|e| match e.status() {
                axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                _ => ApiError::Unprocessable(e.body_text()),
            })?
            .0;
        crate::text::check("username", &form.username)?;
        crate::text::check("password", &form.password)?;
        form
    } else {
        let map = Json::<serde_json::Map<String, serde_json::Value>>::from_request(request, &state)
            .await?
            .0;
        super::from_object(map)?
    };
    let login = body.username.trim().to_lowercase();
    let wrong = || ApiError::Unauthorized("incorrect email or password".to_owned());
    if login.len() > 254 || body.password.len() > 128 {
        return Err(wrong());
    }
    state
        .login_limiter()
        .check(&login, std::time::Instant::now())
        .map_err(|retry| ApiError::TooManyRequests(retry.as_secs()))?;
    // An unknown login is verified against a dummy hash: the answer takes as long either way.
    let found = accounts::credentials(state.db(), &login).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let matched = state.hasher().verify(body.password, hash).await?;
    let Some(user) = user.filter(|_| matched) else {
        return Err(wrong());
    };
    if !user.is_active {
        return Err(ApiError::BadRequest("inactive user".to_owned()));
    }
    Ok(Json(
        issue_pair(&state, &user.id, &sessions::new_family()).await?,
    ))
}

/// Body of `POST /auth/refresh-token`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Body of `POST /auth/logout`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Message {
    #[schema(value_type = String)]
    pub message: &'static str,
}

/// Exchanges a refresh token (single use) for a new token pair.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh-token",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 400, description = "Bad JSON or inactive user", body = crate::openapi::ErrorBody),
        (status = 401, description = "Invalid, used or expired refresh token (a used one revokes its whole family)", body = crate::openapi::ErrorBody),
        (status = 422, description = "Missing fields or wrong types", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<TokenResponse>, ApiError> {
    let body: RefreshRequest = super::from_object(body)?;
    let invalid = || ApiError::Unauthorized("invalid or expired refresh token".to_owned());
    if body.refresh_token.len() > 128 {
        return Err(invalid());
    }
    let now = crate::time::unix_now();
    let (user_id, family) = sessions::consume_refresh(state.db(), &body.refresh_token, now)
        .await?
        .ok_or_else(invalid)?;
    let user = accounts::by_id(state.db(), &user_id)
        .await?
        .ok_or_else(invalid)?;
    if !user.is_active {
        return Err(ApiError::BadRequest("inactive user".to_owned()));
    }
    Ok(Json(issue_pair(&state, &user.id, &family).await?))
}

/// Revokes the presented access token and the user's refresh tokens.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Logged out", body = Message),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = crate::openapi::ErrorBody),
        (status = 400, description = "Inactive user", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Message>, ApiError> {
    sessions::revoke(
        state.db(),
        &current.user.id,
        &current.token.jti,
        current.token.exp,
    )
    .await?;
    Ok(Json(Message {
        message: "Successfully logged out",
    }))
}

async fn issue_pair(
    state: &AppState,
    user_id: &str,
    family: &str,
) -> Result<TokenResponse, ApiError> {
    let refresh_token = sessions::new_refresh_token();
    let expires_at = crate::time::unix_now() + state.config().refresh_token_ttl_secs;
    sessions::store_refresh(state.db(), user_id, family, &refresh_token, expires_at).await?;
    Ok(TokenResponse {
        access_token: auth::issue_access_token(state, user_id)?,
        refresh_token,
        token_type: "bearer",
        expires_in: state.config().access_token_ttl_secs,
    })
}

/// The authenticated user (also `GET /users/me`).
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = crate::openapi::User),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = crate::openapi::ErrorBody),
        (status = 400, description = "Inactive user", body = crate::openapi::ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn me(current: CurrentUser) -> Json<User> {
    Json(current.user)
}

fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(ApiError::Unprocessable(format!(
            "{field} must be {min} to {max} characters"
        )));
    }
    Ok(())
}
