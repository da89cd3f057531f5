//! Per-tenant quotas on chains, nodes and resources. A tenant without a row
//! gets [`Quota::DEFAULT`]; a platform admin sets others. Chains that failed
//! or were deleted do not count.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;
use crate::store;
use crate::templates::Demand;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Quota {
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub max_chains: i64,
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub max_nodes: i64,
    /// Cores, summed over the tenant's nodes.
    #[schema(minimum = 0, maximum = 1000000000)]
    pub max_cpu: f64,
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub max_memory_mb: i64,
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub max_disk_gb: i64,
    /// Valid transactions a month over all the tenant's chains (as the
    /// meter counts them); absent: no limit. Past it, REST submits are
    /// refused with 429 until the month ends.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub max_tx_per_month: Option<i64>,
}

impl Quota {
    pub const DEFAULT: Quota = Quota {
        max_chains: 5,
        max_nodes: 20,
        max_cpu: 16.0,
        max_memory_mb: 32 * 1024,
        max_disk_gb: 500,
        max_tx_per_month: None,
    };

    /// What in `demand` (a new chain when `new_chain`, else nodes added to
    /// one) on top of `used` would pass this quota, as a sentence naming
    /// every limit it would break.
    pub fn refuse(&self, used: &Usage, demand: &Demand, new_chain: bool) -> Option<String> {
        let mut over = Vec::new();
        // Saturating: a sum that would overflow is over every quota.
        if new_chain && used.chains.saturating_add(1) > self.max_chains {
            over.push(format!("chains {} + 1 > {}", used.chains, self.max_chains));
        }
        if used.nodes.saturating_add(demand.nodes) > self.max_nodes {
            over.push(format!("nodes {} + {} > {}", used.nodes, demand.nodes, self.max_nodes));
        }
        let cpu = used.cpu + demand.cpu;
        if !cpu.is_finite() || cpu > self.max_cpu + 1e-9 {
            over.push(format!("cpu {} + {} > {}", used.cpu, demand.cpu, self.max_cpu));
        }
        if used.memory_mb.saturating_add(demand.memory_mb) > self.max_memory_mb {
            over.push(format!("memory_mb {} + {} > {}", used.memory_mb, demand.memory_mb, self.max_memory_mb));
        }
        if used.disk_gb.saturating_add(demand.disk_gb) > self.max_disk_gb {
            over.push(format!("disk_gb {} + {} > {}", used.disk_gb, demand.disk_gb, self.max_disk_gb));
        }
        (!over.is_empty()).then(|| over.join(", "))
    }

    pub fn check(&self) -> Result<(), String> {
        let ints = [
            ("max_chains", self.max_chains),
            ("max_nodes", self.max_nodes),
            ("max_memory_mb", self.max_memory_mb),
            ("max_disk_gb", self.max_disk_gb),
            ("max_tx_per_month", self.max_tx_per_month.unwrap_or(0)),
        ];
        if let Some((name, _)) = ints.iter().find(|(_, v)| *v < 0) {
            return Err(format!("{name}: must be 0 or more"));
        }
        if let Some((name, _)) = ints.iter().find(|(_, v)| *v > MAX_QUOTA) {
            return Err(format!("{name}: at most {MAX_QUOTA}"));
        }
        if !self.max_cpu.is_finite() || !(0.0..=MAX_QUOTA_CPU).contains(&self.max_cpu) {
            return Err(format!("max_cpu: must be a number of cores from 0 to {MAX_QUOTA_CPU}"));
        }
        Ok(())
    }
}

/// The largest count a quota may hold (2^40): sums of it with any usage
/// stay far inside an i64.
const MAX_QUOTA: i64 = 1 << 40;
/// The most cores a quota may hold (its millicores fit an i64).
const MAX_QUOTA_CPU: f64 = 1e9;

