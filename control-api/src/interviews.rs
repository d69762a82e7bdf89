//! Interviews: the `interviews` table (written once for both backends) and validated input.
//!
//! **Invariant:** every read and write names the owner (`user_id`), so another user's id is a
//! 404; input is validated completely before the single statement that writes it.

use serde::{Deserialize, Serialize};

use crate::db::{Db, JsonText};
use crate::error::ApiError;

/// Every interview's LiveKit room name starts with this.
pub const ROOM_PREFIX: &str = "interview-";

/// Statuses of an interview that is over: `completed` (the interviewer closed it, or the
/// recruiter did), `left_early` (the candidate left before the close), `failed` (the agent
/// could not go on). An interview that is over is never dispatched again.
pub const ENDED: [&str; 3] = ["completed", "left_early", "failed"];

/// Whether `status` means the interview is over.
pub fn is_ended(status: &str) -> bool {
    ENDED.contains(&status)
}

/// Body of `POST /interviews` (seed 003's fields plus role, resume, language and persona).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewCreate {
    /// Default: the role's name, else `position`, else "Interview" (seed 002 sends none).
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// One of the caller's roles.
    pub role_id: Option<String>,
    /// One of the caller's resumes.
    pub resume_id: Option<String>,
    #[schema(max_length = 200)]
    pub position: Option<String>,
    #[schema(max_length = 20000)]
    pub job_description: Option<String>,
    #[schema(max_length = 200)]
    pub candidate_name: Option<String>,
    #[schema(max_length = 254)]
    pub candidate_email: Option<String>,
    /// BCP 47 tag such as "en"; default "en".
    #[schema(min_length = 2, max_length = 16)]
    pub language: Option<String>,
    /// Minutes, 1 to 180; default `interview_config.duration` or 30.
    #[schema(minimum = 1, maximum = 180)]
    pub duration_minutes: Option<u32>,
    #[schema(max_length = 2000)]
    pub persona: Option<String>,
    #[schema(max_length = 64)]
    pub scheduled_at: Option<String>,
    /// Free-form settings (seed 003: `duration`, `difficulty`), at most 10 000 bytes as JSON.
    #[schema(value_type = Option<Object>)]
    pub interview_config: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Body of `PUT /interviews/{id}`: fields to change (seed 003).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewUpdate {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 200)]
    pub candidate_name: Option<String>,
    #[schema(max_length = 254)]
    pub candidate_email: Option<String>,
    #[schema(max_length = 200)]
    pub position: Option<String>,
    #[schema(max_length = 20000)]
    pub job_description: Option<String>,
    #[schema(max_length = 64)]
    pub scheduled_at: Option<String>,
    #[schema(minimum = 0, maximum = 100)]
    pub technical_score: Option<u32>,
    #[schema(minimum = 0, maximum = 100)]
    pub behavioral_score: Option<u32>,
    #[schema(max_length = 20000)]
    pub overall_feedback: Option<String>,
}

/// A stored interview; read from an `interviews` row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Interview {
    pub id: String,
    pub title: String,
    pub role_id: Option<String>,
    pub resume_id: Option<String>,
    pub position: Option<String>,
    pub job_description: Option<String>,
    pub candidate_name: Option<String>,
    pub candidate_email: Option<String>,
    pub language: String,
    pub duration_minutes: i64,
    pub persona: Option<String>,
    pub scheduled_at: Option<String>,
    #[schema(value_type = Object)]
    #[sqlx(try_from = "JsonText<serde_json::Value>")]
    pub interview_config: serde_json::Value,
    /// `scheduled`, `in_progress` or `completed`.
    pub status: String,
    pub room_name: String,
    pub phase: String,
    pub technical_score: Option<i64>,
    pub behavioral_score: Option<i64>,
    pub overall_feedback: Option<String>,
    pub dispatch_count: i64,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[sqlx(rename = "user_id")]
    pub creator_id: String,
}

