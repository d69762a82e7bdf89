//! Refresh-token rotation and access-token revocation, written once for both backends.
//!
//! Each login starts a *family*; every refresh token rotated from it joins the family. A token
//! presented again after it was rotated (a stolen copy, or the thief racing the owner) revokes
//! the whole family, so whoever holds the newest token must log in again.

use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::error::ApiError;

/// A fresh opaque refresh token (256 random bits as hex); only its hash is stored.
pub fn new_refresh_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new family id, for the first refresh token of a login.
pub fn new_family() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Stores `token` for `user_id` in `family`, valid until `expires_at` (Unix seconds).
pub async fn store_refresh(
    db: &Db,
    user_id: &str,
    family: &str,
    token: &str,
    expires_at: u64,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash(token))
    .bind(user_id)
    .bind(family)
    .bind(secs(expires_at))
    .bind(crate::time::now_rfc3339())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Consumes a refresh token: revokes it and returns its user and family, exactly once per
/// token. A token that was already used revokes its whole family and answers `None`.
pub async fn consume_refresh(
    db: &Db,
    token: &str,
    now: u64,
) -> Result<Option<(String, String)>, ApiError> {
    let token_hash = hash(token);
    let done = sqlx::query(
        "UPDATE refresh_tokens SET revoked = 1 WHERE token_hash = $1 AND revoked = 0 AND expires_at > $2",
    )
    .bind(&token_hash)
    .bind(secs(now))
    .execute(db.pool())
    .await?;
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT user_id, COALESCE(family_id, token_hash) AS family FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(&token_hash)
    .fetch_optional(db.pool())
    .await?;
    let Some((user_id, family)) = row else {
        return Ok(None);
    };
    if done.rows_affected() == 1 {
        return Ok(Some((user_id, family)));
    }
    // Known but revoked or expired: a replay. Nothing of this family may be used again.
    sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = $1")
        .bind(&family)
        .execute(db.pool())
        .await?;
    tracing::warn!("a rotated refresh token was presented again; its family is revoked");
    Ok(None)
}

/// Logout: blocks the access token `jti` and revokes every refresh token of the user.
pub async fn revoke(db: &Db, user_id: &str, jti: &str, access_exp: u64) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
        .bind(jti)
        .bind(secs(access_exp))
        .execute(db.pool())
        .await?;
    sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Whether the access token `jti` was revoked by a logout.
pub async fn is_revoked(db: &Db, jti: &str) -> Result<bool, ApiError> {
    let row = sqlx::query("SELECT jti FROM revoked_access_tokens WHERE jti = $1")
        .bind(jti)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
