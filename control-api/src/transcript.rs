//! Transcripts as append-only rows: one row per turn in `transcript_turns`, numbered from 1
//! within its interview (the number is the turn's id, which evidence quotes can reference).
//!
//! **Invariant:** an append is one transaction of two constant-size statements: a conditional
//! update of the interview's `turn_count` and `transcript_bytes` (which takes the row's write
//! lock on both backends, so concurrent appends get consecutive numbers) and one insert. Its
//! cost does not grow with the transcript, and the caps are checked in that same update.

use serde::Serialize;

use crate::db::Db;
use crate::error::ApiError;

/// Most turns one interview keeps.
pub const MAX_TURNS: i64 = 5000;
/// Most bytes (text plus code, UTF-8) one interview's transcript keeps: 1 MiB.
pub const MAX_BYTES: i64 = 1024 * 1024;
/// Most characters of a turn's text.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Most characters of a turn's code.
pub const MAX_CODE_CHARS: usize = 50_000;

/// Who spoke a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Interviewer,
    Candidate,
}

impl Speaker {
    fn as_str(self) -> &'static str {
        match self {
            Self::Interviewer => "interviewer",
            Self::Candidate => "candidate",
        }
    }
}

/// A turn to append.
#[derive(Debug, Clone)]
pub struct NewTurn<'a> {
    pub role: Speaker,
    pub text: &'a str,
    pub code: Option<&'a str>,
    pub language: Option<&'a str>,
}

/// A stored turn; read from a `transcript_turns` row.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct TranscriptTurn {
    /// The turn's number in its interview, from 1: its id for references.
    #[sqlx(rename = "seq")]
    pub turn: i64,
    /// `interviewer` or `candidate`.
    pub role: String,
    pub text: String,
    /// Code the candidate submitted with this turn.
    pub code: Option<String>,
    /// The code's language, on submissions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// When it was stored (RFC 3339).
    pub at: String,
}

/// Appends `turn` to interview `id` (the caller has checked ownership); returns its number.
/// 404 for no such interview; 400 when the interview already holds [`MAX_TURNS`] turns or the
/// turn would take it past [`MAX_BYTES`]; 422 for a turn over its own limits.
pub async fn append(db: &Db, id: &str, turn: &NewTurn<'_>) -> Result<i64, ApiError> {
    if turn.text.chars().count() > MAX_TEXT_CHARS
        || turn
            .code
            .is_some_and(|c| c.chars().count() > MAX_CODE_CHARS)
    {
        return Err(ApiError::Unprocessable(format!(
            "a turn's text is at most {MAX_TEXT_CHARS} and its code {MAX_CODE_CHARS} characters"
        )));
    }
    let bytes = i64::try_from(turn.text.len() + turn.code.map_or(0, str::len)).unwrap_or(i64::MAX);
    let now = crate::time::now_rfc3339();
    let mut tx = db.begin_write().await?;
    let claimed: Option<i64> = sqlx::query_scalar(
        "UPDATE interviews SET turn_count = turn_count + 1, \
         transcript_bytes = transcript_bytes + $1, updated_at = $2 \
         WHERE id = $3 AND turn_count < $4 AND transcript_bytes + $1 <= $5 RETURNING turn_count",
    )
    .bind(bytes)
    .bind(&now)
    .bind(id)
    .bind(MAX_TURNS)
    .bind(MAX_BYTES)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(seq) = claimed else {
        let exists = sqlx::query("SELECT turn_count FROM interviews WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        return Err(match exists {
            None => crate::interviews::not_found(),
            Some(_) => ApiError::BadRequest(format!(
                "the interview's transcript is full ({MAX_TURNS} turns or {MAX_BYTES} bytes)"
            )),
        });
    };
    sqlx::query(
        "INSERT INTO transcript_turns (interview_id, seq, role, text, code, language, bytes, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(seq)
    .bind(turn.role.as_str())
    .bind(turn.text)
    .bind(turn.code)
    .bind(turn.language)
    .bind(bytes)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(seq)
}

/// Every turn of interview `id`, in order (the caller has checked ownership).
pub async fn list(db: &Db, id: &str) -> Result<Vec<TranscriptTurn>, ApiError> {
    let turns = sqlx::query_as(
        "SELECT seq, role, text, code, language, at FROM transcript_turns \
         WHERE interview_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(turns)
}
