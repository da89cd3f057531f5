//! Channel configuration updates the BaaS makes with the org admin keys it
//! holds: read the configuration in force, change it, have every org's
//! admin sign it (the acting org's first, as the creator), submit, wait for
//! VALID.

use weft_identity::Revocation;
use weft_proto::ChannelConfig;
use weft_provision::{config_envelope, GenesisSigner};

use crate::chain_net::ChainNet;
use crate::problem::Problem;

/// Applies `change` to the configuration in force as `org`'s admin;
/// returns the new sequence and the block it committed in.
pub async fn update(
    net: &ChainNet,
    org: &str,
    change: impl FnOnce(&mut ChannelConfig) -> Result<(), String>,
) -> Result<(u64, u64), Problem> {
    let gateway = net.gateway(org, net.admin(org).map_err(Problem::internal)?).map_err(Problem::internal)?;
    let height = net
        .height(org)
        .await
        .map_err(|e| Problem::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "chain-unavailable", e))?;
    let mut config = weft_sdk::config::current(&gateway, height).await.map_err(config_problem)?;
    change(&mut config).map_err(Problem::unprocessable)?;
    config.sequence += 1;
    let mut admins = Vec::new();
    for o in &net.manifest().orgs {
        admins.push(net.admin(&o.id).map_err(Problem::internal)?);
    }
    admins.sort_by_key(|a| a.identity.org_id != org);
    let signers: Vec<GenesisSigner<'_>> =
        admins.iter().map(|a| GenesisSigner { identity: a.identity.clone(), key: &a.key }).collect();
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let envelope = config_envelope(&config, &signers, now_ms as u64);
    let block = weft_sdk::config::submit(&gateway, &envelope, config.sequence).await.map_err(config_problem)?;
    Ok((config.sequence, block))
}

/// Publishes `org`'s CRL listing `revoked`, issued now by its CA.
pub async fn publish_crl(
    net: &ChainNet,
    org: &str,
    revoked: &[Revocation],
    now: time::OffsetDateTime,
) -> Result<(u64, u64), Problem> {
    let ca = net.ca(org).map_err(Problem::internal)?;
    let crl = ca.crl(revoked, revoked.len() as u64, now, now + time::Duration::days(365)).map_err(Problem::internal)?;
    update(net, org, |config| {
        let entry = config
            .orgs
            .iter_mut()
            .find(|o| o.org_id == org)
            .ok_or_else(|| format!("org {org} is not in the channel configuration"))?;
        entry.crls = vec![crl];
        Ok(())
    })
    .await
}

fn config_problem(e: weft_sdk::config::ConfigError) -> Problem {
    match e {
        weft_sdk::config::ConfigError::Gateway(g) => crate::rest_gateway::problem(g),
        other => Problem::internal(other),
    }
}
