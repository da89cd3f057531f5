//! `network.toml`: what `weft network init` made, for the commands that run
//! and watch the network. Paths are relative to the network directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::files::{read_to_string, write};
use crate::{ConsensusKind, NodeRoleName, ProvisionError, Resources};

pub const MANIFEST_FILE: &str = "network.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestOrg {
    pub id: String,
    pub ca_certificate: PathBuf,
    /// The CA's key: keep it offline in production; `weft identity enroll`
    /// needs it to issue new users.
    pub ca_key: PathBuf,
    pub admin_certificate: PathBuf,
    pub admin_key: PathBuf,
    pub client_certificate: PathBuf,
    pub client_key: PathBuf,
}

impl ManifestOrg {
    /// The org's private keys (CA, admin, client): what a service keeping
    /// the directory seals.
    pub fn private_keys(&self) -> [&PathBuf; 3] {
        [&self.ca_key, &self.admin_key, &self.client_key]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestNode {
    pub id: String,
    pub org: String,
    pub roles: Vec<NodeRoleName>,
    pub config: PathBuf,
    pub grpc: String,
    pub p2p: String,
    pub metrics: String,
    pub resources: Resources,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub template: String,
    pub channel: String,
    pub consensus: ConsensusKind,
    pub created_unix: i64,
    pub genesis_block: PathBuf,
    pub orgs: Vec<ManifestOrg>,
    pub nodes: Vec<ManifestNode>,
}

impl Manifest {
    pub fn load(network_dir: &Path) -> Result<Manifest, ProvisionError> {
        let path = network_dir.join(MANIFEST_FILE);
        Manifest::parse(&read_to_string(&path)?, &path)
    }

    /// The manifest whose file (`path`, for errors) holds `text`.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ProvisionError> {
        toml::from_str(text).map_err(|e| ProvisionError::Parse { path: path.to_path_buf(), message: e.to_string() })
    }

    /// The manifest file's content.
    pub fn to_toml(&self) -> String {
        let text = toml::to_string_pretty(self).expect("Manifest always serialises");
        format!("# Written by `weft network init`; read by `weft network up|down|status`.\n{text}")
    }

    pub fn save(&self, network_dir: &Path) -> Result<(), ProvisionError> {
        write(&network_dir.join(MANIFEST_FILE), self.to_toml().as_bytes())
    }
}
