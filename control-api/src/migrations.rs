//! The SQL migrations of both dialects, compiled into the binary (see `build.rs`).
//!
//! **Invariant:** a migration resolves exactly as sqlx resolves the same file from a folder
//! (version, description, type, SQL text and therefore checksum), so databases migrated by
//! earlier builds that read `migrations/` at run time stay valid.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};

use crate::db::Dialect;

mod files {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// The embedded migration files of `dialect` as `(file name, SQL)`, sorted by name.
pub fn files(dialect: Dialect) -> &'static [(&'static str, &'static str)] {
    match dialect {
        Dialect::Sqlite => files::SQLITE,
        Dialect::Postgres => files::POSTGRES,
    }
}

/// A migrator over the embedded migrations of `dialect`.
pub async fn migrator(dialect: Dialect) -> Result<Migrator, MigrateError> {
    Migrator::new(Embedded(files(dialect))).await
}

/// A [`MigrationSource`] over `(file name, SQL)` pairs.
#[derive(Debug, Clone, Copy)]
struct Embedded(&'static [(&'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move {
            let mut migrations = self
                .0
                .iter()
                .map(|&(name, sql)| resolve(name, sql))
                .collect::<Result<Vec<_>, _>>()?;
            migrations.sort_by_key(|m| m.version);
            Ok(migrations)
        })
    }
}

/// `<version>_<description>.sql` to a migration, with sqlx's own naming rules.
fn resolve(name: &str, sql: &'static str) -> Result<Migration, BoxDynError> {
    let (version, rest) = name
        .split_once('_')
        .filter(|(_, rest)| rest.ends_with(".sql"))
        .ok_or_else(|| format!("migration {name:?} is not named <version>_<description>.sql"))?;
    let version: i64 = version
        .parse()
        .map_err(|_| format!("migration {name:?} has no integer version prefix"))?;
    let migration_type = MigrationType::from_filename(rest);
    let description = rest
        .trim_end_matches(migration_type.suffix())
        .replace('_', " ");
    Ok(Migration::new(
        version,
        Cow::Owned(description),
        migration_type,
        Cow::Borrowed(sql),
        sql.starts_with("-- no-transaction"),
    ))
}
