//! Network templates (`config/templates/*.toml`): what a user chooses, checked
//! before anything is generated.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use weft_identity::Policy;
use weft_proto::{BatchConfig, ChannelId, ConsensusConfig, ConsensusType, PbftParams, RaftParams};

use crate::files::read_to_string;
use crate::ProvisionError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsensusKind {
    Solo,
    Raft,
    Pbft,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeRoleName {
    Peer,
    Orderer,
}

impl NodeRoleName {
    /// As templates, node.toml, the CLI and the APIs write it.
    pub const fn name(self) -> &'static str {
        match self {
            NodeRoleName::Peer => "peer",
            NodeRoleName::Orderer => "orderer",
        }
    }

    /// "peer" or "orderer".
    pub fn parse(name: &str) -> Option<NodeRoleName> {
        match name {
            "peer" => Some(NodeRoleName::Peer),
            "orderer" => Some(NodeRoleName::Orderer),
            _ => None,
        }
    }

    /// As a channel configuration lists it.
    pub fn to_proto(self) -> weft_proto::NodeRole {
        match self {
            NodeRoleName::Peer => weft_proto::NodeRole::Peer,
            NodeRoleName::Orderer => weft_proto::NodeRole::Orderer,
        }
    }

    /// A channel configuration's role (an `i32` in the message); None for
    /// one that is neither.
    pub fn from_proto(role: i32) -> Option<NodeRoleName> {
        match weft_proto::NodeRole::try_from(role) {
            Ok(weft_proto::NodeRole::Peer) => Some(NodeRoleName::Peer),
            Ok(weft_proto::NodeRole::Orderer) => Some(NodeRoleName::Orderer),
            _ => None,
        }
    }
}

/// The largest values a template may hold: far above any real network,
/// and low enough that every sum and product over a template's nodes fits
/// in an i64 (a request's numbers never overflow the arithmetic of quotas
/// and billing).
pub mod limits {
    pub const ORGS: usize = 64;
    pub const NODES_PER_ORG: u32 = 64;
    pub const CPU: f64 = 1024.0;
    /// 16 TiB.
    pub const MEMORY_MB: u64 = 16 * 1024 * 1024;
    /// 1 PiB.
    pub const DISK_GB: u64 = 1024 * 1024;
    pub const BANDWIDTH_MBPS: u64 = 1_000_000;
    pub const BATCH_TIMEOUT_MS: u64 = 600_000;
}

/// What each node process may use. Enforced by the node itself or by the
/// BaaS driver (cgroups where the host has them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// CPU cores (fractions allowed).
    pub cpu: f64,
    pub memory_mb: u64,
    pub disk_gb: u64,
    pub bandwidth_mbps: u64,
}

impl Default for Resources {
    fn default() -> Self {
        Resources { cpu: 1.0, memory_mb: 1024, disk_gb: 10, bandwidth_mbps: 100 }
    }
}

/// Per-org overrides of the template's resources; unset fields inherit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceOverride {
    pub cpu: Option<f64>,
    pub memory_mb: Option<u64>,
    pub disk_gb: Option<u64>,
    pub bandwidth_mbps: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgTemplate {
    /// The org's MSP id, used in policies as `'Org1.peer'`.
    pub id: String,
    /// How many nodes this org runs.
    pub nodes: u32,
    pub roles: Vec<NodeRoleName>,
    #[serde(default)]
    pub resources: Option<ResourceOverride>,
}

/// The channel's named policies (signature-policy expressions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policies {
    /// Default endorsement policy for contracts that do not name one.
    pub endorsement: String,
    /// Who must approve deploying or upgrading a contract.
    pub lifecycle: String,
    /// Who must sign a channel configuration update.
    pub admins: String,
    /// Who may submit transactions.
    pub writers: String,
    /// Who may read blocks and query.
    pub readers: String,
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            endorsement: "MAJORITY(peer)".into(),
            lifecycle: "MAJORITY(admin)".into(),
            admins: "MAJORITY(admin)".into(),
            writers: "ANY(member)".into(),
            readers: "ANY(member)".into(),
        }
    }
}

