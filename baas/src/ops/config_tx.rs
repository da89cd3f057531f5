//! Channel configuration updates the BaaS makes with the org admin keys it
//! holds: read the configuration in force, change it, have every org's
//! admin sign it (the acting org's first, as the creator), submit through
//! the acting org's peers, wait for VALID. Errors are sentences for a job's
//! step detail or a problem's.

use tokio::sync::{Mutex, MutexGuard};
use weft_identity::Revocation;
use weft_proto::ChannelConfig;
use weft_provision::network::NetworkDir;
use weft_provision::{config_envelope, GenesisSigner, NodeRoleName};

/// `preferred` if it has a peer to submit through, else the first org that
/// has one.
fn acting_org(net: &NetworkDir, preferred: &str) -> Result<String, String> {
    let has_peer =
        |org: &str| net.manifest().nodes.iter().any(|n| n.org == org && n.roles.contains(&NodeRoleName::Peer));
    if has_peer(preferred) {
        return Ok(preferred.to_string());
    }
    net.manifest()
        .nodes
        .iter()
        .find(|n| n.roles.contains(&NodeRoleName::Peer))
        .map(|n| n.org.clone())
        .ok_or_else(|| "the chain has no peer to submit the configuration update through".to_string())
}

/// Applies `change` to the configuration in force, acting for `org` (or
/// another org with a peer); returns the new sequence and the block it
/// committed in. One update at a time (`lock`, the platform's): each builds
/// on the configuration the previous one committed.
pub async fn update(
    lock: &Mutex<()>,
    net: &NetworkDir,
    org: &str,
    change: impl FnOnce(&mut ChannelConfig) -> Result<(), String>,
) -> Result<(u64, u64), String> {
    let held = lock.lock().await;
    update_held(&held, net, org, change).await
}

/// [`update`] for a caller that holds the lock already, because what it
/// read before (e.g. the revoked certificates) must not change until its
/// update commits.
pub async fn update_held(
    held: &MutexGuard<'_, ()>,
    net: &NetworkDir,
    org: &str,
    change: impl FnOnce(&mut ChannelConfig) -> Result<(), String>,
) -> Result<(u64, u64), String> {
    let org = acting_org(net, org)?;
    update_channel(held, net, &net.manifest().channel, &org, change).await
}

/// [`update_held`] on `channel`, acting for `org`, which must be a member
/// with a peer serving it. Every admin the BaaS holds signs; the channel
/// counts the signatures of its members.
pub async fn update_channel(
    _held: &MutexGuard<'_, ()>,
    net: &NetworkDir,
    channel: &str,
    org: &str,
    change: impl FnOnce(&mut ChannelConfig) -> Result<(), String>,
) -> Result<(u64, u64), String> {
    let gateway = net.admin(org).and_then(|admin| net.gateway_on(channel, org, admin)).map_err(|e| e.to_string())?;
    let height = net.channel_height(org, channel).await.map_err(|e| e.to_string())?;
    let mut config = weft_sdk::config::current(&gateway, height)
        .await
        .map_err(|e| format!("reading {channel}'s configuration: {e}"))?;
    change(&mut config)?;
    config.sequence += 1;
    let mut admins = net.admins().map_err(|e| e.to_string())?;
    admins.sort_by_key(|a| a.identity.org_id != org);
    let signers: Vec<GenesisSigner<'_>> =
        admins.iter().map(|a| GenesisSigner { identity: a.identity.clone(), key: &a.key }).collect();
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let envelope = config_envelope(&config, &signers, now_ms as u64);
    let block = weft_sdk::config::submit(&gateway, &envelope, config.sequence)
        .await
        .map_err(|e| format!("submitting {channel}'s configuration sequence {}: {e}", config.sequence))?;
    Ok((config.sequence, block))
}

/// Publishes `org`'s CRL listing `revoked`, issued now by its CA; the
/// caller holds the configuration lock from reading `revoked` on.
pub async fn publish_crl(
    held: &MutexGuard<'_, ()>,
    net: &NetworkDir,
    org: &str,
    revoked: &[Revocation],
    now: time::OffsetDateTime,
) -> Result<(u64, u64), String> {
    let ca = net.ca(org).map_err(|e| e.to_string())?;
    let crl = ca
        .crl(revoked, revoked.len() as u64, now, now + time::Duration::days(365))
        .map_err(|e| format!("issuing {org}'s CRL: {e}"))?;
    let org_id = org.to_string();
    update_held(held, net, org, move |config| {
        let entry = config
            .orgs
            .iter_mut()
            .find(|o| o.org_id == org_id)
            .ok_or_else(|| format!("org {org_id} is not in the channel configuration"))?;
        entry.crls = vec![crl];
        Ok(())
    })
    .await
}

/// Takes node `id` out of a channel configuration; the last orderer stays.
pub fn remove_node(config: &mut ChannelConfig, id: &str) -> Result<(), String> {
    let before = config.nodes.len();
    config.nodes.retain(|n| n.node_id != id);
    if config.nodes.len() == before {
        return Err(format!("{id} is not in the channel configuration"));
    }
    if !config.nodes.iter().any(|n| n.roles.contains(&(weft_proto::NodeRole::Orderer as i32))) {
        return Err(format!("{id} is the channel's last orderer; add another orderer first"));
    }
    Ok(())
}
