//! `node.toml`: everything one `weft-node` process needs. Paths in it are
//! relative to the file's own directory, so a network directory can be moved
//! or copied to another host as a whole.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::files::{read_to_string, resolve, write};
use crate::{NodeRoleName, ProvisionError, Resources};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// Gateway, Deliver and Admin gRPC (TLS), `host:port`.
    pub grpc: String,
    /// libp2p multiaddress for other nodes.
    pub p2p: String,
    /// Prometheus metrics over plain HTTP, `host:port`.
    pub metrics: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub node_id: String,
    pub org_id: String,
    /// The node's roles in `channel` (channels joined over Admin name
    /// their own).
    pub roles: Vec<NodeRoleName>,
    /// A channel to serve from the start, from `genesis_block`. Without
    /// one the node starts with no channel (or the channels it joined
    /// before) and is joined to channels over Admin (`JoinChannel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Ledger and consensus state, and the channels joined.
    pub data_dir: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genesis_block: Option<PathBuf>,
    /// The node's Ed25519 key (PKCS#8 PEM): signs endorsements and blocks and
    /// is its TLS and libp2p key.
    pub key: PathBuf,
    /// Its certificate, issued by its org's CA for its host names.
    pub certificate: PathBuf,
    /// Every org's CA certificate: the roots TLS peers are checked against.
    pub ca_certificates: Vec<PathBuf>,
    pub listen: Listen,
    pub resources: Resources,
    #[serde(default = "default_log")]
    pub log_level: String,
    /// `text` (the default: one line per event, for people) or `json` (one
    /// JSON object per line, for a log shipper).
    #[serde(default, skip_serializing_if = "LogFormat::is_text")]
    pub log_format: LogFormat,
    /// When its ledger is empty, start from a state snapshot fetched from
    /// another node of the channel instead of replaying every block (peers
    /// that join a long chain; orderers catch up through consensus).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub join_from_snapshot: bool,
    /// Accept gRPC connections that present no client certificate (clients
    /// then only sign their requests). Off by default: every connection
    /// presents a certificate of one of the channel's orgs, so a stranger
    /// cannot even send a request for the node to read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub anonymous_clients: bool,
}

/// How a binary writes its log lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    fn is_text(&self) -> bool {
        *self == LogFormat::Text
    }
}

impl std::str::FromStr for LogFormat {
    type Err = UnknownLogFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(UnknownLogFormat(s.to_string())),
        }
    }
}

/// A log format that is neither `text` nor `json`.
#[derive(Debug, thiserror::Error)]
#[error("log format {0:?}: use \"text\" or \"json\"")]
pub struct UnknownLogFormat(String);

fn default_log() -> String {
    "info".into()
}

impl NodeConfig {
    /// Reads `path`, applies `WEFT_…` environment overrides (see
    /// [`NodeConfig::load_with`]) and makes relative paths absolute.
    pub fn load(path: &Path) -> Result<NodeConfig, ProvisionError> {
        Ok(NodeConfig::load_with(path, &|k| std::env::var(k).ok())?.0)
    }

    /// Like [`load`](Self::load) with the environment given as `lookup`;
    /// also returns the override variables that were applied. Every key can
    /// be overridden: `listen.grpc` by `WEFT_LISTEN_GRPC`,
    /// `resources.memory_mb` by `WEFT_RESOURCES_MEMORY_MB`, and so on.
    pub fn load_with(
        path: &Path,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(NodeConfig, Vec<String>), ProvisionError> {
        let text = read_to_string(path)?;
        let parse_err = |message: String| ProvisionError::Parse { path: path.into(), message };
        let mut value: toml::Value = toml::from_str(&text).map_err(|e| parse_err(e.to_string()))?;
        let used = crate::env_override::apply(&mut value, lookup).map_err(parse_err)?;
        let mut config: NodeConfig = value.try_into().map_err(|e: toml::de::Error| parse_err(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut config.data_dir, &mut config.key, &mut config.certificate] {
            *p = resolve(base, p);
        }
        if let Some(p) = &mut config.genesis_block {
            *p = resolve(base, p);
        }
        if config.channel.is_some() != config.genesis_block.is_some() {
            return Err(parse_err(
                "`channel` and `genesis_block` go together: name both to serve a channel from the start, or \
                 neither to join channels over Admin"
                    .into(),
            ));
        }
        for p in &mut config.ca_certificates {
            *p = resolve(base, p);
        }
        Ok((config, used))
    }

    pub fn save(&self, path: &Path) -> Result<(), ProvisionError> {
        let text = toml::to_string_pretty(self).expect("NodeConfig always serialises");
        write(path, format!("# weft-node configuration, written by `weft network init`.\n{text}").as_bytes())
    }

    pub fn is_peer(&self) -> bool {
        self.roles.contains(&NodeRoleName::Peer)
    }

    pub fn is_orderer(&self) -> bool {
        self.roles.contains(&NodeRoleName::Orderer)
    }
}

/// The file in a node's data directory holding a state snapshot an
/// operator placed for `channel`: the node imports it (and deletes it) the
/// next time it joins or rejoins `channel` from a snapshot.
pub fn placed_snapshot(channel: &str) -> String {
    format!("join-{channel}.snapshot")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
node_id = "n"
org_id = "Org1"
roles = ["peer"]
data_dir = "data"
key = "key.pem"
certificate = "cert.pem"
ca_certificates = ["ca.pem"]
[listen]
grpc = "127.0.0.1:1"
p2p = "/ip4/127.0.0.1/tcp/2"
metrics = "127.0.0.1:3"
[resources]
cpu = 1.0
memory_mb = 512
disk_gb = 1
bandwidth_mbps = 10
"#;

    fn load(extra: &str) -> Result<NodeConfig, ProvisionError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, format!("{extra}\n{BASE}")).unwrap();
        NodeConfig::load_with(&path, &|_| None).map(|(c, _)| c)
    }

    #[test]
    fn a_channel_comes_with_its_genesis_block_or_not_at_all() {
        let none = load("").unwrap();
        assert_eq!((none.channel, none.genesis_block), (None, None));
        let both = load("channel = \"weft\"\ngenesis_block = \"g.block\"").unwrap();
        assert_eq!(both.channel.as_deref(), Some("weft"));
        assert!(both.genesis_block.unwrap().is_absolute(), "resolved against the file's directory");
        for half in ["channel = \"weft\"", "genesis_block = \"g.block\""] {
            let e = load(half).unwrap_err().to_string();
            assert!(e.contains("go together"), "{half}: {e}");
        }
    }
}
