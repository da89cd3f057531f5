//! The monitor: every few seconds, each running chain's nodes are sampled
//! (process, Admin status, CPU, memory, disk, I/O) into `node_samples`;
//! the alarm rules (`rules.rs`) run over what was seen, alarms fire and
//! resolve in `alarms`, and their tenant's webhooks hear of each change. A
//! node whose process is gone though nobody stopped it is restarted (at
//! most `RESTARTS` times in `RESTART_WINDOW`; past that it stays down and
//! its node-down alarm keeps firing).

pub mod egress;
pub mod host;
pub mod rollup;
pub mod rules;
pub mod scrape;
pub mod standby;
pub mod users;
pub mod webhooks;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};
use weft_provision::network::NetworkDir;

use crate::billing::{Metered, NodeClass};
use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::Caller;
use crate::secrets::new_id;
use crate::store::chains::readable;
use crate::AppState;
use rules::{Activity, Observation, Rule, Thresholds};
use scrape::Counters;

/// The window the chain-wide rules look back over.
const ACTIVITY_WINDOW_MS: i64 = 60_000;

const RESTARTS: usize = 3;
const RESTART_WINDOW: Duration = Duration::from_secs(600);

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
        let mut ticker = tokio::time::interval(config.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stopping.wait_for(|s| *s) => break,
            }
            if let Err(e) = round(&state, &config, &mut memory).await {
                tracing::warn!(error = %e.detail, "monitoring round failed");
            }
        }
        tracing::info!("monitor stopped");
    });
}

async fn round(state: &AppState, config: &MonitorConfig, memory: &mut Memory) -> ApiResult<()> {
    let chains =
        sqlx::query("SELECT id, tenant_id, spec FROM chains WHERE status = 'running'").fetch_all(&state.db).await?;
    let running: BTreeSet<String> = chains.iter().filter_map(|r| r.try_get("id").ok()).collect();
    memory.keep_only(&running);
    for row in chains {
        let (chain, tenant, spec): (String, String, String) =
            (row.try_get("id")?, row.try_get("tenant_id")?, row.try_get("spec")?);
        if let Err(e) = watch_chain(state, config, memory, &chain, &tenant, &spec).await {
            tracing::warn!(%chain, error = %e.detail, "could not watch the chain");
        }
    }
    if let Err(e) = crate::backup_schedules::run_due(state).await {
        tracing::warn!(error = %e.detail, "could not run the backup schedules");
    }
    let reading = state.driver.host_reading();
    host::record(state, now_ms(), &reading, memory.host.as_ref()).await?;
    memory.host = Some(reading);
    let ms = |d: Duration| d.as_millis() as i64;
    rollup::roll_up(&state.db, now_ms(), ms(config.raw_for), ms(config.bucket), ms(config.retention)).await?;
    Ok(())
}

