//! API keys for integrators: the `api_keys` table, written once for both backends.
//!
//! **Invariant:** the `sk_` secret is shown once, at creation; only its SHA-256 hex is stored,
//! and a request is authenticated by looking that hash up.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{Db, Flag};
use crate::error::ApiError;

/// An API key as listed (never the secret); read from an `api_keys` row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct ApiKey {
    /// Id used to deactivate the key (UUID).
    pub id: String,
    /// The caller's label.
    pub name: String,
    /// The public `pk_` identifier.
    #[sqlx(rename = "public_key")]
    pub key: String,
    /// Whether requests may still use it.
    #[sqlx(try_from = "Flag")]
    pub is_active: bool,
    /// Requests authenticated with it so far.
    pub usage_count: i64,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339; null if never used.
    pub last_used_at: Option<String>,
}

/// A key just created: the listing fields plus the `sk_` secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The `sk_` secret; send it as `Authorization: Bearer sk_...` or `X-API-Key: sk_...`.
    pub secret: String,
}

const COLUMNS: &str = "id, name, public_key, is_active, usage_count, created_at, last_used_at";

/// The SHA-256 hex of a secret.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates a key for `user_id` unless they already have `limit` active keys (400, seed 003).
///
/// The user's row is touched first inside the transaction, which locks it on both backends,
/// so concurrent creations cannot both pass the count.
pub async fn create(
    db: &Db,
    user_id: &str,
    name: &str,
    limit: u32,
) -> Result<CreatedApiKey, ApiError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let active: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = $1 AND is_active = 1",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    if active >= i64::from(limit) {
        return Err(ApiError::BadRequest(format!(
            "maximum number of API keys reached ({limit} active)"
        )));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let public_key = format!("pk_{}", uuid::Uuid::new_v4().simple());
    let secret = format!(
        "sk_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let now = crate::time::now_rfc3339();
    sqlx::query(
        "INSERT INTO api_keys (id, user_id, name, public_key, secret_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(name)
    .bind(&public_key)
    .bind(hash_secret(&secret))
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey {
        key: ApiKey {
            id,
            name: name.to_owned(),
            key: public_key,
            is_active: true,
            usage_count: 0,
            created_at: now,
            last_used_at: None,
        },
        secret,
    })
}

/// The user's keys, newest first.
pub async fn list(db: &Db, user_id: &str) -> Result<Vec<ApiKey>, ApiError> {
    let keys = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(keys)
}

/// Deactivates the user's key `id`; another user's or an unknown id is a 404.
pub async fn deactivate(db: &Db, user_id: &str, id: &str) -> Result<(), ApiError> {
    let done = sqlx::query("UPDATE api_keys SET is_active = 0 WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound("API key not found".to_owned()));
    }
    Ok(())
}

/// The owner and id of the active key with this secret, counting this use.
/// Unknown and deactivated secrets are both a 401.
pub async fn authenticate(db: &Db, secret: &str) -> Result<(String, String), ApiError> {
    let (id, user_id, is_active): (String, String, Flag) =
        sqlx::query_as("SELECT id, user_id, is_active FROM api_keys WHERE secret_hash = $1")
            .bind(hash_secret(secret))
            .fetch_optional(db.pool())
            .await?
            .ok_or_else(|| ApiError::Unauthorized("invalid API key".to_owned()))?;
    if !bool::from(is_active) {
        return Err(ApiError::Unauthorized("API key is deactivated".to_owned()));
    }
    sqlx::query(
        "UPDATE api_keys SET usage_count = usage_count + 1, last_used_at = $1 WHERE id = $2",
    )
    .bind(crate::time::now_rfc3339())
    .bind(&id)
    .execute(db.pool())
    .await?;
    Ok((user_id, id))
}