/// List filters and pagination.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InterviewFilter {
    /// Default 0.
    #[param(minimum = 0)]
    pub skip: Option<i64>,
    /// 1 to 100, default 100.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub status: Option<String>,
    pub role_id: Option<String>,
}

fn max_len(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    if value.is_some_and(|v| v.chars().count() > max) {
        return Err(ApiError::Unprocessable(format!(
            "{field} must be at most {max} characters"
        )));
    }
    Ok(())
}

fn check_title(title: &str) -> Result<(), ApiError> {
    if title.trim().is_empty() || title.chars().count() > 200 {
        return Err(ApiError::Unprocessable(
            "title must be 1 to 200 characters".to_owned(),
        ));
    }
    Ok(())
}

fn check_email(email: Option<&str>) -> Result<(), ApiError> {
    max_len("candidate_email", email, 254)?;
    if email.is_some_and(|e| !crate::accounts::is_email(&e.to_lowercase())) {
        return Err(ApiError::Unprocessable(
            "candidate_email is not an email address".to_owned(),
        ));
    }
    Ok(())
}

impl InterviewCreate {
    /// Checks every documented limit; returns the duration to store.
    pub fn validate(&self) -> Result<i64, ApiError> {
        if let Some(title) = &self.title {
            check_title(title)?;
        }
        max_len("position", self.position.as_deref(), 200)?;
        max_len("job_description", self.job_description.as_deref(), 20000)?;
        max_len("candidate_name", self.candidate_name.as_deref(), 200)?;
        check_email(self.candidate_email.as_deref())?;
        max_len("persona", self.persona.as_deref(), 2000)?;
        max_len("scheduled_at", self.scheduled_at.as_deref(), 64)?;
        if let Some(lang) = &self.language {
            let n = lang.chars().count();
            if !(2..=16).contains(&n)
                || !lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(ApiError::Unprocessable(
                    "language must be a BCP 47 tag".to_owned(),
                ));
            }
        }
        if let Some(config) = &self.interview_config {
            let size = serde_json::to_string(config)
                .map(|s| s.len())
                .unwrap_or(usize::MAX);
            if size > 10_000 {
                return Err(ApiError::Unprocessable(
                    "interview_config must be at most 10000 bytes".to_owned(),
                ));
            }
        }
        let from_config = self
            .interview_config
            .as_ref()
            .and_then(|c| c.get("duration"))
            .map(|d| {
                d.as_u64().ok_or_else(|| {
                    ApiError::Unprocessable(
                        "interview_config.duration must be whole minutes".to_owned(),
                    )
                })
            })
            .transpose()?;
        let minutes = self
            .duration_minutes
            .map(u64::from)
            .or(from_config)
            .unwrap_or(30);
        if !(1..=180).contains(&minutes) {
            return Err(ApiError::Unprocessable(
                "duration must be 1 to 180 minutes".to_owned(),
            ));
        }
        Ok(minutes as i64)
    }
}

impl InterviewUpdate {
    /// Checks every documented limit.
    pub fn validate(&self) -> Result<(), ApiError> {
        if let Some(title) = &self.title {
            check_title(title)?;
        }
        max_len("candidate_name", self.candidate_name.as_deref(), 200)?;
        check_email(self.candidate_email.as_deref())?;
        max_len("position", self.position.as_deref(), 200)?;
        max_len("job_description", self.job_description.as_deref(), 20000)?;
        max_len("scheduled_at", self.scheduled_at.as_deref(), 64)?;
        max_len("overall_feedback", self.overall_feedback.as_deref(), 20000)?;
        if self.technical_score.is_some_and(|s| s > 100)
            || self.behavioral_score.is_some_and(|s| s > 100)
        {
            return Err(ApiError::Unprocessable(
                "scores must be 0 to 100".to_owned(),
            ));
        }
        Ok(())
    }
}

