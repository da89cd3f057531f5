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
    pub roles: Vec<NodeRoleName>,
    pub channel: String,
    /// Ledger and consensus state.
    pub data_dir: PathBuf,
    pub genesis_block: PathBuf,
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
}

fn default_log() -> String {
    "info".into()
}

impl NodeConfig {
    /// Reads `path` and makes its relative paths absolute.
    pub fn load(path: &Path) -> Result<NodeConfig, ProvisionError> {
        let text = read_to_string(path)?;
        let mut config: NodeConfig =
            toml::from_str(&text).map_err(|e| ProvisionError::Parse { path: path.into(), message: e.to_string() })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut config.data_dir, &mut config.genesis_block, &mut config.key, &mut config.certificate] {
            *p = resolve(base, p);
        }
        for p in &mut config.ca_certificates {
            *p = resolve(base, p);
        }
        Ok(config)
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
