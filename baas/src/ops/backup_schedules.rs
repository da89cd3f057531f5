//! Scheduled backups: a chain's schedule (`PUT …/backup-schedule`) makes
//! the monitor start a backup job whenever one is due, like an on-demand
//! one but recorded as made by "schedule"; verified scheduled backups past
//! the newest `keep` are pruned (their files removed, status "pruned").
//! On-demand backups are never pruned.

use sqlx::Row;

use crate::db::now;
use crate::problem::Problem;
use crate::AppState;

/// Starts the backups that are due and prunes past `keep`; the monitor
/// calls this every round. A due backup that cannot start (another job
/// runs on the chain) is tried again next round, and says why meanwhile.
pub async fn run_due(state: &AppState) -> Result<(), Problem> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT s.chain_id, s.every_minutes, s.keep, s.node_id, s.next_at_ms FROM backup_schedules s \
         JOIN chains c ON c.id = s.chain_id WHERE c.status = 'running'",
    )
    .fetch_all(&state.db)
    .await?;
    for r in rows {
        let (chain, every, keep): (String, i64, i64) =
            (r.try_get("chain_id")?, r.try_get("every_minutes")?, r.try_get("keep")?);
        prune(state, &chain, keep).await?;
        if r.try_get::<i64, _>("next_at_ms")? > now {
            continue;
        }
        let node: Option<String> = r.try_get("node_id")?;
        let started = match crate::ops::upgrades::no_job_running(state, &chain).await {
            Ok(()) => crate::ops::backups::begin(state, &chain, node.as_deref(), BY).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let (next, error) = match started {
            Ok(()) => (now + every * 60_000, String::new()),
            Err(e) => (now, e.detail),
        };
        sqlx::query("UPDATE backup_schedules SET next_at_ms = $1, last_error = $2 WHERE chain_id = $3")
            .bind(next)
            .bind(&error)
            .bind(&chain)
            .execute(&state.db)
            .await?;
    }
    Ok(())
}

/// Verified scheduled backups of `chain` past the newest `keep`: files
/// removed, rows marked pruned.
async fn prune(state: &AppState, chain: &str, keep: i64) -> Result<(), Problem> {
    let rows = sqlx::query(
        "SELECT id FROM backups WHERE chain_id = $1 AND created_by = $2 AND status = 'verified' \
         ORDER BY created_at DESC, id DESC",
    )
    .bind(chain)
    .bind(BY)
    .fetch_all(&state.db)
    .await?;
    for r in rows.iter().skip(keep.max(0) as usize) {
        let id: String = r.try_get("id")?;
        let dir = state.material.backups_dir().join(chain).join(&id);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(%chain, backup = %id, "pruning {}: {e}", dir.display());
        }
        sqlx::query("UPDATE backups SET status = 'pruned' WHERE id = $1").bind(&id).execute(&state.db).await?;
        tracing::info!(%chain, backup = %id, "scheduled backup pruned");
    }
    Ok(())
}

/// Who scheduled backups are recorded as made by.
pub const BY: &str = "schedule";

pub fn now_ms() -> i64 {
    now() * 1000
}
