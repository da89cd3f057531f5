//! The channel configuration as the committer and endorser use it:
//! membership (who is who), the policies, the orderers, and which contracts
//! exist with which code and endorsement policy.

use std::collections::BTreeMap;
use std::sync::Arc;

use ed25519_dalek::VerifyingKey;
use weft_consensus::pbft::CertificateCheck;
use weft_contracts::CodeHash;
use weft_identity::{Identity, IdentityError, Membership, ParsedCertificate, Policy, Signer};
use weft_proto::{ChannelConfig, ConsensusType, ContractDefinition, NodeRole};

use crate::TxRules;

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("channel configuration: {0}")]
    Membership(#[from] IdentityError),
    #[error("channel configuration: policy {name} = {rule:?} does not parse: {message}")]
    Policy { name: String, rule: String, message: String },
    #[error("channel configuration has no {0} policy")]
    MissingPolicy(&'static str),
    #[error("channel configuration: the certificate of orderer {node} gives no Ed25519 key: {message}")]
    OrdererKey { node: String, message: String },
}

#[derive(Clone)]
pub struct ChannelRules {
    /// The configuration these rules were built from (node addresses etc.).
    pub config: ChannelConfig,
    pub channel_id: String,
    /// The configuration's sequence; an update must carry this + 1.
    pub config_sequence: u64,
    pub membership: Membership,
    pub orgs: Vec<String>,
    pub admins: Policy,
    /// Who must approve deploying or upgrading a contract.
    pub lifecycle: Policy,
    /// DER certificates of the nodes with the orderer role: who may sign blocks.
    pub orderers: Vec<Vec<u8>>,
    /// PBFT channels: every block must carry a commit certificate of 2f+1
    /// orderers, checked with their keys (one orderer's signature is not
    /// enough when orderers may lie).
    pub commit_certificates: Option<Arc<CertificateCheck>>,
    /// For contracts deployed without their own policy.
    pub default_endorsement: Policy,
    pub contracts: BTreeMap<String, Policy>,
    /// Deployed contracts' definitions and code, from `_lifecycle` state.
    pub definitions: BTreeMap<String, (ContractDefinition, CodeHash)>,
    /// Who may read the channel: blocks, events, commit status, queries.
    pub readers: Policy,
    /// Who may write to it: proposals for endorsement and transactions
    /// for ordering.
    pub writers: Policy,
}

/// The channel's access policies, as Fabric names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acl {
    Readers,
    Writers,
}

impl Acl {
    pub fn name(self) -> &'static str {
        match self {
            Acl::Readers => "Readers",
            Acl::Writers => "Writers",
        }
    }
}

/// A policy a request's signer must satisfy on their own, and its name for
/// the refusal.
#[derive(Debug, Clone, Copy)]
pub struct AccessPolicy<'a> {
    pub acl: Acl,
    pub policy: &'a Policy,
}

impl AccessPolicy<'_> {
    /// Ok when `identity` alone satisfies the policy; else who was
    /// refused, by which policy (its message says what to do).
    pub fn admit(&self, identity: &Identity, channel_orgs: &[String]) -> Result<(), NotAdmitted> {
        let signer = Signer { id: identity.id, org: identity.org.clone(), role: identity.role };
        if self.policy.is_satisfied_by(&[signer], channel_orgs) {
            return Ok(());
        }
        Err(NotAdmitted {
            who: identity.common_name.clone(),
            org: identity.org.clone(),
            role: format!("{:?}", identity.role),
            acl: self.acl.name(),
            policy: self.policy.to_string(),
        })
    }
}

/// A caller an access policy refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{who} of {org} ({role}) does not satisfy the channel's {acl} policy {policy}; a channel admin can change the \
     policy by a configuration update"
)]
pub struct NotAdmitted {
    pub who: String,
    pub org: String,
    pub role: String,
    pub acl: &'static str,
    pub policy: String,
}

fn policy(config: &ChannelConfig, name: &'static str) -> Result<Policy, RulesError> {
    let p = config.policies.iter().find(|p| p.name == name).ok_or(RulesError::MissingPolicy(name))?;
    Policy::parse(&p.rule).map_err(|e| RulesError::Policy {
        name: name.into(),
        rule: p.rule.clone(),
        message: e.to_string(),
    })
}

/// Whether `node` orders for the channel.
pub fn is_orderer(node: &weft_proto::NodeConfig) -> bool {
    node.roles.contains(&(NodeRole::Orderer as i32))
}

/// The ids of the channel's orderers, in configuration order.
pub fn orderer_ids(config: &ChannelConfig) -> Vec<String> {
    config.nodes.iter().filter(|n| is_orderer(n)).map(|n| n.node_id.clone()).collect()
}

