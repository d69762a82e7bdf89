//! User accounts: the `users` table, written once for both backends.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::Db;
use crate::error::{ApiError, internal};

/// A user as the API shows it (seed 003's user object; never the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub username: Option<String>,
    pub full_name: Option<String>,
    pub is_active: bool,
    pub is_superuser: bool,
    pub created_at: String,
}

/// A new account to insert; the password is already hashed.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub username: Option<&'a str>,
    pub full_name: Option<&'a str>,
    pub hashed_password: &'a str,
}

const COLUMNS: &str = "id, email, username, full_name, is_active, is_superuser, created_at";

/// Inserts a user; a taken email or username is a 400, as in seed 003.
pub async fn insert(db: &Db, new: &NewUser<'_>) -> Result<User, ApiError> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::time::now_rfc3339();
    let result = sqlx::query(
        "INSERT INTO users (id, email, username, full_name, hashed_password, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(new.email)
    .bind(new.username)
    .bind(new.full_name)
    .bind(new.hashed_password)
    .bind(&now)
    .execute(db.pool())
    .await;
    match result {
        Ok(_) => by_id(db, &id)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("inserted user vanished"))),
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => Err(ApiError::BadRequest(
            "email or username already registered".to_owned(),
        )),
        Err(err) => Err(ApiError::Internal(err.into())),
    }
}

/// The user with this id, if any.
pub async fn by_id(db: &Db, id: &str) -> Result<Option<User>, ApiError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    row.as_ref().map(from_row).transpose()
}

/// The user with this email (or username) and their password hash, for login.
pub async fn credentials(db: &Db, login: &str) -> Result<Option<(User, String)>, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, hashed_password FROM users WHERE email = $1 OR username = $1"
    ))
    .bind(login)
    .fetch_optional(db.pool())
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    match row {
        Some(row) => {
            let hash: String = row.try_get("hashed_password").map_err(internal)?;
            Ok(Some((from_row(&row)?, hash)))
        }
        None => Ok(None),
    }
}

fn from_row(row: &AnyRow) -> Result<User, ApiError> {
    Ok(User {
        id: row.try_get("id").map_err(internal)?,
        email: row.try_get("email").map_err(internal)?,
        username: row.try_get("username").map_err(internal)?,
        full_name: row.try_get("full_name").map_err(internal)?,
        is_active: row.try_get::<i64, _>("is_active").map_err(internal)? != 0,
        is_superuser: row.try_get::<i64, _>("is_superuser").map_err(internal)? != 0,
        created_at: row.try_get("created_at").map_err(internal)?,
    })
}

/// Applies a profile update; `None` fields stay as they are.
pub async fn update(
    db: &Db,
    id: &str,
    full_name: Option<&str>,
    is_active: Option<bool>,
) -> Result<User, ApiError> {
    sqlx::query(
        "UPDATE users SET full_name = COALESCE($1, full_name), \
         is_active = COALESCE($2, is_active), updated_at = $3 WHERE id = $4",
    )
    .bind(full_name)
    .bind(is_active.map(i64::from))
    .bind(crate::time::now_rfc3339())
    .bind(id)
    .execute(db.pool())
    .await
    .map_err(internal)?;
    by_id(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("user not found".to_owned()))
}
