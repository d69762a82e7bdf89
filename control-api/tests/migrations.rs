//! Migrations travel inside the binary: the embedded set equals `migrations/<dialect>`, a
//! database migrated by earlier builds (which read the folder) is accepted, and the built
//! binary started from an unrelated working directory migrates a fresh database on both
//! backends.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::backend::{Backend, TestDb};
use control_api::{Db, Dialect};
use sqlx::Row;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn folder(dialect: Dialect) -> std::path::PathBuf {
    let name = match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    };
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(name)
}

#[test]
fn embedded_migrations_equal_the_folders() {
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let mut on_disk: Vec<(String, String)> = std::fs::read_dir(folder(dialect))
            .expect("migrations folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .map(|p| {
                let name = p.file_name().expect("name").to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).expect("utf-8 SQL"))
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<(String, String)> = control_api::migrations::files(dialect)
            .iter()
            .map(|&(n, s)| (n.to_owned(), s.to_owned()))
            .collect();
        assert!(!embedded.is_empty(), "{dialect:?}");
        assert_eq!(embedded, on_disk, "{dialect:?}");
    }
}

/// Applied versions and checksums, in order.
async fn applied(url: &str) -> Vec<(i64, Vec<u8>)> {
    let db = Db::connect(url).await.expect("connect");
    let rows = sqlx::query("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
        .fetch_all(db.pool())
        .await
        .expect("migration table");
    db.close().await;
    rows.iter()
        .map(|r| {
            (
                r.try_get::<i64, _>("version").expect("version"),
                r.try_get::<Vec<u8>, _>("checksum").expect("checksum"),
            )
        })
        .collect()
}

async fn folder_migrated_database_is_accepted(backend: Backend) {
    let db = TestDb::create(backend).await;
    sqlx::any::install_default_drivers();
    let dialect: Dialect = db.url.parse().expect("dialect");
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("pool");
    let from_folder = sqlx::migrate::Migrator::new(folder(dialect))
        .await
        .expect("folder migrator");
    from_folder.run(&pool).await.expect("folder migrations");
    pool.close().await;
    // Connecting runs the embedded migrator, which fails on a checksum or version mismatch.
    let versions = applied(&db.url).await;
    let expected: Vec<(i64, Vec<u8>)> = from_folder
        .iter()
        .map(|m| (m.version, m.checksum.to_vec()))
        .collect();
    assert_eq!(versions, expected);
    db.cleanup().await;
}

#[tokio::test]
async fn folder_migrated_database_is_accepted_sqlite() {
    folder_migrated_database_is_accepted(Backend::Sqlite).await;
}

#[tokio::test]
async fn folder_migrated_database_is_accepted_postgres() {
    folder_migrated_database_is_accepted(Backend::Postgres).await;
}

/// One HTTP/1.1 exchange over a fresh connection; returns the status code and the body.
async fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("read response");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn binary_migrates_from_another_directory(backend: Backend) {
    let db = TestDb::create(backend).await;
    let cwd = tempfile::tempdir().expect("temp dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_control-api"))
        .current_dir(cwd.path())
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .env("BIND", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("control-api binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("log line") {
            if let Some(rest) = line.split("addr=").nth(1) {
                return rest.split_whitespace().next().map(str::to_owned);
            }
        }
        None
    })
    .await
    .expect("the binary logs its address within 30 s")
    .expect("address in the log");
    // Keep draining the log so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    // The listener is bound before the migrations run; connections wait in its backlog until
    // the service serves, so the first answer comes after migrating.
    let (status, body) =
        tokio::time::timeout(Duration::from_secs(30), http(&addr, "GET", "/ready", ""))
            .await
            .expect("/ready answers within 30 s");
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/auth/register",
        r#"{"email":"fresh@example.com","password":"securepassword"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    child.kill().await.expect("stop the binary");

    let dialect: Dialect = db.url.parse().expect("dialect");
    let versions: Vec<i64> = applied(&db.url).await.into_iter().map(|(v, _)| v).collect();
    let expected: Vec<i64> = control_api::migrations::files(dialect)
        .iter()
        .map(|(name, _)| {
            name.split('_')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("version")
        })
        .collect();
    assert_eq!(versions, expected);
    db.cleanup().await;
}

#[tokio::test]
async fn binary_migrates_from_another_directory_sqlite() {
    binary_migrates_from_another_directory(Backend::Sqlite).await;
}

#[tokio::test]
async fn binary_migrates_from_another_directory_postgres() {
    binary_migrates_from_another_directory(Backend::Postgres).await;
}

