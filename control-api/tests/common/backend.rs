//! A fresh database per test on either backend: a temp SQLite file, or a throwaway
//! PostgreSQL database `it_<uuid>` created on the local server and dropped afterwards.

use control_api::{AppState, Config};
use sqlx::Connection;

/// Where the local PostgreSQL server accepts the admin connection.
pub const POSTGRES_ADMIN_URL: &str = "postgres://interviewer:interviewer@127.0.0.1:5432/postgres";

/// Which backend a generated test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test; call [`TestDb::cleanup`] at the end.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    /// Creates an empty database on `backend`.
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
                Self {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let name = format!("it_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(POSTGRES_ADMIN_URL)
                    .await
                    .expect("local PostgreSQL at 127.0.0.1:5432 (scripts/setup.sh)");
                sqlx::Connection::ping(&mut admin).await.expect("ping");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("CREATE DATABASE");
                let url = POSTGRES_ADMIN_URL.replace("/postgres", &format!("/{name}"));
                Self {
                    url,
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// App state connected to this database with migrations applied.
    pub async fn state(&self) -> AppState {
        let mut config = Config::for_database(&self.url);
        config.max_body_bytes = 64 * 1024;
        AppState::connect(config)
            .await
            .expect("connect and migrate")
    }

    /// Drops the PostgreSQL database (the SQLite temp dir goes away on drop).
    pub async fn cleanup(self) {
        if let Some(name) = &self.pg_name {
            let mut admin = sqlx::PgConnection::connect(POSTGRES_ADMIN_URL)
                .await
                .expect("admin connection");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .expect("DROP DATABASE");
        }
    }
}

/// Generates `<name>_sqlite` and `<name>_postgres` tests from one async body taking the
/// test's [`AppState`]. The database is dropped after the body returns.
#[macro_export]
macro_rules! backend_tests {
    ($(async fn $name:ident($state:ident: AppState) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn body($state: control_api::AppState) $body

                async fn run(backend: $crate::common::backend::Backend) {
                    let db = $crate::common::backend::TestDb::create(backend).await;
                    let state = db.state().await;
                    tokio::time::timeout(std::time::Duration::from_secs(60), body(state.clone()))
                        .await
                        .expect("test body finished within 60 s");
                    state.db().close().await;
                    db.cleanup().await;
                }

                #[tokio::test]
                async fn sqlite() {
                    run($crate::common::backend::Backend::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    run($crate::common::backend::Backend::Postgres).await;
                }
            }
        )*
    };
}
