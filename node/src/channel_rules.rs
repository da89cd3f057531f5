//! The channel configuration as the committer and endorser use it:
//! membership (who is who), the policies, and which contracts exist with
//! which endorsement policy.

use std::collections::BTreeMap;

use weft_identity::{IdentityError, Membership, Policy};
use weft_proto::ChannelConfig;

use crate::TxRules;

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("channel configuration: {0}")]
    Membership(#[from] IdentityError),
    #[error("channel configuration: policy {name} = {rule:?} does not parse: {message}")]
    Policy { name: String, rule: String, message: String },
    #[error("channel configuration has no {0} policy")]
    MissingPolicy(&'static str),
}

pub struct ChannelRules {
    pub channel_id: String,
    /// The configuration's sequence; an update must carry this + 1.
    pub config_sequence: u64,
    pub membership: Membership,
    pub orgs: Vec<String>,
    pub admins: Policy,
    /// For contracts deployed without their own policy.
    pub default_endorsement: Policy,
    pub contracts: BTreeMap<String, Policy>,
}

fn policy(config: &ChannelConfig, name: &'static str) -> Result<Policy, RulesError> {
    let p = config.policies.iter().find(|p| p.name == name).ok_or(RulesError::MissingPolicy(name))?;
    Policy::parse(&p.rule).map_err(|e| RulesError::Policy {
        name: name.into(),
        rule: p.rule.clone(),
        message: e.to_string(),
    })
}

impl ChannelRules {
    pub fn from_config(config: &ChannelConfig) -> Result<ChannelRules, RulesError> {
        Ok(ChannelRules {
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
        *self = ChannelRules { contracts, ..ChannelRules::from_config(config)? };
        Ok(())
    }

    /// Records a deployed contract. (Until lifecycle transactions exist,
    /// the node's operator deploys by configuration.)
    pub fn deploy(&mut self, contract: &str, endorsement: Option<Policy>) {
        let p = endorsement.unwrap_or_else(|| self.default_endorsement.clone());
        self.contracts.insert(contract.to_string(), p);
    }

    pub fn tx_rules(&self, now_unix: i64) -> TxRules<'_> {
        TxRules {
            channel_id: &self.channel_id,
            membership: &self.membership,
            channel_orgs: &self.orgs,
            endorsement_policies: &self.contracts,
            admins: &self.admins,
            config_sequence: self.config_sequence,
            now_unix,
        }
    }
}
