//! Storage: one sqlx `Any` pool over SQLite (default) or PostgreSQL, one code path for queries.
//!
//! **Invariant:** every query is written once, with `$1`-style placeholders that both drivers
//! accept; ids are UUID text, timestamps RFC 3339 text and flags 0/1 `BIGINT`/`INTEGER`, so
//! values decode identically on both backends. Only the DDL in `migrations/<dialect>` differs;
//! it is embedded in the binary ([`crate::migrations`]) and applied on connect.

use std::path::Path;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use sqlx::any::{AnyPoolOptions, AnyRow, AnyTypeInfo, AnyValueRef, install_default_drivers};
use sqlx::error::BoxDynError;
use sqlx::{Any, AnyPool, Decode, FromRow, Row, Type};

/// The database flavour behind the pool, chosen by the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `sqlite:` URLs: an embedded file, zero set-up.
    Sqlite,
    /// `postgres:`/`postgresql:` URLs: shared by several API replicas.
    Postgres,
}

impl FromStr for Dialect {
    type Err = sqlx::Error;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(sqlx::Error::Configuration(
                "DATABASE_URL must start with sqlite: or postgres:".into(),
            ))
        }
    }
}

/// The connection pool plus the dialect it speaks.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    dialect: Dialect,
}

impl Db {
    /// Connects to `url` and applies pending migrations of its dialect.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        install_default_drivers();
        let dialect = Dialect::from_str(url)?;
        if dialect == Dialect::Sqlite {
            create_sqlite_parent_dir(url)?;
        }
        // Each connection to `sqlite::memory:` is its own database, so keep exactly one.
        let max_connections = match dialect {
            Dialect::Sqlite if url.contains(":memory:") => 1,
            Dialect::Sqlite => 4,
            Dialect::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await?;
        if dialect == Dialect::Sqlite && !url.contains(":memory:") {
            // Write-ahead logging lets readers run while one connection writes; the mode is
            // stored in the file, so setting it once covers every connection.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        crate::migrations::migrator(dialect)
            .await?
            .run(&pool)
            .await?;
        Ok(Self { pool, dialect })
    }

    /// The pool, for query modules.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. On SQLite it takes the write lock at `BEGIN IMMEDIATE`:
    /// a deferred transaction that reads first and writes later fails at once with
    /// "database is locked" when another connection wrote in between, instead of waiting.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.pool.begin().await,
        }
    }

    /// Which backend this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A round trip to the database; used by `/ready`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let row = sqlx::query("SELECT 1 AS one").fetch_one(&self.pool).await?;
        let one: i64 = row
            .try_get::<i64, _>("one")
            .or_else(|_| row.try_get::<i32, _>("one").map(i64::from))?;
        if one == 1 {
            Ok(())
        } else {
            Err(sqlx::Error::Protocol(
                "SELECT 1 returned another value".into(),
            ))
        }
    }

    /// The row of `table` (its `columns`, read as a `T`) with this `id` if it belongs to
    /// `user_id`: the one query behind every "the caller's object, or 404". `table` and
    /// `columns` are the caller's constants, never request data.
    pub async fn owned_row<T>(
        &self,
        table: &str,
        columns: &str,
        user_id: &str,
        id: &str,
    ) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        sqlx::query_as(&format!(
            "SELECT {columns} FROM {table} WHERE id = $1 AND user_id = $2"
        ))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Deletes the row of `table` with this `id` if it belongs to `user_id`; whether there
    /// was one.
    pub async fn delete_owned(
        &self,
        table: &str,
        user_id: &str,
        id: &str,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(&format!(
            "DELETE FROM {table} WHERE id = $1 AND user_id = $2"
        ))
        .bind(id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Closes the pool; later queries fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

// Column adapters for `#[derive(sqlx::FromRow)]` fields (`#[sqlx(try_from = "...")]`): the
// stored forms of the invariant above. Each decodes its column as `i64` or as text, exactly
// as those types do on both backends, then converts.

/// A 0/1 flag column (`BIGINT`/`INTEGER`) read as a `bool`: any non-zero value is true.
#[derive(Debug, Clone, Copy, sqlx::Type)]
#[sqlx(transparent)]
pub struct Flag(i64);

impl From<Flag> for bool {
    fn from(flag: Flag) -> Self {
        flag.0 != 0
    }
}

/// A Unix-seconds column (`BIGINT`) read as a `u64`; a negative value (never written) reads
/// as 0.
#[derive(Debug, Clone, Copy, sqlx::Type)]
#[sqlx(transparent)]
pub struct UnixSeconds(i64);

impl From<UnixSeconds> for u64 {
    fn from(secs: UnixSeconds) -> Self {
        u64::try_from(secs.0).unwrap_or(0)
    }
}

/// A JSON document stored as text, parsed into a `T`; a text that does not parse is a
/// decode error of its column. SQL `NULL` reads as JSON `null`, so a nullable column maps to
/// an `Option<T>` (and to an error for any other `T`).
///
/// A field of type `T` reads it with `#[sqlx(try_from = "JsonText<T>")]`, which needs
/// `From<JsonText<T>> for T`: it is implemented here for `Vec`, `Option` and
/// `serde_json::Value`, and next to each other type stored this way (the orphan rule allows
/// no blanket impl).
#[derive(Debug, Clone)]
pub struct JsonText<T>(pub T);

impl<T> Type<Any> for JsonText<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r, T: DeserializeOwned> Decode<'r, Any> for JsonText<T> {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <Option<String> as Decode<'r, Any>>::decode(value)?;
        Ok(Self(serde_json::from_str(
            text.as_deref().unwrap_or("null"),
        )?))
    }
}

impl<T> From<JsonText<Vec<T>>> for Vec<T> {
    fn from(json: JsonText<Vec<T>>) -> Self {
        json.0
    }
}

impl<T> From<JsonText<Option<T>>> for Option<T> {
    fn from(json: JsonText<Option<T>>) -> Self {
        json.0
    }
}

impl From<JsonText<serde_json::Value>> for serde_json::Value {
    fn from(json: JsonText<serde_json::Value>) -> Self {
        json.0
    }
}

/// SQLite creates the file (with `mode=rwc`) but not its folder; create that.
fn create_sqlite_parent_dir(url: &str) -> Result<(), sqlx::Error> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path.starts_with(':') {
        return Ok(());
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
    }
    Ok(())
}
