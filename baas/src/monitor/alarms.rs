//! Alarm evaluation, the third part of a chain's round: the rules over
//! what was sampled and the last minute's activity, per-user transaction
//! rates from the chain's new blocks, then alarms fired and resolved in
//! `alarms`, each change sent to the tenant's webhooks.

use std::collections::{BTreeMap, BTreeSet};

use weft_provision::network::NetworkDir;

use super::rules::{self, Activity, Observation, Rule};
use super::{now_ms, webhooks, Memory, MonitorConfig};
use crate::problem::ApiResult;
use crate::secrets::new_id;
use crate::store::alarms::AlarmView;
use crate::AppState;

/// The alarms that hold now: node rules, chain-wide rules and abnormal
/// per-user rates (a security event is recorded when a user's rate
/// becomes abnormal).
#[allow(clippy::too_many_arguments)]
pub(super) async fn evaluate(
    state: &AppState,
    config: &MonitorConfig,
    memory: &mut Memory,
    net: &NetworkDir,
    chain: &str,
    observed: &[Observation],
    minute: Activity,
    now: i64,
) -> ApiResult<Vec<(String, Rule, String)>> {
    let mut firing = rules::firing(observed, now, config.thresholds);
    firing.extend(rules::chain_firing(minute, config.thresholds));
    let height = observed.iter().filter(|o| o.up).filter_map(|o| o.height).max();
    if let Some(height) = height {
        match memory.users.watch(net, chain, height, now, config.thresholds).await {
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
    Ok(firing)
}

/// Fires the alarms that hold and are not firing yet, resolves those
/// firing that no longer hold; each change goes to the tenant's webhooks.
pub(super) async fn apply(
    state: &AppState,
    chain: &str,
    tenant: &str,
    firing: &[(String, Rule, String)],
) -> ApiResult<()> {
    let open: BTreeMap<(String, String), String> = crate::store::alarms::firing_of_chain(&state.db, chain)
        .await?
        .into_iter()
        .map(|(node, rule, id)| ((node, rule), id))
        .collect();
    let holding: BTreeSet<(String, String)> =
        firing.iter().map(|(n, r, _)| (n.clone(), r.as_str().to_string())).collect();
    let now = now_ms();
    for (node, rule, detail) in firing {
        if open.contains_key(&(node.clone(), rule.as_str().to_string())) {
            continue;
        }
        let id = new_id();
        crate::store::alarms::fire(&state.db, &id, chain, node, rule.as_str(), detail, now).await?;
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
        crate::store::alarms::resolve(&state.db, &id, now).await?;
        tracing::info!(%chain, %node, %rule, "alarm resolved");
        let event = serde_json::json!({"event": "alarm.resolved", "tenant_id": tenant,
            "alarm": {"id": id, "chain_id": chain, "node_id": node, "rule": rule, "status": "resolved", "resolved_at_ms": now}});
        webhooks::deliver(state, tenant, &id, event).await;
    }
    Ok(())
}
