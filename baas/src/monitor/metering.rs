//! Metering, the second part of a chain's round: node time, storage and
//! transactions billed since the last round, and the chain's activity
//! over the last minute for the chain-wide rules.

use std::collections::BTreeMap;

use super::rules::Activity;
use super::sample::Sampled;
use super::{Memory, MonitorConfig, ACTIVITY_WINDOW_MS};
use crate::billing::{Metered, NodeClass};
use crate::problem::ApiResult;
use crate::AppState;

pub(super) async fn meter(
    state: &AppState,
    config: &MonitorConfig,
    memory: &mut Memory,
    chain: &str,
    tenant: &str,
    now: i64,
    sampled: &Sampled,
) -> ApiResult<Activity> {
    let every_ms = config.every.as_millis() as i64;
    // Metered time is the time since the last round, but no more than two
    // rounds: a gap (the server was down) is not billed.
    let elapsed_ms =
        memory.metered_at.insert(chain.to_string(), now).map_or(every_ms, |t| (now - t).clamp(0, 2 * every_ms));
    let mut metered: BTreeMap<NodeClass, Metered> = BTreeMap::new();
    for (class, disk) in &sampled.running {
        let m = metered.entry(class.clone()).or_default();
        m.node_ms += elapsed_ms;
        m.storage_byte_secs += *disk as i64 * elapsed_ms / 1000;
    }
    // Every peer commits the same transactions: billed once per chain.
    if let Some(m) = metered.values_mut().next() {
        m.transactions += sampled.did.valid as i64;
    }
    for (class, m) in &metered {
        crate::billing::record(&state.db, tenant, chain, now, class, m).await?;
    }
    let window = memory.activity.entry(chain.to_string()).or_default();
    window.push_back((now, sampled.did));
    window.retain(|(at, _)| now - at < ACTIVITY_WINDOW_MS);
    Ok(window.iter().fold(Activity::default(), |a, (_, c)| Activity {
        transactions: a.transactions + c.valid + c.invalid,
        invalid: a.invalid + c.invalid,
        leader_changes: a.leader_changes + c.leader_changes,
    }))
}
