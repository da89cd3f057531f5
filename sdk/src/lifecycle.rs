//! Deploying and upgrading contracts through the `_lifecycle` system
//! contract: a contract definition (name, version, sequence, endorsement
//! policy, code hash) approved by org admins' signatures over it, submitted
//! with the code as an ordinary transaction. Used by `weft contract` and the
//! BaaS.

use prost::Message;
use sha2::{Digest, Sha256};
use weft_proto::{ContractDefinition, DeployRequest, SignatureWithIdentity};

use crate::{Call, ClientIdentity, CommitStatus, Gateway, GatewayError, Submitted};

/// What to deploy.
#[derive(Debug, Clone)]
pub struct Contract<'a> {
    pub name: &'a str,
    pub version: &'a str,
    /// Empty: the channel's Endorsement policy.
    pub endorsement_policy: &'a str,
    pub code: &'a [u8],
}

#[derive(Debug, Clone)]
pub struct Deployed {
    pub sequence: u64,
    pub submitted: Submitted,
    pub status: CommitStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error("_lifecycle answered something unreadable for {name}: {message}")]
    Malformed { name: String, message: String },
}

/// The `_lifecycle` call deploying (`upgrade` false) or upgrading
/// `contract` at `sequence`, approved by `approvers`.
pub fn deploy_call(contract: &Contract<'_>, sequence: u64, upgrade: bool, approvers: &[&ClientIdentity]) -> Call {
    let definition = ContractDefinition {
        name: contract.name.to_string(),
        version: contract.version.to_string(),
        sequence,
        endorsement_policy: contract.endorsement_policy.to_string(),
        code_hash: Sha256::digest(contract.code).to_vec(),
    };
    let definition_bytes = definition.encode_to_vec();
    let approvals = approvers
        .iter()
        .map(|admin| SignatureWithIdentity {
            signer: Some(admin.identity.clone()),
            signature: admin.key.sign(&definition_bytes).to_bytes().to_vec(),
        })
        .collect();
    let request = DeployRequest { definition_bytes, code: contract.code.to_vec(), approvals }.encode_to_vec();
    Call::new("_lifecycle", if upgrade { "upgrade" } else { "deploy" }, &[&request])
}

/// The sequence of `name`'s current definition, or None if it is not
/// deployed.
pub async fn current_sequence(gateway: &Gateway, name: &str) -> Result<Option<u64>, LifecycleError> {
    let list = gateway.evaluate(&Call::new("_lifecycle", "list", &[])).await?;
    let list: Vec<serde_json::Value> = serde_json::from_slice(&list)
        .map_err(|e| LifecycleError::Malformed { name: name.into(), message: e.to_string() })?;
    Ok(list.iter().find(|c| c["name"] == name).and_then(|c| c["sequence"].as_u64()))
}

/// Deploys `contract`, or upgrades it when `upgrade` (to the next
/// sequence), and waits for the commit.
pub async fn deploy(
    gateway: &Gateway,
    contract: &Contract<'_>,
    upgrade: bool,
    approvers: &[&ClientIdentity],
) -> Result<Deployed, LifecycleError> {
    let sequence = if upgrade { current_sequence(gateway, contract.name).await?.unwrap_or(0) + 1 } else { 1 };
    let (submitted, status) = gateway.submit(&deploy_call(contract, sequence, upgrade, approvers)).await?;
    Ok(Deployed { sequence, submitted, status })
}