/// The orderers' ids and the Ed25519 keys of their certificates: PBFT
/// replicas sign their votes with their node keys.
pub fn pbft_orderers(config: &ChannelConfig) -> Result<Vec<(String, VerifyingKey)>, RulesError> {
    config
        .nodes
        .iter()
        .filter(|n| is_orderer(n))
        .map(|n| {
            let fail = |message: String| RulesError::OrdererKey { node: n.node_id.clone(), message };
            let cert = ParsedCertificate::parse(&n.certificate_der).map_err(|e| fail(e.to_string()))?;
            let key = VerifyingKey::from_bytes(&cert.public_key.to_bytes()).map_err(|e| fail(e.to_string()))?;
            Ok((n.node_id.clone(), key))
        })
        .collect()
}

impl ChannelRules {
    pub fn from_config(config: &ChannelConfig) -> Result<ChannelRules, RulesError> {
        let orderers = config.nodes.iter().filter(|n| is_orderer(n)).map(|n| n.certificate_der.clone()).collect();
        // Channels created before the Lifecycle (or Readers and Writers)
        // policy existed fall back to Fabric's default.
        let or_default = |name: &'static str, default: &str| match policy(config, name) {
            Err(RulesError::MissingPolicy(_)) => Ok(Policy::parse(default).expect("valid")),
            other => other,
        };
        let lifecycle = or_default("Lifecycle", "MAJORITY(admin)")?;
        let readers = or_default("Readers", "ANY(member)")?;
        let writers = or_default("Writers", "ANY(member)")?;
        let pbft = config.consensus.is_some_and(|c| c.r#type == ConsensusType::Pbft as i32);
        let commit_certificates =
            if pbft { Some(Arc::new(CertificateCheck::new(pbft_orderers(config)?))) } else { None };
        Ok(ChannelRules {
            commit_certificates,
            config: config.clone(),
            lifecycle,
            readers,
            writers,
            orderers,
            definitions: BTreeMap::new(),
            channel_id: config.channel_id.clone(),
            config_sequence: config.sequence,
            membership: Membership::from_orgs(&config.orgs)?,
            orgs: config.orgs.iter().map(|o| o.org_id.clone()).collect(),
            admins: policy(config, "Admins")?,
            default_endorsement: policy(config, "Endorsement")?,
            contracts: BTreeMap::new(),
        })
    }

    /// Replaces the configuration-derived parts with `config`'s, keeping the
    /// deployed contracts.
    pub fn apply_config(&mut self, config: &ChannelConfig) -> Result<(), RulesError> {
        let contracts = std::mem::take(&mut self.contracts);
        let definitions = std::mem::take(&mut self.definitions);
        *self = ChannelRules { contracts, definitions, ..ChannelRules::from_config(config)? };
        Ok(())
    }

    /// Records a contract and its endorsement policy without a lifecycle
    /// transaction (tests and benchmarks that run the committer alone).
    pub fn deploy(&mut self, contract: &str, endorsement: Option<Policy>) {
        let p = endorsement.unwrap_or_else(|| self.default_endorsement.clone());
        self.contracts.insert(contract.to_string(), p);
    }

    /// Records a definition committed through `_lifecycle`.
    pub fn record_definition(&mut self, definition: ContractDefinition, code: CodeHash) -> Result<(), RulesError> {
        let endorsement = if definition.endorsement_policy.is_empty() {
            self.default_endorsement.clone()
        } else {
            Policy::parse(&definition.endorsement_policy).map_err(|e| RulesError::Policy {
                name: format!("endorsement policy of contract {}", definition.name),
                rule: definition.endorsement_policy.clone(),
                message: e.to_string(),
            })?
        };
        self.contracts.insert(definition.name.clone(), endorsement);
        self.definitions.insert(definition.name.clone(), (definition, code));
        Ok(())
    }

    /// The channel's Readers or Writers policy.
    pub fn access(&self, acl: Acl) -> AccessPolicy<'_> {
        let policy = match acl {
            Acl::Readers => &self.readers,
            Acl::Writers => &self.writers,
        };
        AccessPolicy { acl, policy }
    }

    /// Contract name → code, as the contract runtime looks contracts up.
    pub fn directory(&self) -> BTreeMap<String, CodeHash> {
        self.definitions.iter().map(|(name, (_, code))| (name.clone(), *code)).collect()
    }

    pub fn tx_rules(&self, now_unix: i64) -> TxRules<'_> {
        TxRules {
            channel_id: &self.channel_id,
            membership: &self.membership,
            channel_orgs: &self.orgs,
            endorsement_policies: &self.contracts,
            admins: &self.admins,
            lifecycle: &self.lifecycle,
            default_endorsement: &self.default_endorsement,
            config_sequence: self.config_sequence,
            pbft_orderers: self.commit_certificates.is_some().then_some(self.orderers.as_slice()),
            now_unix,
        }
    }
}
