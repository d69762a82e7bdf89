//! Resume rows: the uploaded PDF's bytes and its parsed structure, owned by one user.
//!
//! **Invariant:** every query is scoped by `user_id`, so another user's resume id behaves
//! exactly like a missing one (404 at the HTTP edge).

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::ParsedResume;
use crate::db::{Db, JsonText};
use crate::error::{ApiError, internal};

/// A stored resume as the API shows it (the PDF itself is at `/resumes/{id}/file`); read
/// from a `resumes` row.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Resume {
    pub id: String,
    pub user_id: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the PDF.
    pub sha256: String,
    #[sqlx(try_from = "JsonText<ParsedResume>")]
    pub parsed: ParsedResume,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

impl From<JsonText<ParsedResume>> for ParsedResume {
    fn from(json: JsonText<ParsedResume>) -> Self {
        json.0
    }
}

const COLUMNS: &str =
    "id, user_id, filename, content_type, size_bytes, sha256, parsed, created_at, updated_at";

/// Stores a new resume in one statement, unless the account's resumes would then take more
/// than `quota` bytes (checked in that statement): 413 then.
pub async fn insert(
    db: &Db,
    user_id: &str,
    filename: &str,
    bytes: &[u8],
    parsed: &ParsedResume,
    quota: u64,
) -> Result<Resume, ApiError> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::time::now_rfc3339();
    let sha256 = hex(&Sha256::digest(bytes));
    let size = i64::try_from(bytes.len()).map_err(|e| ApiError::Internal(e.into()))?;
    let quota = i64::try_from(quota).unwrap_or(i64::MAX);
    let done = sqlx::query(
        "INSERT INTO resumes (id, user_id, filename, content_type, size_bytes, sha256, content, \
         parsed, created_at, updated_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9 \
         WHERE (SELECT COALESCE(SUM(size_bytes), 0) FROM resumes WHERE user_id = $2) + $5 <= $10",
    )
    .bind(&id)
    .bind(user_id)
    .bind(filename)
    .bind("application/pdf")
    .bind(size)
    .bind(&sha256)
    .bind(bytes.to_vec())
    .bind(to_json(parsed)?)
    .bind(&now)
    .bind(quota)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::QuotaExceeded(format!(
            "resume storage quota of {quota} bytes reached: delete resumes you no longer need"
        )));
    }
    get(db, user_id, &id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("inserted resume vanished")))
}

/// The caller's resume with this id.
pub async fn get(db: &Db, user_id: &str, id: &str) -> Result<Option<Resume>, ApiError> {
    Ok(db.owned_row("resumes", COLUMNS, user_id, id).await?)
}

/// The caller's resumes, newest first.
pub async fn list(db: &Db, user_id: &str, skip: i64, limit: i64) -> Result<Vec<Resume>, ApiError> {
    let resumes = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM resumes WHERE user_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(user_id)
    .bind(limit)
    .bind(skip)
    .fetch_all(db.pool())
    .await?;
    Ok(resumes)
}

/// How many resumes the caller has.
pub async fn count(db: &Db, user_id: &str) -> Result<i64, ApiError> {
    let n = sqlx::query_scalar("SELECT COUNT(*) AS n FROM resumes WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db.pool())
        .await?;
    Ok(n)
}

/// Changes the file name and/or the parsed structure; `None` leaves a value as it is.
pub async fn update(
    db: &Db,
    user_id: &str,
    id: &str,
    filename: Option<&str>,
    parsed: Option<&ParsedResume>,
) -> Result<Option<Resume>, ApiError> {
    let parsed = parsed.map(to_json).transpose()?;
    let done = sqlx::query(
        "UPDATE resumes SET filename = COALESCE($1, filename), parsed = COALESCE($2, parsed), \
         updated_at = $3 WHERE id = $4 AND user_id = $5",
    )
    .bind(filename)
    .bind(parsed)
    .bind(crate::time::now_rfc3339())
    .bind(id)
    .bind(user_id)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    get(db, user_id, id).await
}

/// Deletes the caller's resume; false when there was none.
pub async fn delete(db: &Db, user_id: &str, id: &str) -> Result<bool, ApiError> {
    db.delete_owned("resumes", user_id, id)
        .await
        .map_err(internal)
}

/// The stored PDF: file name and bytes.
pub async fn file(db: &Db, user_id: &str, id: &str) -> Result<Option<(String, Vec<u8>)>, ApiError> {
    Ok(db
        .owned_row("resumes", "filename, content", user_id, id)
        .await?)
}

fn to_json(parsed: &ParsedResume) -> Result<String, ApiError> {
    serde_json::to_string(parsed).map_err(|e| ApiError::Internal(e.into()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
