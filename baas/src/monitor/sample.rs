//! Sampling, the first part of a chain's round: each node's process,
//! Admin status, CPU, memory, disk, I/O and Prometheus counters, one
//! `node_samples` row per node, and what the alarm rules observe.

use std::collections::BTreeMap;
use std::time::Instant;

use weft_provision::network::NetworkDir;
use weft_provision::{NodeRoleName, Template};

use super::rules::Observation;
use super::scrape::{self, Counters};
use super::Memory;
use crate::billing::NodeClass;
use crate::problem::ApiResult;
use crate::AppState;

/// What one round saw of a chain's nodes.
pub(super) struct Sampled {
    pub observed: Vec<Observation>,
    /// The most any node did since the last round (every peer commits the
    /// same transactions).
    pub did: Counters,
    /// Each running node's billing class and disk bytes.
    pub running: Vec<(NodeClass, u64)>,
}

pub(super) async fn nodes(
    state: &AppState,
    memory: &mut Memory,
    net: &NetworkDir,
    chain: &str,
    template: &Template,
    now: i64,
) -> ApiResult<Sampled> {
    let wanted: BTreeMap<String, bool> = crate::store::nodes::desired_of_chain(&state.db, chain)
        .await?
        .into_iter()
        .map(|(node, desired)| (node, desired == "running"))
        .collect();
    let host_disk_pct = state.driver.disk_used_pct();
    let ticks_per_sec = weft_bench::monitor::clock_ticks();
    let mut sampled = Sampled { observed: Vec::new(), did: Counters::default(), running: Vec::new() };
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
                sampled.did = sampled.did.max(now_counters.since(before));
            }
        }
        let resources = match template.orgs.iter().find(|o| o.id == node.org) {
            Some(o) => template.resources_of(o),
            None => template.resources,
        };
        if pid.is_some() {
            sampled.running.push((NodeClass::of(resources.cpu, resources.memory_mb), disk));
        }
        let own_disk_pct = disk as f64 * 100.0 / (resources.disk_gb.max(1) as f64 * (1u64 << 30) as f64);
        let sample = crate::store::node_samples::NewSample {
            up: status.is_some(),
            height: status.as_ref().map(|s| s.height as i64),
            cpu_permille,
            rss_bytes: counters.map(|c| c.1 as i64),
            disk_bytes: disk as i64,
            read_bytes: counters.map(|c| c.2 as i64),
            written_bytes: counters.map(|c| c.3 as i64),
            tx_committed: scraped.map(|c| (c.valid + c.invalid) as i64),
            latency_sum_us: scraped.map(|c| c.latency_sum_us as i64),
            latency_count: scraped.map(|c| c.latency_count as i64),
        };
        crate::store::node_samples::insert(&state.db, chain, &node.id, now, &sample).await?;
        let is_wanted = wanted.get(&node.id).copied().unwrap_or(true);
        let silent_since = if status.is_some() || !is_wanted {
            memory.silent_since.remove(&key);
            None
        } else {
            Some(*memory.silent_since.entry(key.clone()).or_insert(now))
        };
        sampled.observed.push(Observation {
            node: node.id.clone(),
            wanted: is_wanted,
            process: pid.is_some(),
            up: status.is_some(),
            height: status.as_ref().map(|s| s.height),
            silent_since_ms: silent_since,
            cert_not_after_ms: usage.cert_not_after.map(|s| s * 1000),
            orderer: node.roles.contains(&NodeRoleName::Orderer),
            peer: node.roles.contains(&NodeRoleName::Peer),
            disk_pct: Some(host_disk_pct.unwrap_or(0.0).max(own_disk_pct)),
        });
    }
    Ok(sampled)
}