const COLUMNS: &str = "id, user_id, title, role_id, resume_id, position, job_description, \
    candidate_name, candidate_email, language, duration_minutes, persona, scheduled_at, \
    interview_config, status, room_name, phase, technical_score, behavioral_score, \
    overall_feedback, dispatch_count, started_at, completed_at, created_at, updated_at";

/// Stores a validated interview; `role_id` and `resume_id` must be the user's own (else 404).
pub async fn insert(
    db: &Db,
    user_id: &str,
    input: &InterviewCreate,
) -> Result<Interview, ApiError> {
    let minutes = input.validate()?;
    let mut tx = db.begin_write().await?;
    let mut role_name = None;
    for (table, label, id) in [
        ("roles", "name", &input.role_id),
        ("resumes", "filename", &input.resume_id),
    ] {
        if let Some(id) = id {
            let found: Option<String> = sqlx::query_scalar(&format!(
                "SELECT {label} AS label FROM {table} WHERE id = $1 AND user_id = $2"
            ))
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(label) = found else {
                return Err(ApiError::NotFound(format!(
                    "{} not found",
                    &table[..table.len() - 1]
                )));
            };
            if table == "roles" {
                role_name = Some(label);
            }
        }
    }
    let title: String = input
        .title
        .clone()
        .or(role_name)
        .or_else(|| input.position.clone())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "Interview".to_owned())
        .chars()
        .take(200)
        .collect();
    let id = uuid::Uuid::new_v4().to_string();
    let room = format!("{ROOM_PREFIX}{}", uuid::Uuid::new_v4().simple());
    let now = crate::time::now_rfc3339();
    let config = serde_json::to_string(&input.interview_config.clone().unwrap_or_default())
        .map_err(|e| ApiError::Internal(e.into()))?;
    sqlx::query(
        "INSERT INTO interviews (id, user_id, title, role_id, resume_id, position, job_description, \
         candidate_name, candidate_email, language, duration_minutes, persona, scheduled_at, \
         interview_config, status, room_name, phase, transcript, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'scheduled', $15, \
         'not_started', '[]', $16, $16)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(&title)
    .bind(&input.role_id)
    .bind(&input.resume_id)
    .bind(&input.position)
    .bind(&input.job_description)
    .bind(&input.candidate_name)
    .bind(&input.candidate_email)
    .bind(input.language.as_deref().unwrap_or("en"))
    .bind(minutes)
    .bind(&input.persona)
    .bind(&input.scheduled_at)
    .bind(config)
    .bind(&room)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    by_id(db, user_id, &id).await?.ok_or_else(not_found)
}

/// The user's interview `id`, if it exists and is theirs.
pub async fn by_id(db: &Db, user_id: &str, id: &str) -> Result<Option<Interview>, ApiError> {
    Ok(db.owned_row("interviews", COLUMNS, user_id, id).await?)
}

/// A page of the user's interviews, newest first.
pub async fn list(db: &Db, user_id: &str, f: &InterviewFilter) -> Result<Vec<Interview>, ApiError> {
    let skip = f.skip.unwrap_or(0);
    let limit = f.limit.unwrap_or(100);
    if skip < 0 || !(1..=100).contains(&limit) {
        return Err(ApiError::Unprocessable(
            "skip must be >= 0 and limit 1 to 100".to_owned(),
        ));
    }
    let interviews = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM interviews WHERE user_id = $1 \
         AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR role_id = $3) \
         ORDER BY created_at DESC, id LIMIT $4 OFFSET $5"
    ))
    .bind(user_id)
    .bind(&f.status)
    .bind(&f.role_id)
    .bind(limit)
    .bind(skip)
    .fetch_all(db.pool())
    .await?;
    Ok(interviews)
}

