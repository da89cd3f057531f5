//! The BaaS database: SQLite in the data directory by default, PostgreSQL
//! when `--database-url postgres://…` names one; the same SQL runs on both
//! through sqlx's Any driver. Migrations are embedded and run at start.

use std::path::Path;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

pub type Db = AnyPool;

/// The default database: `<data_dir>/baas.db`, created on first start.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("baas.db").display())
}

/// Connects and brings the schema up to date.
pub async fn open(url: &str) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let shown = url.split('@').next_back().unwrap_or(url); // no password in logs
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .connect(url)
        .await
        .with_context(|| format!("connecting to the database {shown}"))?;
    sqlx::migrate!("./migrations").run(&pool).await.with_context(|| format!("migrating the database {shown}"))?;
    tracing::info!(database = %shown, "database ready");
    Ok(pool)
}

/// Seconds since the epoch, as rows store time.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
