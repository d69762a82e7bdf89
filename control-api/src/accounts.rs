//! User accounts: the `users` table, written once for both backends.

use serde::Serialize;

use crate::db::{Db, Flag};
use crate::error::ApiError;

/// An e-mail address as stored: trimmed and lowercased, checked for a plausible shape (one
/// `@`, a local part of 1 to 64 characters without spaces or control characters, a domain of
/// dot-separated labels of letters, digits and hyphens ending in a label of 2+ letters), at most
/// 254 characters; 422 otherwise.
pub fn normalize_email(field: &str, raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    if is_email(&email) {
        Ok(email)
    } else {
        Err(ApiError::Unprocessable(format!(
            "{field} is not a valid e-mail address"
        )))
    }
}

/// Whether `email` (lowercase) has the shape [`normalize_email`] accepts.
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.chars().count())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[]\\,;:\"".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    email.chars().count() <= 254 && local_ok && domain_ok
}

/// A username as stored: trimmed and lowercased, 3 to 64 letters, digits, `.`, `_` or `-`.
/// It can never contain `@`, so it can never be mistaken for (or squat) an e-mail address.
pub fn normalize_username(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(name)
    } else {
        Err(ApiError::Unprocessable(
            "username must be 3 to 64 letters, digits, '.', '_' or '-' (no '@')".to_owned(),
        ))
    }
}

/// A user as the API shows it (seed 003's user object; never the password hash); read from
/// a `users` row.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub email: String,
    pub username: Option<String>,
    pub full_name: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub is_active: bool,
    #[sqlx(try_from = "Flag")]
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
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}

/// A user's row with their password hash.
#[derive(sqlx::FromRow)]
struct Credentials {
    #[sqlx(flatten)]
    user: User,
    hashed_password: String,
}

/// The user with this login and their password hash. A login with `@` is an e-mail address,
/// any other a username: usernames cannot contain `@`, so the two never match the same text.
/// `login` is already lowercased (both are stored lowercased).
pub async fn credentials(db: &Db, login: &str) -> Result<Option<(User, String)>, ApiError> {
    let field = if login.contains('@') {
        "email"
    } else {
        "username"
    };
    let row: Option<Credentials> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, hashed_password FROM users WHERE {field} = $1"
    ))
    .bind(login)
    .fetch_optional(db.pool())
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(row.map(|c| (c.user, c.hashed_password)))
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
    .await?;
    by_id(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("user not found".to_owned()))
}
