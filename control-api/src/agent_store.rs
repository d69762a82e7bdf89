//! The agent's writes to an interview: events (metrics, nudges, phase changes) and the final
//! report (transcript turns are [`crate::transcript`]). Used only by the service-authenticated
//! internal routes and the webhook receiver.
//!
//! **Invariant:** each append runs in one transaction that first touches the row (a write lock
//! on both backends), so concurrent appends never lose a turn; bounded lengths keep a row small.

use serde_json::Value;

use crate::db::Db;
use crate::error::ApiError;

/// Most events one interview keeps.
pub const MAX_ITEMS: usize = 5000;

/// Which JSON array column to append to.
#[derive(Debug, Clone, Copy)]
pub enum Log {
    Events,
}

impl Log {
    fn column(self) -> &'static str {
        match self {
            Self::Events => "events",
        }
    }
}

/// The owner of interview `id` (the service may act on any interview).
pub async fn owner(db: &Db, id: &str) -> Result<String, ApiError> {
    sqlx::query_scalar("SELECT user_id FROM interviews WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(crate::interviews::not_found)
}

/// Appends `item` to the interview's log; returns the new length. `phase`, when given, is set
/// in the same transaction.
pub async fn append(
    db: &Db,
    id: &str,
    log: Log,
    item: Value,
    phase: Option<&str>,
) -> Result<usize, ApiError> {
    let column = log.column();
    let now = crate::time::now_rfc3339();
    let mut tx = db.begin_write().await?;
    let touched = sqlx::query("UPDATE interviews SET updated_at = $1 WHERE id = $2")
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if touched.rows_affected() == 0 {
        return Err(crate::interviews::not_found());
    }
    let text: String = sqlx::query_scalar(&format!(
        "SELECT {column} AS log FROM interviews WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let mut items: Vec<Value> =
        serde_json::from_str(&text).map_err(|e| ApiError::Internal(e.into()))?;
    if items.len() >= MAX_ITEMS {
        return Err(ApiError::BadRequest(format!(
            "the interview's {column} is full ({MAX_ITEMS} items)"
        )));
    }
    items.push(item);
    let text = serde_json::to_string(&items).map_err(|e| ApiError::Internal(e.into()))?;
    sqlx::query(&format!(
        "UPDATE interviews SET {column} = $1, phase = COALESCE($2, phase) WHERE id = $3"
    ))
    .bind(text)
    .bind(phase)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(items.len())
}

/// Stores the final report (and scores and feedback when given).
pub async fn set_report(
    db: &Db,
    id: &str,
    report: &Value,
    technical: Option<i64>,
    behavioral: Option<i64>,
    feedback: Option<&str>,
) -> Result<(), ApiError> {
    let text = serde_json::to_string(report).map_err(|e| ApiError::Internal(e.into()))?;
    let done = sqlx::query(
        "UPDATE interviews SET report = $1, technical_score = COALESCE($2, technical_score), \
         behavioral_score = COALESCE($3, behavioral_score), \
         overall_feedback = COALESCE($4, overall_feedback), updated_at = $5 WHERE id = $6",
    )
    .bind(text)
    .bind(technical)
    .bind(behavioral)
    .bind(feedback)
    .bind(crate::time::now_rfc3339())
    .bind(id)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(crate::interviews::not_found());
    }
    Ok(())
}

/// The events log of an interview.
pub async fn events(db: &Db, id: &str) -> Result<Value, ApiError> {
    let text: String = sqlx::query_scalar("SELECT events FROM interviews WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(crate::interviews::not_found)?;
    serde_json::from_str(&text).map_err(|e| ApiError::Internal(e.into()))
}

/// The id and status of the interview held in LiveKit room `room`.
pub async fn by_room(db: &Db, room: &str) -> Result<Option<(String, String)>, ApiError> {
    let row = sqlx::query_as("SELECT id, status FROM interviews WHERE room_name = $1")
        .bind(room)
        .fetch_optional(db.pool())
        .await?;
    Ok(row)
}

/// Counts one more agent dispatch for interview `id`.
pub async fn count_dispatch(db: &Db, id: &str) -> Result<(), ApiError> {
    sqlx::query("UPDATE interviews SET dispatch_count = dispatch_count + 1 WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}
