//! Job roles: the `roles` table (written once for both backends) and the validated input.
//!
//! **Invariant:** a [`RoleInput`] is checked by [`RoleInput::validate`] before any write, so a
//! stored role always satisfies the documented limits; reads go through the owner's id only.

use serde::{Deserialize, Serialize};

use crate::db::{Db, JsonText};
use crate::error::ApiError;

/// A required skill and the level expected.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredSkill {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// For example "Expert"; 1 to 50 characters.
    #[schema(min_length = 1, max_length = 50)]
    pub level: String,
}

/// How many questions each phase of the interview has.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewStructure {
    #[serde(default)]
    #[schema(maximum = 50)]
    pub technical: u32,
    #[serde(default)]
    #[schema(maximum = 50)]
    pub behavioral: u32,
    #[serde(default)]
    #[schema(maximum = 50)]
    pub coding: u32,
}

/// One dimension of the scoring rubric and its weight.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricDimension {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Relative weight, greater than 0 and at most 100.
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub weight: f64,
}

/// Body of `POST /roles` and `PUT /roles/{id}` (seed 002's fields plus coding and rubric).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub category: String,
    #[schema(max_length = 100)]
    pub specialization: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub experience_level: String,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub required_skills: Vec<RequiredSkill>,
    #[serde(default)]
    pub interview_structure: InterviewStructure,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub rubric: Vec<RubricDimension>,
}

/// A stored role; read from a `roles` row (the structured parts are JSON text there).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub category: String,
    pub specialization: Option<String>,
    pub experience_level: String,
    #[sqlx(try_from = "JsonText<Vec<RequiredSkill>>")]
    pub required_skills: Vec<RequiredSkill>,
    #[sqlx(try_from = "JsonText<InterviewStructure>")]
    pub interview_structure: InterviewStructure,
    #[sqlx(try_from = "JsonText<Vec<RubricDimension>>")]
    pub rubric: Vec<RubricDimension>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<JsonText<InterviewStructure>> for InterviewStructure {
    fn from(json: JsonText<InterviewStructure>) -> Self {
        json.0
    }
}

/// Exact-match filters of the list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleFilter {
    pub category: Option<String>,
    pub specialization: Option<String>,
    pub experience_level: Option<String>,
}

fn text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let n = value.trim().chars().count();
    if n == 0 || value.chars().count() > max {
        return Err(ApiError::Unprocessable(format!(
            "{field} must be 1 to {max} characters"
        )));
    }
    Ok(())
}

impl RoleInput {
    /// Checks every documented limit.
    pub fn validate(&self) -> Result<(), ApiError> {
        text("name", &self.name, 200)?;
        text("category", &self.category, 100)?;
        text("experience_level", &self.experience_level, 100)?;
        if let Some(s) = &self.specialization {
            text("specialization", s, 100)?;
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 5000)
        {
            return Err(ApiError::Unprocessable(
                "description must be at most 5000 characters".to_owned(),
            ));
        }
        if self.required_skills.len() > 50 || self.rubric.len() > 20 {
            return Err(ApiError::Unprocessable(
                "at most 50 required_skills and 20 rubric dimensions".to_owned(),
            ));
        }
        for skill in &self.required_skills {
            text("required_skills.name", &skill.name, 100)?;
            text("required_skills.level", &skill.level, 50)?;
        }
        let s = &self.interview_structure;
        if s.technical > 50 || s.behavioral > 50 || s.coding > 50 {
            return Err(ApiError::Unprocessable(
                "interview_structure counts must be 0 to 50".to_owned(),
            ));
        }
        for dim in &self.rubric {
            text("rubric.name", &dim.name, 100)?;
            if !(dim.weight.is_finite() && dim.weight > 0.0 && dim.weight <= 100.0) {
                return Err(ApiError::Unprocessable(
                    "rubric weights must be greater than 0 and at most 100".to_owned(),
                ));
            }
        }
        Ok(())
    }
}

const COLUMNS: &str = "id, name, description, category, specialization, experience_level, \
                       required_skills, interview_structure, rubric, created_at, updated_at";

fn json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::Internal(e.into()))
}

/// Stores a validated role for `user_id`.
pub async fn insert(db: &Db, user_id: &str, input: &RoleInput) -> Result<Role, ApiError> {
    input.validate()?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::time::now_rfc3339();
    sqlx::query(&format!(
        "INSERT INTO roles (user_id, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
    ))
    .bind(user_id)
    .bind(&id)
    .bind(&input.name)
    .bind(&input.description)
    .bind(&input.category)
    .bind(&input.specialization)
    .bind(&input.experience_level)
    .bind(json(&input.required_skills)?)
    .bind(json(&input.interview_structure)?)
    .bind(json(&input.rubric)?)
    .bind(&now)
    .execute(db.pool())
    .await?;
    by_id(db, user_id, &id).await?.ok_or_else(not_found)
}

/// Replaces the user's role `id` with a validated input; 404 if it is not theirs.
pub async fn replace(
    db: &Db,
    user_id: &str,
    id: &str,
    input: &RoleInput,
) -> Result<Role, ApiError> {
    input.validate()?;
    let done = sqlx::query(
        "UPDATE roles SET name = $1, description = $2, category = $3, specialization = $4, \
         experience_level = $5, required_skills = $6, interview_structure = $7, rubric = $8, \
         updated_at = $9 WHERE id = $10 AND user_id = $11",
    )
    .bind(&input.name)
    .bind(&input.description)
    .bind(&input.category)
    .bind(&input.specialization)
    .bind(&input.experience_level)
    .bind(json(&input.required_skills)?)
    .bind(json(&input.interview_structure)?)
    .bind(json(&input.rubric)?)
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

/// The user's role `id`, if it exists and is theirs.
pub async fn by_id(db: &Db, user_id: &str, id: &str) -> Result<Option<Role>, ApiError> {
    Ok(db.owned_row("roles", COLUMNS, user_id, id).await?)
}

/// The user's roles matching every given filter, newest first.
pub async fn list(db: &Db, user_id: &str, filter: &RoleFilter) -> Result<Vec<Role>, ApiError> {
    let roles = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM roles WHERE user_id = $1 \
         AND ($2 IS NULL OR category = $2) \
         AND ($3 IS NULL OR specialization = $3) \
         AND ($4 IS NULL OR experience_level = $4) \
         ORDER BY created_at DESC, id"
    ))
    .bind(user_id)
    .bind(&filter.category)
    .bind(&filter.specialization)
    .bind(&filter.experience_level)
    .fetch_all(db.pool())
    .await?;
    Ok(roles)
}

/// Deletes the user's role `id`; 404 if it is not theirs.
pub async fn delete(db: &Db, user_id: &str, id: &str) -> Result<(), ApiError> {
    if db.delete_owned("roles", user_id, id).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// The 404 of a role that does not exist or is not the caller's.
pub fn not_found() -> ApiError {
    ApiError::NotFound("role not found".to_owned())
}
