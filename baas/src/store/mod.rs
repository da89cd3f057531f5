//! The BaaS's tables, one module each: rows read into typed values, the
//! queries other layers share. Nothing here knows about HTTP handlers or
//! job bodies.

pub mod alarms;
pub mod audit_log;
pub mod backup_schedules;
pub mod backups;
pub mod benchmarks;
pub mod chain_users;
pub mod chains;
pub mod channels;
pub mod host_samples;
pub mod invoices;
pub mod jobs;
pub mod login_failures;
pub mod material;
pub mod metered_usage;
pub mod node_builds;
pub mod node_samples;
pub mod nodes;
pub mod price_plans;
pub mod quotas;
pub mod security_events;
pub mod templates;
pub mod tenants;
pub mod tokens;
pub mod users;
pub mod webhooks;

/// Whether the database answers a query.
pub async fn reachable(db: &crate::db::Db) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(db).await.map(|_| ())
}
