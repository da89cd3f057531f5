//! Channel configuration updates from the CLI: read the configuration in
//! force, and submit a changed one signed by every org's admin (the acting
//! org's first, as the creator), waiting until it commits VALID.

use anyhow::{bail, Result};
use weft_proto::ChannelConfig;
use weft_provision::{config_envelope, GenesisSigner};

use crate::profile::{identity_from, Loaded};

/// The channel configuration now in force: the last VALID configuration
/// transaction in the chain.
pub async fn current(gateway: &weft_sdk::Gateway, loaded: &Loaded) -> Result<ChannelConfig> {
    let mut last_error = None;
    let mut height = None;
    // Any node of the org can say how high the chain is.
    for node in loaded.manifest.nodes.iter().filter(|n| n.org == loaded.org.id) {
        match crate::admin::status(loaded, node).await {
            Ok(s) => {
                height = Some(s.height);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let height = match (height, last_error) {
        (Some(h), _) => h,
        (None, Some(e)) => return Err(e.context(format!("no node of {} answered for the chain height", loaded.org.id))),
        (None, None) => bail!("org {} has no node to ask for the chain height", loaded.org.id),
    };
    Ok(weft_sdk::config::current(gateway, height).await?)
}

/// Submits `config` (its sequence already raised by one) and returns the
/// block it committed in.
pub async fn submit(gateway: &weft_sdk::Gateway, loaded: &Loaded, config: &ChannelConfig) -> Result<u64> {
    let mut admins = Vec::new();
    for o in &loaded.manifest.orgs {
        admins.push(identity_from(&o.id, &loaded.dir.join(&o.admin_certificate), &loaded.dir.join(&o.admin_key))?);
    }
    admins.sort_by_key(|a| a.identity.org_id != loaded.org.id);
    let signers: Vec<GenesisSigner<'_>> =
        admins.iter().map(|a| GenesisSigner { identity: a.identity.clone(), key: &a.key }).collect();
    let envelope = config_envelope(config, &signers, now_ms());
    Ok(weft_sdk::config::submit(gateway, &envelope, config.sequence).await?)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