/// Applies a validated update to the user's interview; 404 if it is not theirs.
pub async fn update(
    db: &Db,
    user_id: &str,
    id: &str,
    u: &InterviewUpdate,
) -> Result<Interview, ApiError> {
    u.validate()?;
    let done = sqlx::query(
        "UPDATE interviews SET title = COALESCE($1, title), \
         candidate_name = COALESCE($2, candidate_name), candidate_email = COALESCE($3, candidate_email), \
         position = COALESCE($4, position), job_description = COALESCE($5, job_description), \
         scheduled_at = COALESCE($6, scheduled_at), technical_score = COALESCE($7, technical_score), \
         behavioral_score = COALESCE($8, behavioral_score), \
         overall_feedback = COALESCE($9, overall_feedback), updated_at = $10 \
         WHERE id = $11 AND user_id = $12",
    )
    .bind(&u.title)
    .bind(&u.candidate_name)
    .bind(&u.candidate_email)
    .bind(&u.position)
    .bind(&u.job_description)
    .bind(&u.scheduled_at)
    .bind(u.technical_score.map(i64::from))
    .bind(u.behavioral_score.map(i64::from))
    .bind(&u.overall_feedback)
    .bind(crate::time::now_rfc3339())
    .bind(id)
    .bind(user_id)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_found());
    }
    by_id(db, user_id, id).await?.ok_or_else(not_found)
}

/// Deletes the user's interview; 404 if it is not theirs.
pub async fn delete(db: &Db, user_id: &str, id: &str) -> Result<(), ApiError> {
    if db.delete_owned("interviews", user_id, id).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// Claims the first start of the user's interview: `scheduled` becomes `in_progress` with one
/// dispatch counted, atomically, so of two concurrent starts exactly one gets `true` and
/// dispatches the agent; the other (and every later call) gets `false` and dispatches nothing.
pub async fn claim_start(db: &Db, user_id: &str, id: &str) -> Result<bool, ApiError> {
    let now = crate::time::now_rfc3339();
    let done = sqlx::query(
        "UPDATE interviews SET status = 'in_progress', started_at = COALESCE(started_at, $1), \
         dispatch_count = dispatch_count + 1, updated_at = $1 \
         WHERE id = $2 AND user_id = $3 AND status = 'scheduled' AND dispatch_count = 0",
    )
    .bind(&now)
    .bind(id)
    .bind(user_id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Undoes [`claim_start`] when the room could not be opened, so that a retry dispatches.
pub async fn release_start(db: &Db, user_id: &str, id: &str) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE interviews SET status = 'scheduled', started_at = NULL, dispatch_count = 0 \
         WHERE id = $1 AND user_id = $2 AND status = 'in_progress' AND dispatch_count = 1",
    )
    .bind(id)
    .bind(user_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Marks the user's interview completed (the first completion time is kept).
pub async fn mark_completed(db: &Db, user_id: &str, id: &str) -> Result<(), ApiError> {
    let now = crate::time::now_rfc3339();
    sqlx::query(
        "UPDATE interviews SET status = 'completed', completed_at = COALESCE(completed_at, $1), \
         updated_at = $1 WHERE id = $2 AND user_id = $3",
    )
    .bind(&now)
    .bind(id)
    .bind(user_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Ends interview `id` with `status` (one of [`ENDED`]) unless it has ended already;
/// returns whether this call ended it.
pub async fn mark_ended(db: &Db, id: &str, status: &str) -> Result<bool, ApiError> {
    let now = crate::time::now_rfc3339();
    let done = sqlx::query(
        "UPDATE interviews SET status = $1, completed_at = COALESCE(completed_at, $2), \
         updated_at = $2 WHERE id = $3 AND status NOT IN ('completed', 'left_early', 'failed')",
    )
    .bind(status)
    .bind(&now)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The stored report (JSON or null) of the user's interview.
pub async fn report(db: &Db, user_id: &str, id: &str) -> Result<serde_json::Value, ApiError> {
    // A NULL report reads as JSON null.
    let (JsonText(report),): (JsonText<serde_json::Value>,) = db
        .owned_row("interviews", "report", user_id, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(report)
}

/// The 404 of an interview that does not exist or is not the caller's.
pub fn not_found() -> ApiError {
    ApiError::NotFound("interview not found".to_owned())
}
