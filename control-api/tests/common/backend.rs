//! A fresh database per test on either backend: a temp SQLite file, or a throwaway
//! PostgreSQL database from the workspace's one helper (`tests::postgres::TestDatabase`),
//! which drops it when the value is dropped, so a failing test leaves nothing behind either.

use control_api::{AppState, Config};

/// Which backend a generated test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as this value.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<tests::postgres::TestDatabase>,
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
                    _pg: None,
                }
            }
            Backend::Postgres => {
                let pg = tokio::task::spawn_blocking(tests::postgres::TestDatabase::create)
                    .await
                    .expect("create task")
                    .expect("local PostgreSQL (scripts/setup.sh)");
                Self {
                    url: pg.url().to_owned(),
                    _dir: None,
                    _pg: Some(pg),
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

    /// Drops the database now (dropping the value does the same, also on a panic).
    pub async fn cleanup(self) {
        tokio::task::spawn_blocking(move || drop(self))
            .await
            .expect("drop task");
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