async fn watch_chain(
    state: &AppState,
    config: &MonitorConfig,
    memory: &mut Memory,
    chain: &str,
    tenant: &str,
    spec: &str,
) -> ApiResult<()> {
    let net = state.driver.network(chain).map_err(Problem::conflict)?;
    let template = weft_provision::Template::parse(spec, "the chain's template").map_err(Problem::internal)?;
    let wanted: BTreeMap<String, bool> = sqlx::query("SELECT node_id, desired FROM nodes WHERE chain_id = $1")
        .bind(chain)
        .fetch_all(&state.db)
        .await?
        .iter()
        .filter_map(|r| Some((r.try_get("node_id").ok()?, r.try_get::<String, _>("desired").ok()? == "running")))
        .collect();
    let now = now_ms();
    let every_ms = config.every.as_millis() as i64;
    // Metered time is the time since the last round, but no more than two
    // rounds: a gap (the server was down) is not billed.
    let elapsed_ms =
        memory.metered_at.insert(chain.to_string(), now).map_or(every_ms, |t| (now - t).clamp(0, 2 * every_ms));
    let host_disk_pct = state.driver.disk_used_pct();
    let ticks_per_sec = weft_bench::monitor::clock_ticks();
    let mut observed = Vec::new();
    let mut did = Counters::default();
    let mut metered: BTreeMap<NodeClass, Metered> = BTreeMap::new();
    for node in &net.manifest().nodes {
        let key = (chain.to_string(), node.id.clone());
        let usage = state.driver.usage(chain, node);
        let pid = state.driver.pid(chain, node);
        let status = match pid {
            Some(_) => net.status(node).await.ok(),
            None => None,
        };
        let counters = usage.counters;
        let cpu_permille = counters.and_then(|(ticks, ..)| {
            let before = memory.cpu.insert(key.clone(), (ticks, Instant::now()))?;
            let secs = before.1.elapsed().as_secs_f64().max(1e-3);
            Some((ticks.saturating_sub(before.0) as f64 / ticks_per_sec / secs * 1000.0) as i64)
        });
        let disk = usage.disk_bytes;
        let scraped = match status {
            Some(_) => scrape::fetch(&memory.http, &node.metrics).await,
            None => None,
        };
        if let Some(now_counters) = scraped {
            if let Some(before) = memory.counters.insert(key.clone(), now_counters) {
                did = did.max(now_counters.since(before));
            }
        }
        let resources = match template.orgs.iter().find(|o| o.id == node.org) {
            Some(o) => template.resources_of(o),
            None => template.resources,
        };
        if pid.is_some() {
            let m = metered.entry(NodeClass::of(resources.cpu, resources.memory_mb)).or_default();
            m.node_ms += elapsed_ms;
            m.storage_byte_secs += disk as i64 * elapsed_ms / 1000;
        }
        let own_disk_pct = disk as f64 * 100.0 / (resources.disk_gb.max(1) as f64 * (1u64 << 30) as f64);
        sqlx::query(
            "INSERT INTO node_samples (chain_id, node_id, at_ms, up, height, cpu_permille, rss_bytes, disk_bytes, \
             read_bytes, written_bytes, tx_committed, latency_sum_us, latency_count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(chain)
        .bind(&node.id)
        .bind(now)
        .bind(i32::from(status.is_some()))
        .bind(status.as_ref().map(|s| s.height as i64))
        .bind(cpu_permille)
        .bind(counters.map(|c| c.1 as i64))
        .bind(disk as i64)
        .bind(counters.map(|c| c.2 as i64))
        .bind(counters.map(|c| c.3 as i64))
        .bind(scraped.map(|c| (c.valid + c.invalid) as i64))
        .bind(scraped.map(|c| c.latency_sum_us as i64))
        .bind(scraped.map(|c| c.latency_count as i64))
        .execute(&state.db)
        .await?;
        let is_wanted = wanted.get(&node.id).copied().unwrap_or(true);
        let silent_since = if status.is_some() || !is_wanted {
            memory.silent_since.remove(&key);
            None
        } else {
            Some(*memory.silent_since.entry(key.clone()).or_insert(now))
        };
        observed.push(Observation {
            node: node.id.clone(),
            wanted: is_wanted,
            process: pid.is_some(),
            up: status.is_some(),
            height: status.as_ref().map(|s| s.height),
            silent_since_ms: silent_since,
            cert_not_after_ms: usage.cert_not_after.map(|s| s * 1000),
            orderer: node.roles.contains(&weft_provision::NodeRoleName::Orderer),
            peer: node.roles.contains(&weft_provision::NodeRoleName::Peer),
            disk_pct: Some(host_disk_pct.unwrap_or(0.0).max(own_disk_pct)),
        });
    }
    // Every peer commits the same transactions: billed once per chain.
    if let Some(m) = metered.values_mut().next() {
        m.transactions += did.valid as i64;
    }
    for (class, m) in &metered {
        crate::billing::record(&state.db, tenant, chain, now, class, m).await?;
    }
    let window = memory.activity.entry(chain.to_string()).or_default();
    window.push_back((now, did));
    window.retain(|(at, _)| now - at < ACTIVITY_WINDOW_MS);
    let minute = window.iter().fold(Activity::default(), |a, (_, c)| Activity {
        transactions: a.transactions + c.valid + c.invalid,
        invalid: a.invalid + c.invalid,
        leader_changes: a.leader_changes + c.leader_changes,
    });
    let mut firing = rules::firing(&observed, now, config.thresholds);
    firing.extend(rules::chain_firing(minute, config.thresholds));
    let height = observed.iter().filter(|o| o.up).filter_map(|o| o.height).max();
    if let Some(height) = height {
        match memory.users.watch(&net, chain, height, now, config.thresholds).await {
            Ok(abnormal) => {
                for (user, _, detail) in &abnormal {
                    if !memory.abnormal.contains(&(chain.to_string(), user.clone())) {
                        let subject = format!("{user} on chain {chain}");
                        crate::security::event(&state.db, "abnormal-tx-rate", &subject, detail).await?;
                    }
                }
                memory.abnormal.retain(|(c, _)| c != chain);
                memory.abnormal.extend(abnormal.iter().map(|(u, ..)| (chain.to_string(), u.clone())));
                firing.extend(abnormal);
            }
            Err(e) => tracing::warn!(%chain, "could not read new blocks for the per-user rates: {e}"),
        }
    }
    apply_alarms(state, chain, tenant, &firing).await?;
    for (node, rule, _) in &firing {
        if *rule == Rule::NodeCrashed {
            restart(state, memory, &net, chain, node).await;
        }
    }
    for node in rules::to_replace(&observed, now, config.thresholds) {
        let key = (chain.to_string(), node.clone());
        let Some(failed) = net.manifest().nodes.iter().find(|n| n.id == node) else { continue };
        // One job on a chain at a time: a replacement waits for the rest.
        if memory.replacing.contains_key(&key) || crate::upgrades::no_job_running(state, chain).await.is_err() {
            continue;
        }
        match standby::start(state, chain, tenant, failed).await {
            Ok(job) => memory.replacing.insert(key, job),
            Err(e) => {
                tracing::error!(%chain, %node, "could not start replacing the node: {e}");
                continue;
            }
        };
    }
    Ok(())
}

/// Fires the alarms that hold and are not firing yet, resolves those
/// firing that no longer hold; each change goes to the tenant's webhooks.
async fn apply_alarms(state: &AppState, chain: &str, tenant: &str, firing: &[(String, Rule, String)]) -> ApiResult<()> {
    let rows = sqlx::query("SELECT id, node_id, rule FROM alarms WHERE chain_id = $1 AND status = 'firing'")
        .bind(chain)
        .fetch_all(&state.db)
        .await?;
    let mut open: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in rows {
        open.insert((r.try_get("node_id")?, r.try_get("rule")?), r.try_get("id")?);
    }
    let holding: BTreeSet<(String, String)> =
        firing.iter().map(|(n, r, _)| (n.clone(), r.as_str().to_string())).collect();
    let now = now_ms();
    for (node, rule, detail) in firing {
        if open.contains_key(&(node.clone(), rule.as_str().to_string())) {
            continue;
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO alarms (id, chain_id, node_id, rule, status, detail, fired_at_ms) \
             VALUES ($1, $2, $3, $4, 'firing', $5, $6)",
        )
        .bind(&id)
        .bind(chain)
        .bind(node)
        .bind(rule.as_str())
        .bind(detail)
        .bind(now)
        .execute(&state.db)
        .await?;
        tracing::warn!(%chain, %node, rule = rule.as_str(), %detail, "alarm fired");
        let alarm = AlarmView {
            id: id.clone(),
            chain_id: chain.into(),
            node_id: node.clone(),
            rule: rule.as_str().into(),
            status: "firing".into(),
            detail: detail.clone(),
            fired_at_ms: now,
            resolved_at_ms: None,
        };
        let event = serde_json::json!({"event": "alarm.fired", "tenant_id": tenant, "alarm": alarm});
        webhooks::deliver(state, tenant, &id, event).await;
    }
    for ((node, rule), id) in open {
        if holding.contains(&(node.clone(), rule.clone())) {
            continue;
        }
        sqlx::query("UPDATE alarms SET status = 'resolved', resolved_at_ms = $1 WHERE id = $2")
            .bind(now)
            .bind(&id)
            .execute(&state.db)
            .await?;
        tracing::info!(%chain, %node, %rule, "alarm resolved");
        let event = serde_json::json!({"event": "alarm.resolved", "tenant_id": tenant,
            "alarm": {"id": id, "chain_id": chain, "node_id": node, "rule": rule, "status": "resolved", "resolved_at_ms": now}});
        webhooks::deliver(state, tenant, &id, event).await;
    }
    Ok(())
}

async fn restart(state: &AppState, memory: &mut Memory, net: &NetworkDir, chain: &str, node: &str) {
    let Some(n) = net.manifest().nodes.iter().find(|n| n.id == node).cloned() else { return };
    // Under the node lock, and only if it is still wanted on a running
    // chain: an operator may have stopped, removed or deleted it since.
    let _ops = state.node_ops.lock().await;
    let still = sqlx::query(
        "SELECT 1 AS one FROM nodes n JOIN chains c ON c.id = n.chain_id \
         WHERE n.chain_id = $1 AND n.node_id = $2 AND n.desired = 'running' AND c.status = 'running'",
    )
    .bind(chain)
    .bind(node)
    .fetch_optional(&state.db)
    .await;
    if !matches!(still, Ok(Some(_))) || state.driver.pid(chain, &n).is_some() {
        return;
    }
    let recent = memory.restarts.entry((chain.to_string(), node.to_string())).or_default();
    recent.retain(|t| t.elapsed() < RESTART_WINDOW);
    if recent.len() >= RESTARTS {
        tracing::warn!(%chain, %node, "crashed again; left down after {RESTARTS} restarts in {} min", RESTART_WINDOW.as_secs() / 60);
        return;
    }
    recent.push(Instant::now());
    match crate::builds::start_node(state, chain, &n).await {
        Ok((pid, _)) => tracing::warn!(%chain, %node, pid, "restarted a crashed node"),
        Err(e) => tracing::error!(%chain, %node, error = %e, "could not restart a crashed node"),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlarmView {
    pub id: String,
    pub chain_id: String,
    /// The node; empty for a chain-wide alarm (tx-failure-rate,
    /// leader-changes); the chain user (`<common name>@<org>`) for
    /// abnormal-tx-rate.
    pub node_id: String,
    /// node-crashed | node-down | height-lag | certificate-expiring |
    /// disk-full | tx-failure-rate | leader-changes | abnormal-tx-rate
    pub rule: String,
    /// firing | resolved
    pub status: String,
    pub detail: String,
    pub fired_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
}

#[utoipa::path(get, path = "/api/chains/{chain}/alarms", tag = "monitoring", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = [AlarmView]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn alarms(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Vec<AlarmView>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let rows = sqlx::query(
        "SELECT id, chain_id, node_id, rule, status, detail, fired_at_ms, resolved_at_ms FROM alarms \
         WHERE chain_id = $1 ORDER BY fired_at_ms DESC LIMIT 500",
    )
    .bind(&chain.id)
    .fetch_all(&state.db)
    .await?;
    let out = rows
        .iter()
        .map(|r| {
            Ok(AlarmView {
                id: r.try_get("id")?,
                chain_id: r.try_get("chain_id")?,
                node_id: r.try_get("node_id")?,
                rule: r.try_get("rule")?,
                status: r.try_get("status")?,
                detail: r.try_get("detail")?,
                fired_at_ms: r.try_get("fired_at_ms")?,
                resolved_at_ms: r.try_get("resolved_at_ms")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// One node (default: all of the chain's).
    pub node: Option<String>,
    /// From (ms since the epoch; default: 15 minutes ago).
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sample {
    pub node_id: String,
    pub at_ms: i64,
    /// 0 for a raw sample; else the width of the bucket it summarises
    /// (lowest up, highest height/memory/disk/I/O/counters, average CPU).
    pub resolution_ms: i64,
    pub up: bool,
    pub height: Option<i64>,
    /// CPU % of one core since the previous sample.
    pub cpu_pct: Option<f64>,
    pub rss_bytes: Option<i64>,
    pub disk_bytes: Option<i64>,
    pub read_bytes: Option<i64>,
    pub written_bytes: Option<i64>,
    /// Transactions this node has committed (every validation code) since
    /// its process started: throughput is the difference between samples.
    pub tx_committed: Option<i64>,
    /// Its transaction-latency histogram since it started (creation to
    /// commit on this node): sum in µs and count; the mean latency between
    /// two samples is Δsum / Δcount.
    pub latency_sum_us: Option<i64>,
    pub latency_count: Option<i64>,
}

/// The chain's node samples over a time range (at most 5000, oldest first).
#[utoipa::path(get, path = "/api/chains/{chain}/metrics", tag = "monitoring", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), SeriesQuery),
    responses((status = 200, body = [Sample]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn metrics(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiQuery(q): ApiQuery<SeriesQuery>,
) -> ApiResult<Json<Vec<Sample>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let sql = format!(
        "SELECT * FROM node_samples WHERE chain_id = $1 AND at_ms >= $2 AND at_ms < $3 {} ORDER BY at_ms LIMIT 5000",
        if q.node.is_some() { "AND node_id = $4" } else { "" }
    );
    let mut query = sqlx::query(&sql)
        .bind(&chain.id)
        .bind(q.from_ms.unwrap_or_else(|| now_ms() - 15 * 60 * 1000))
        .bind(q.to_ms.unwrap_or(i64::MAX));
    if let Some(n) = &q.node {
        query = query.bind(n);
    }
    let rows = query.fetch_all(&state.db).await?;
    let out = rows
        .iter()
        .map(|r| {
            Ok(Sample {
                node_id: r.try_get("node_id")?,
                at_ms: r.try_get("at_ms")?,
                resolution_ms: r.try_get("resolution_ms")?,
                up: r.try_get::<i32, _>("up")? == 1,
                height: r.try_get("height")?,
                cpu_pct: r.try_get::<Option<i64>, _>("cpu_permille")?.map(|p| p as f64 / 10.0),
                rss_bytes: r.try_get("rss_bytes")?,
                disk_bytes: r.try_get("disk_bytes")?,
                read_bytes: r.try_get("read_bytes")?,
                written_bytes: r.try_get("written_bytes")?,
                tx_committed: r.try_get("tx_committed")?,
                latency_sum_us: r.try_get("latency_sum_us")?,
                latency_count: r.try_get("latency_count")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Json(out))
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
