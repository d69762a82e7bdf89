//! Refresh-token rotation and access-token revocation, written once for both backends.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::Db;
use crate::error::{ApiError, internal};

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

/// Stores `token` for `user_id`, valid until `expires_at` (Unix seconds).
pub async fn store_refresh(
    db: &Db,
    user_id: &str,
    token: &str,
    expires_at: u64,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(hash(token))
    .bind(user_id)
    .bind(secs(expires_at))
    .bind(crate::time::now_rfc3339())
    .execute(db.pool())
    .await
    .map_err(internal)?;
    Ok(())
}

/// Consumes a refresh token: revokes it and returns its user, exactly once per token.
pub async fn consume_refresh(db: &Db, token: &str, now: u64) -> Result<Option<String>, ApiError> {
    let token_hash = hash(token);
    let done = sqlx::query(
        "UPDATE refresh_tokens SET revoked = 1 WHERE token_hash = $1 AND revoked = 0 AND expires_at > $2",
    )
    .bind(&token_hash)
    .bind(secs(now))
    .execute(db.pool())
    .await
    .map_err(internal)?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT user_id FROM refresh_tokens WHERE token_hash = $1")
        .bind(&token_hash)
        .fetch_one(db.pool())
        .await
        .map_err(internal)?;
    Ok(Some(row.try_get("user_id").map_err(internal)?))
}

/// Logout: blocks the access token `jti` and revokes every refresh token of the user.
pub async fn revoke(db: &Db, user_id: &str, jti: &str, access_exp: u64) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
        .bind(jti)
        .bind(secs(access_exp))
        .execute(db.pool())
        .await
        .map_err(internal)?;
    sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await
        .map_err(internal)?;
    Ok(())
}

/// Whether the access token `jti` was revoked by a logout.
pub async fn is_revoked(db: &Db, jti: &str) -> Result<bool, ApiError> {
    let row = sqlx::query("SELECT jti FROM revoked_access_tokens WHERE jti = $1")
        .bind(jti)
        .fetch_optional(db.pool())
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