/// What a tenant's live chains use.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, ToSchema)]
pub struct Usage {
    pub chains: i64,
    pub nodes: i64,
    pub cpu: f64,
    pub memory_mb: i64,
    pub disk_gb: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuotaReport {
    pub tenant_id: String,
    pub quota: Quota,
    pub usage: Usage,
}

pub async fn quota_of(db: &Db, tenant: &str) -> Result<Quota, Problem> {
    let Some(row) = store::quotas::load(db, tenant).await? else { return Ok(Quota::DEFAULT) };
    Ok(Quota {
        max_chains: row.max_chains,
        max_nodes: row.max_nodes,
        max_cpu: row.max_cpu_millis as f64 / 1000.0,
        max_memory_mb: row.max_memory_mb,
        max_disk_gb: row.max_disk_gb,
        max_tx_per_month: row.max_tx_per_month,
    })
}

/// Replaces `tenant`'s quota.
pub async fn set(db: &Db, tenant: &str, quota: &Quota) -> Result<(), Problem> {
    let row = store::quotas::QuotaRow {
        max_chains: quota.max_chains,
        max_nodes: quota.max_nodes,
        max_cpu_millis: (quota.max_cpu * 1000.0).round() as i64,
        max_memory_mb: quota.max_memory_mb,
        max_disk_gb: quota.max_disk_gb,
        max_tx_per_month: quota.max_tx_per_month,
    };
    store::quotas::replace(db, tenant, &row).await?;
    Ok(())
}

pub async fn usage_of(db: &Db, tenant: &str) -> Result<Usage, Problem> {
    let mut u = Usage::default();
    for chain in store::chains::demands_of_tenant(db, tenant).await? {
        u.chains += 1;
        u.nodes = u.nodes.saturating_add(chain.node_count);
        u.cpu += chain.cpu_millis as f64 / 1000.0;
        u.memory_mb = u.memory_mb.saturating_add(chain.memory_mb);
        u.disk_gb = u.disk_gb.saturating_add(chain.disk_gb);
    }
    Ok(u)
}

/// Refuses `demand` (a new chain when `new_chain`, else nodes for an
/// existing one) if it would take `tenant` past its quota. Hold
/// `AppState::quota_lock` from this check until the demand is recorded.
pub async fn enforce(db: &Db, tenant: &str, demand: &Demand, new_chain: bool) -> Result<(), Problem> {
    let quota = quota_of(db, tenant).await?;
    let used = usage_of(db, tenant).await?;
    match quota.refuse(&used, demand, new_chain) {
        None => Ok(()),
        Some(why) => Err(Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "quota-exceeded",
            format!(
                "this would exceed the tenant's quota ({why}); delete a chain or node, ask for less, or ask a \
                 platform admin to raise the quota"
            ),
        )),
    }
}

/// Adds `delta` (negative to release) to a chain's recorded demand.
pub async fn add_to_chain(db: &Db, chain: &str, delta: &Demand, sign: i64) -> Result<(), sqlx::Error> {
    let delta = store::chains::Demanded {
        node_count: sign * delta.nodes,
        cpu_millis: sign * (delta.cpu * 1000.0).round() as i64,
        memory_mb: sign * delta.memory_mb,
        disk_gb: sign * delta.disk_gb,
    };
    store::chains::add_demand(db, chain, &delta).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_names_every_limit_passed() {
        let q = Quota {
            max_chains: 2,
            max_nodes: 4,
            max_cpu: 4.0,
            max_memory_mb: 4096,
            max_disk_gb: 100,
            max_tx_per_month: None,
        };
        let used = Usage { chains: 1, nodes: 1, cpu: 1.0, memory_mb: 1024, disk_gb: 20 };
        let raft3 = Demand { nodes: 3, cpu: 3.0, memory_mb: 3072, disk_gb: 60 };
        assert_eq!(q.refuse(&used, &raft3, true), None, "exactly at every limit is allowed");
        let raft5 = Demand { nodes: 5, cpu: 5.0, memory_mb: 5120, disk_gb: 100 };
        let why = q.refuse(&used, &raft5, true).unwrap();
        for part in ["nodes 1 + 5 > 4", "cpu 1 + 5 > 4", "memory_mb", "disk_gb"] {
            assert!(why.contains(part), "{why}");
        }
        assert!(!why.contains("chains"), "{why}");
        let full = Usage { chains: 2, ..Usage::default() };
        assert!(q.refuse(&full, &Demand::default(), true).unwrap().contains("chains 2 + 1 > 2"));
        let one_node = Demand { nodes: 1, cpu: 1.0, memory_mb: 1024, disk_gb: 20 };
        assert_eq!(q.refuse(&full, &one_node, false), None, "a node added to a chain is not another chain");
    }
}
