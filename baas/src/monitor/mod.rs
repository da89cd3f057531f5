//! The monitor: every few seconds, each running chain's round —
//! `sample.rs` (process, Admin status, CPU, memory, disk, I/O into
//! `node_samples`), `metering.rs` (billing and the last minute's
//! activity), `alarms.rs` (the rules of `rules.rs` over what was seen;
//! alarms fire and resolve in `alarms`, the tenant's webhooks hear of each
//! change), `repair.rs` (crashed nodes restarted, failed ones replaced by
//! a standby) — then the host's reading and the samples' roll-up. Here:
//! the loop and what it remembers between rounds (the alarm and metrics
//! routes are `api::alarms`).

mod alarms;
pub mod egress;
pub mod heartbeat;
pub mod host;
mod metering;
mod repair;
pub mod rollup;
pub mod rules;
mod sample;
pub mod scrape;

pub mod users;
pub mod webhooks;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rules::Thresholds;
use scrape::Counters;

use crate::problem::{ApiResult, Problem};
use crate::AppState;

/// The window the chain-wide rules look back over.
const ACTIVITY_WINDOW_MS: i64 = 60_000;

/// How the monitor runs (weft-baas `--monitor-*` options).
#[derive(Debug, Clone, Copy)]
pub struct MonitorConfig {
    pub every: Duration,
    pub thresholds: Thresholds,
    /// Samples older than this are deleted.
    pub retention: Duration,
    /// Raw samples are kept this long, then rolled up …
    pub raw_for: Duration,
    /// … into one row per bucket this wide.
    pub bucket: Duration,
}

impl Default for MonitorConfig {
    fn default() -> MonitorConfig {
        MonitorConfig {
            every: Duration::from_secs(5),
            thresholds: Thresholds::DEFAULT,
            retention: Duration::from_secs(7 * 24 * 3600),
            raw_for: Duration::from_secs(3600),
            bucket: Duration::from_secs(60),
        }
    }
}

pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// What the monitor remembers between rounds.
#[derive(Default)]
struct Memory {
    /// (chain, node) → when it stopped answering while wanted.
    silent_since: HashMap<(String, String), i64>,
    /// (chain, node) → CPU ticks and when, at the last sample.
    cpu: HashMap<(String, String), (u64, Instant)>,
    /// (chain, node) → its restarts by the monitor.
    restarts: HashMap<(String, String), Vec<Instant>>,
    /// (chain, node) → the job replacing it with a standby. A replacement
    /// that failed is not tried again: its job says why, and the node-down
    /// alarm keeps firing for an operator.
    replacing: HashMap<(String, String), String>,
    /// (chain, node) → its counters at the last scrape.
    counters: HashMap<(String, String), Counters>,
    /// chain → what it did in each round of the last minute.
    activity: HashMap<String, VecDeque<(i64, Counters)>>,
    /// chain → when it was last metered (ms).
    metered_at: HashMap<String, i64>,
    /// Transactions per chain user, from the chains' blocks.
    users: users::Tracker,
    /// The host's last reading (CPU is a difference between two).
    host: Option<crate::runtime::host::Reading>,
    /// (chain, user) whose rate is abnormal now (a security event is
    /// recorded when it becomes so).
    abnormal: BTreeSet<(String, String)>,
    http: reqwest::Client,
}

impl Memory {
    /// Forgets what it kept about chains that are no longer running
    /// (deleted, stopped, failed): a long-lived server creating and
    /// deleting chains would otherwise keep every one's counters, windows
    /// and Gateway connections. A chain started again begins afresh, as
    /// after a server restart.
    fn keep_only(&mut self, running: &BTreeSet<String>) {
        let keep = |key: &(String, String)| running.contains(&key.0);
        self.silent_since.retain(|k, _| keep(k));
        self.cpu.retain(|k, _| keep(k));
        self.restarts.retain(|k, _| keep(k));
        self.replacing.retain(|k, _| keep(k));
        self.counters.retain(|k, _| keep(k));
        self.activity.retain(|c, _| running.contains(c));
        self.metered_at.retain(|c, _| running.contains(c));
        self.abnormal.retain(|k| keep(k));
        self.users.keep_only(running);
    }
}

