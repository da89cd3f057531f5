//! Job bodies: the BaaS's long work, run by the job runner with steps a
//! user can follow — provisioning and deleting chains, membership (nodes
//! and orgs), channels and their orgs and settings, backups and restore,
//! upgrades, standby replacement, benchmarks — and the configuration
//! updates they sign. Reached from `api/` and the monitor; uses `store/`
//! and the runtime, never `api/`.

pub mod backup_schedules;
pub mod backups;
pub mod benchmarks;
pub mod builds;
pub mod channel_orgs;
pub mod channel_settings;
pub mod channels;
pub mod config_tx;
pub mod jobs;
pub mod membership;
pub mod provision;
pub mod restore;
pub mod restore_channels;
pub mod standby;
pub mod upgrades;
