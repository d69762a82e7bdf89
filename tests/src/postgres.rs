//! A throwaway database in the machine's PostgreSQL cluster.
//!
//! The cluster is started if it is down (as `scripts/setup.sh` set it up). Each
//! [`TestDatabase`] is a fresh database, dropped when the value is dropped.

use std::process::Command;

use anyhow::{Context, Result, bail};

/// The maintenance database URL; override with `TEST_PG_ADMIN_URL`.
pub fn admin_url() -> String {
    std::env::var("TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://interviewer:interviewer@127.0.0.1:5432/postgres".into())
}

/// A database that exists for the lifetime of this value.
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates a database with a random name.
    pub fn create() -> Result<Self> {
        ensure_running()?;
        let name = format!("it_{:016x}", rand::random::<u64>());
        psql(&admin_url(), &format!("CREATE DATABASE {name}"))?;
        let admin = admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Ok(Self {
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// The connection URL of this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = psql(
            &admin_url(),
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Runs one SQL command with psql and returns its unaligned, tuples-only output.
pub fn psql(url: &str, sql: &str) -> Result<String> {
    let out = Command::new("psql")
        .arg(url)
        .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .context("running psql (run scripts/setup.sh)")?;
    if !out.status.success() {
        bail!(
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Makes sure the machine's cluster answers, starting it if it is down.
pub fn ensure_running() -> Result<()> {
    if psql(&admin_url(), "SELECT 1").is_ok() {
        return Ok(());
    }
    let clusters = Command::new("pg_lsclusters")
        .arg("-h")
        .output()
        .context("pg_lsclusters (is PostgreSQL installed? run scripts/setup.sh)")?;
    let listing = String::from_utf8_lossy(&clusters.stdout);
    let mut fields = listing
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace();
    let (Some(version), Some(cluster)) = (fields.next(), fields.next()) else {
        bail!("no PostgreSQL cluster: run scripts/setup.sh");
    };
    let status = Command::new("pg_ctlcluster")
        .args([version, cluster, "start"])
        .status()
        .context("pg_ctlcluster")?;
    if !status.success() {
        bail!("pg_ctlcluster {version} {cluster} start failed: {status}");
    }
    psql(&admin_url(), "SELECT 1")
        .map(drop)
        .context("PostgreSQL still does not answer after starting the cluster")
}