/// Runs until the server stops.
pub fn start(state: AppState, config: MonitorConfig) {
    let mut stopping = state.stopping.clone();
    tokio::spawn(async move {
        let mut memory = Memory::default();
        state.heartbeat.started(config.every);
        let mut ticker = tokio::time::interval(config.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stopping.wait_for(|s| *s) => break,
            }
            let done = round(&state, &config, &mut memory).await;
            state.heartbeat.round_done();
            state.metrics.monitor_round(done.is_ok());
            if let Err(e) = done {
                tracing::warn!(error = %e.detail, "monitoring round failed");
            }
        }
        tracing::info!("monitor stopped");
    });
}

async fn round(state: &AppState, config: &MonitorConfig, memory: &mut Memory) -> ApiResult<()> {
    let chains = crate::store::chains::running_specs(&state.db).await?;
    let running: BTreeSet<String> = chains.iter().map(|(id, ..)| id.clone()).collect();
    memory.keep_only(&running);
    for (chain, tenant, spec) in chains {
        if let Err(e) = watch_chain(state, config, memory, &chain, &tenant, &spec).await {
            tracing::warn!(%chain, error = %e.detail, "could not watch the chain");
        }
    }
    if let Err(e) = crate::ops::backup_schedules::run_due(state).await {
        tracing::warn!(error = %e.detail, "could not run the backup schedules");
    }
    let reading = state.driver.host_reading();
    host::record(state, now_ms(), &reading, memory.host.as_ref()).await?;
    memory.host = Some(reading);
    let ms = |d: Duration| d.as_millis() as i64;
    rollup::roll_up(&state.db, now_ms(), ms(config.raw_for), ms(config.bucket), ms(config.retention)).await?;
    Ok(())
}

/// One chain's round: sample its nodes, meter them, evaluate the alarm
/// rules, repair what they say is broken — each its own module.
async fn watch_chain(
    state: &AppState,
    config: &MonitorConfig,
    memory: &mut Memory,
    chain: &str,
    tenant: &str,
    spec: &str,
) -> ApiResult<()> {
    let net = state.material.network(chain).await.map_err(Problem::conflict)?;
    let template = weft_provision::Template::parse(spec, "the chain's template").map_err(Problem::internal)?;
    let now = now_ms();
    let sampled = sample::nodes(state, memory, &net, chain, &template, now).await?;
    let minute = metering::meter(state, config, memory, chain, tenant, now, &sampled).await?;
    let firing = alarms::evaluate(state, config, memory, &net, chain, &sampled.observed, minute, now).await?;
    alarms::apply(state, chain, tenant, &firing).await?;
    repair::repair(state, config, memory, &net, chain, tenant, &sampled.observed, &firing, now).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_kept_about_a_chain_goes_when_it_stops_running() {
        let mut memory = Memory::default();
        for chain in ["kept", "deleted"] {
            let key = (chain.to_string(), "node0.org1".to_string());
            memory.silent_since.insert(key.clone(), 1);
            memory.counters.insert(key.clone(), Counters::default());
            memory.replacing.insert(key.clone(), "job".into());
            memory.abnormal.insert((chain.to_string(), "client@Org1".into()));
            memory.activity.insert(chain.to_string(), VecDeque::from([(1, Counters::default())]));
            memory.metered_at.insert(chain.to_string(), 1);
        }
        memory.keep_only(&BTreeSet::from(["kept".to_string()]));
        let chains = |keys: Vec<&String>| keys.into_iter().cloned().collect::<BTreeSet<_>>();
        let kept = BTreeSet::from(["kept".to_string()]);
        assert_eq!(chains(memory.silent_since.keys().map(|k| &k.0).collect()), kept);
        assert_eq!(chains(memory.counters.keys().map(|k| &k.0).collect()), kept);
        assert_eq!(chains(memory.replacing.keys().map(|k| &k.0).collect()), kept);
        assert_eq!(chains(memory.abnormal.iter().map(|k| &k.0).collect()), kept);
        assert_eq!(chains(memory.activity.keys().collect()), kept);
        assert_eq!(chains(memory.metered_at.keys().collect()), kept);
    }
}