/// A database at migration 0020 with data the 0021 migration must carry over: a username
/// shaped like an e-mail address, mixed-case usernames (two of which collide when lowercased),
/// an interview with a JSON transcript (one turn with code), and a refresh token.
async fn legacy_data_is_migrated(backend: Backend) {
    let db = TestDb::create(backend).await;
    sqlx::any::install_default_drivers();
    let dialect: Dialect = db.url.parse().expect("dialect");
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("pool");
    let mut before = sqlx::migrate::Migrator::new(folder(dialect))
        .await
        .expect("folder migrator");
    before.migrations = std::borrow::Cow::Owned(
        before
            .migrations
            .iter()
            .filter(|m| m.version <= 20)
            .cloned()
            .collect(),
    );
    before.run(&pool).await.expect("migrations up to 0020");
    let now = "2026-01-01T00:00:00Z";
    for (id, email, username) in [
        ("u1", "victim@corp.example", None),
        ("u2", "attacker@evil.example", Some("victim@corp.example")),
        ("u3", "mixed@example.com", Some("MixedCase")),
        ("u4", "dup1@example.com", Some("Dup")),
        ("u5", "dup2@example.com", Some("DUP")),
        ("u6", "lower@example.com", Some("plain")),
    ] {
        sqlx::query(
            "INSERT INTO users (id, email, username, hashed_password, created_at, updated_at) \
             VALUES ($1, $2, $3, 'x', $4, $4)",
        )
        .bind(id)
        .bind(email)
        .bind(username)
        .bind(now)
        .execute(&pool)
        .await
        .expect("legacy user");
    }
    let transcript = serde_json::json!([
        {"role": "interviewer", "text": "Tell me about Rust?", "code": null, "at": "2026-01-01T00:00:01Z"},
        {"role": "candidate", "text": "I like ownership.", "code": null, "at": "2026-01-01T00:00:02Z"},
        {"role": "candidate", "text": "", "code": "fn main() {}", "language": "rust", "at": "2026-01-01T00:00:03Z"}
    ])
    .to_string();
    sqlx::query(
        "INSERT INTO interviews (id, user_id, title, language, duration_minutes, interview_config, \
         status, room_name, phase, transcript, created_at, updated_at) \
         VALUES ('i1', 'u1', 'T', 'en', 30, '{}', 'in_progress', 'interview-legacy', 'technical', $1, $2, $2)",
    )
    .bind(&transcript)
    .bind(now)
    .execute(&pool)
    .await
    .expect("legacy interview");
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, user_id, expires_at, created_at) \
         VALUES ('h1', 'u1', 9999999999, $1)",
    )
    .bind(now)
    .execute(&pool)
    .await
    .expect("legacy refresh token");
    pool.close().await;

    let migrated = Db::connect(&db.url)
        .await
        .expect("the 0021 migration applies");
    let usernames: Vec<(String, Option<String>)> =
        sqlx::query("SELECT id, username FROM users ORDER BY id")
            .fetch_all(migrated.pool())
            .await
            .expect("users")
            .iter()
            .map(|r| {
                (
                    r.try_get("id").expect("id"),
                    r.try_get("username").expect("username"),
                )
            })
            .collect();
    let expected: Vec<(String, Option<String>)> = [
        ("u1", None),
        ("u2", None),
        ("u3", Some("mixedcase")),
        ("u4", None),
        ("u5", None),
        ("u6", Some("plain")),
    ]
    .into_iter()
    .map(|(id, name)| (id.to_owned(), name.map(str::to_owned)))
    .collect();
    assert_eq!(usernames, expected);
    let turns = control_api::transcript::list(&migrated, "i1")
        .await
        .expect("turns");
    assert_eq!(turns.len(), 3);
    assert_eq!(
        turns.iter().map(|t| t.turn).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(turns[0].text, "Tell me about Rust?");
    assert_eq!(turns[0].at, "2026-01-01T00:00:01Z");
    assert_eq!(turns[2].code.as_deref(), Some("fn main() {}"));
    assert_eq!(turns[2].language.as_deref(), Some("rust"));
    let row = sqlx::query("SELECT turn_count, transcript_bytes FROM interviews WHERE id = 'i1'")
        .fetch_one(migrated.pool())
        .await
        .expect("interview");
    assert_eq!(row.try_get::<i64, _>("turn_count").expect("count"), 3);
    let bytes = "Tell me about Rust?".len() + "I like ownership.".len() + "fn main() {}".len();
    assert_eq!(
        row.try_get::<i64, _>("transcript_bytes").expect("bytes"),
        bytes as i64
    );
    // The next append continues the numbering.
    let next = control_api::transcript::append(
        &migrated,
        "i1",
        &control_api::transcript::NewTurn {
            role: control_api::transcript::Speaker::Interviewer,
            text: "Thanks.",
            code: None,
            language: None,
        },
    )
    .await
    .expect("append");
    assert_eq!(next, 4);
    let family: Option<String> =
        sqlx::query("SELECT family_id FROM refresh_tokens WHERE token_hash = 'h1'")
            .fetch_one(migrated.pool())
            .await
            .expect("token")
            .try_get("family_id")
            .expect("family");
    assert_eq!(family.as_deref(), Some("h1"));
    migrated.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn legacy_data_is_migrated_sqlite() {
    legacy_data_is_migrated(Backend::Sqlite).await;
}

#[tokio::test]
async fn legacy_data_is_migrated_postgres() {
    legacy_data_is_migrated(Backend::Postgres).await;
}
