//! Scheduled backups: a chain's schedule (`PUT …/backup-schedule`) makes
//! the monitor start a backup job whenever one is due, like an on-demand
//! one but recorded as made by "schedule"; verified scheduled backups past
//! the newest `keep` are pruned (their files removed, status "pruned").
//! On-demand backups are never pruned.

use crate::db::now;
use crate::problem::Problem;
use crate::AppState;

/// Starts the backups that are due and prunes past `keep`; the monitor
/// calls this every round. A due backup that cannot start (another job
/// runs on the chain) is tried again next round, and says why meanwhile.
pub async fn run_due(state: &AppState) -> Result<(), Problem> {
    let now = now_ms();
    for schedule in crate::store::backup_schedules::of_running_chains(&state.db).await? {
        let (chain, every, node) = (schedule.chain_id, schedule.every_minutes, schedule.node);
        prune(state, &chain, schedule.keep).await?;
        if schedule.next_at_ms > now {
            continue;
        }
        let started = match crate::ops::upgrades::no_job_running(state, &chain).await {
            Ok(()) => crate::ops::backups::begin(state, &chain, node.as_deref(), BY).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let (next, error) = match started {
            Ok(()) => (now + every * 60_000, String::new()),
            Err(e) => (now, e.detail),
        };
        crate::store::backup_schedules::set_next(&state.db, &chain, next, &error).await?;
    }
    Ok(())
}

/// Verified scheduled backups of `chain` past the newest `keep`: files
/// removed, rows marked pruned.
async fn prune(state: &AppState, chain: &str, keep: i64) -> Result<(), Problem> {
    let verified = crate::store::backups::verified_by(&state.db, chain, BY).await?;
    for id in verified.iter().skip(keep.max(0) as usize) {
        let dir = state.material.backups_dir().join(chain).join(id);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(%chain, backup = %id, "pruning {}: {e}", dir.display());
        }
        crate::store::backups::set_status(&state.db, id, "pruned").await?;
        tracing::info!(%chain, backup = %id, "scheduled backup pruned");
    }
    Ok(())
}

/// Who scheduled backups are recorded as made by.
pub const BY: &str = "schedule";

pub fn now_ms() -> i64 {
    now() * 1000
}
