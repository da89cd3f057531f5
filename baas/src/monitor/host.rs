//! The BaaS host's own resources, sampled each monitor round for server
//! monitoring: CPU (all cores, since the last sample), memory, the data
//! directory's filesystem, network bytes in and out (every interface,
//! loopback included: nodes on one host talk over it), load, as the
//! runtime reads them (`runtime::host`); nodes sharing the host's network
//! namespace have no network counters of their own, so traffic is a host
//! figure.

use crate::runtime::host::Reading;
use crate::store::host_samples::NewHostSample;
use crate::AppState;

/// The only host of the `local` driver.
pub const LOCAL: &str = "local";

/// Records a sample; `before` is the previous reading (for CPU).
pub async fn record(state: &AppState, at_ms: i64, now: &Reading, before: Option<&Reading>) -> Result<(), sqlx::Error> {
    let cpu_permille = match (now.cpu, before.and_then(|b| b.cpu)) {
        (Some((busy, total)), Some((b0, t0))) if total > t0 => Some(((busy - b0) * 1000 / (total - t0)) as i64),
        _ => None,
    };
    let sample = NewHostSample {
        cpu_permille,
        memory_used_bytes: now.memory.map(|(t, a)| t.saturating_sub(a) as i64),
        memory_total_bytes: now.memory.map(|(t, _)| t as i64),
        disk_used_bytes: now.disk.map(|(u, _)| u as i64),
        disk_total_bytes: now.disk.map(|(_, t)| t as i64),
        net_rx_bytes: now.net.0 as i64,
        net_tx_bytes: now.net.1 as i64,
        load1_milli: now.load1.map(|l| (l * 1000.0) as i64),
    };
    crate::store::host_samples::insert(&state.db, LOCAL, at_ms, &sample).await
}

pub use crate::store::host_samples::{between, latest, HostSample};