impl Policies {
    pub fn named(&self) -> [(&'static str, &str); 5] {
        [
            ("Endorsement", &self.endorsement),
            ("Lifecycle", &self.lifecycle),
            ("Admins", &self.admins),
            ("Writers", &self.writers),
            ("Readers", &self.readers),
        ]
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchTemplate {
    #[serde(default)]
    pub max_message_count: u32,
    #[serde(default)]
    pub preferred_max_bytes: u32,
    #[serde(default)]
    pub absolute_max_bytes: u32,
    #[serde(default)]
    pub batch_timeout_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub channel: String,
    pub consensus: ConsensusKind,
    #[serde(default)]
    pub batch: BatchTemplate,
    #[serde(default)]
    pub raft: Option<RaftTemplate>,
    #[serde(default)]
    pub pbft: Option<PbftTemplate>,
    #[serde(default)]
    pub policies: Policies,
    #[serde(default)]
    pub resources: Resources,
    pub orgs: Vec<OrgTemplate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaftTemplate {
    pub tick_interval_ms: u64,
    pub election_tick: u32,
    pub heartbeat_tick: u32,
    pub snapshot_interval_blocks: u64,
}

impl Default for RaftTemplate {
    fn default() -> Self {
        RaftTemplate { tick_interval_ms: 100, election_tick: 10, heartbeat_tick: 1, snapshot_interval_blocks: 100 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PbftTemplate {
    pub tick_interval_ms: u64,
    pub request_timeout_ticks: u32,
    pub checkpoint_interval: u64,
    pub watermark_window: u64,
}

impl Default for PbftTemplate {
    fn default() -> Self {
        PbftTemplate { tick_interval_ms: 100, request_timeout_ticks: 20, checkpoint_interval: 10, watermark_window: 40 }
    }
}

/// An org id (its MSP id in policies, e.g. 'Org1.peer'): 1–64 letters,
/// digits, '-' and '_'.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Template {
    pub fn load(path: &Path) -> Result<Template, ProvisionError> {
        Template::parse(&read_to_string(path)?, &path.display().to_string())
    }

    /// Parses and checks a template; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Template, ProvisionError> {
        let err = |message: String| ProvisionError::Template { path: origin.to_string(), message };
        let template: Template = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        template.check().map_err(err)?;
        Ok(template)
    }

    /// Whether the template describes a network that can run; the error says
    /// which field is wrong and how (`parse` puts it in a `ProvisionError`).
    fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("`name` must not be empty".into());
        }
        ChannelId::new(self.channel.clone()).map_err(|e| format!("`channel`: {e}"))?;
        if self.orgs.is_empty() {
            return Err("at least one [[orgs]] entry is needed".into());
        }
        let mut seen = BTreeSet::new();
        for org in &self.orgs {
            if !valid_id(&org.id) {
                return Err(format!(
                    "org id {:?} may contain only letters, digits, '-' and '_' (it appears in policies as 'Org1.peer')",
                    org.id
                ));
            }
            if !seen.insert(org.id.to_ascii_lowercase()) {
                return Err(format!("org id {:?} appears twice (ids are compared case-insensitively)", org.id));
            }
            if org.nodes == 0 || org.roles.is_empty() {
                return Err(format!(
                    "org {} needs `nodes` >= 1 and at least one of roles [\"peer\", \"orderer\"]",
                    org.id
                ));
            }
            if org.nodes > limits::NODES_PER_ORG {
                return Err(format!("org {}: nodes = {} is more than {}", org.id, org.nodes, limits::NODES_PER_ORG));
            }
        }
        if self.orgs.len() > limits::ORGS {
            return Err(format!("{} orgs is more than {}", self.orgs.len(), limits::ORGS));
        }
        let orderers = self.count(NodeRoleName::Orderer);
        if self.count(NodeRoleName::Peer) == 0 {
            return Err("no node has the role \"peer\"; a channel needs at least one peer".into());
        }
        match (self.consensus, orderers) {
            (ConsensusKind::Solo, 1) => {}
            (ConsensusKind::Solo, n) => {
                return Err(format!("solo ordering needs exactly 1 orderer, the template has {n}; use raft for more"))
            }
            (ConsensusKind::Raft, 0) => return Err("raft needs at least 1 orderer (3 or 5 to tolerate crashes)".into()),
            (ConsensusKind::Pbft, n) if n < 4 => {
                return Err(format!("pbft needs at least 4 orderers (n = 3f+1 with f >= 1), the template has {n}"))
            }
            _ => {}
        }
        if self.raft.is_some() && self.consensus != ConsensusKind::Raft
            || self.pbft.is_some() && self.consensus != ConsensusKind::Pbft
        {
            return Err("a [raft] or [pbft] section does not match `consensus`".into());
        }
        if let Some(p) = &self.pbft {
            if p.checkpoint_interval == 0 || p.watermark_window < 2 * p.checkpoint_interval {
                return Err(format!(
                    "[pbft] watermark_window = {} must be at least twice checkpoint_interval = {} (and that at \
                     least 1), or no checkpoint could become stable before the window fills",
                    p.watermark_window, p.checkpoint_interval
                ));
            }
        }
        for (name, rule) in self.policies.named() {
            Policy::parse(rule).map_err(|e| format!("policy {name} = {rule:?}: {e}"))?;
        }
        for org in &self.orgs {
            let r = self.resources_of(org);
            if !r.cpu.is_finite() || r.cpu <= 0.0 || r.memory_mb == 0 || r.disk_gb == 0 || r.bandwidth_mbps == 0 {
                return Err(format!(
                    "org {}: every resource (cpu, memory_mb, disk_gb, bandwidth_mbps) must be > 0",
                    org.id
                ));
            }
            let too_big = [
                ("cpu", r.cpu > limits::CPU, limits::CPU.to_string()),
                ("memory_mb", r.memory_mb > limits::MEMORY_MB, limits::MEMORY_MB.to_string()),
                ("disk_gb", r.disk_gb > limits::DISK_GB, limits::DISK_GB.to_string()),
                ("bandwidth_mbps", r.bandwidth_mbps > limits::BANDWIDTH_MBPS, limits::BANDWIDTH_MBPS.to_string()),
            ];
            if let Some((field, _, max)) = too_big.iter().find(|(_, over, _)| *over) {
                return Err(format!("org {}: {field} is more than {max} per node", org.id));
            }
        }
        if self.batch.batch_timeout_ms > limits::BATCH_TIMEOUT_MS {
            return Err(format!(
                "[batch] batch_timeout_ms = {} is more than {} (10 minutes)",
                self.batch.batch_timeout_ms,
                limits::BATCH_TIMEOUT_MS
            ));
        }
        Ok(())
    }

    fn count(&self, role: NodeRoleName) -> u32 {
        self.orgs.iter().filter(|o| o.roles.contains(&role)).map(|o| o.nodes).sum()
    }

    /// Number of nodes across all orgs.
    pub fn node_count(&self) -> u32 {
        self.orgs.iter().map(|o| o.nodes).sum()
    }

    pub fn orderer_count(&self) -> u32 {
        self.count(NodeRoleName::Orderer)
    }

    /// The resources each node of `org` gets.
    pub fn resources_of(&self, org: &OrgTemplate) -> Resources {
        let d = self.resources;
        let o = org.resources.unwrap_or_default();
        Resources {
            cpu: o.cpu.unwrap_or(d.cpu),
            memory_mb: o.memory_mb.unwrap_or(d.memory_mb),
            disk_gb: o.disk_gb.unwrap_or(d.disk_gb),
            bandwidth_mbps: o.bandwidth_mbps.unwrap_or(d.bandwidth_mbps),
        }
    }

    pub fn consensus_config(&self) -> ConsensusConfig {
        use weft_proto::consensus_config::Params;
        let (kind, params) = match self.consensus {
            ConsensusKind::Solo => (ConsensusType::Solo, None),
            ConsensusKind::Raft => {
                let r = self.raft.unwrap_or_default();
                let p = RaftParams {
                    tick_interval_ms: r.tick_interval_ms,
                    election_tick: r.election_tick,
                    heartbeat_tick: r.heartbeat_tick,
                    snapshot_interval_blocks: r.snapshot_interval_blocks,
                };
                (ConsensusType::Raft, Some(Params::Raft(p)))
            }
            ConsensusKind::Pbft => {
                let b = self.pbft.unwrap_or_default();
                let p = PbftParams {
                    tick_interval_ms: b.tick_interval_ms,
                    request_timeout_ticks: b.request_timeout_ticks,
                    checkpoint_interval: b.checkpoint_interval,
                    watermark_window: b.watermark_window,
                };
                (ConsensusType::Pbft, Some(Params::Pbft(p)))
            }
        };
        ConsensusConfig { r#type: kind as i32, params }
    }

    pub fn batch_config(&self) -> BatchConfig {
        BatchConfig {
            max_message_count: self.batch.max_message_count,
            preferred_max_bytes: self.batch.preferred_max_bytes,
            absolute_max_bytes: self.batch.absolute_max_bytes,
            batch_timeout_ms: self.batch.batch_timeout_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NodeRoleName;

    #[test]
    fn role_names_round_trip_through_text_and_the_channel_configuration() {
        for role in [NodeRoleName::Peer, NodeRoleName::Orderer] {
            assert_eq!(NodeRoleName::parse(role.name()), Some(role));
            assert_eq!(NodeRoleName::from_proto(role.to_proto() as i32), Some(role));
            let toml = toml::to_string(&std::collections::BTreeMap::from([("r", role)])).unwrap();
            assert_eq!(toml.trim(), format!("r = \"{}\"", role.name()), "serde writes the same name");
        }
        assert_eq!(NodeRoleName::parse("clerk"), None);
        assert_eq!(NodeRoleName::from_proto(99), None);
    }
}
