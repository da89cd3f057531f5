//! weft-provision: turns a network template into a network on disk.
//!
//! [`Template`] is what a user picks (consensus, orgs, nodes per org, per-node
//! resources); [`init`] generates every org's CA, admin and client
//! certificates, each node's key and certificate (also its TLS certificate),
//! the genesis block carrying the channel configuration, one
//! [`NodeConfig`] per node and a [`Manifest`] that `weft network up|down|
//! status` and the BaaS read.
//!
//! [`local`] starts, stops and finds the node processes of a network on this
//! host (with cgroup v2 limits where the host allows them), for `weft network
//! up|down` and the BaaS's local driver. Holds no BaaS state.
//!
//! [`network::NetworkDir`] is a network directory as its holder uses it:
//! org identities, Admin calls and Gateways to its nodes.

mod add_node;
mod add_org;
mod env_override;
mod error;
mod files;
mod genesis;
mod home;
mod init;
pub mod local;
mod manifest;
#[cfg(feature = "network")]
pub mod network;
mod node_config;
mod sealed;
mod template;

pub use add_node::{check_orderer_change, prepare_node, NodeRequest, OrderersFixed, PreparedNode};
pub use add_org::{prepare_org, trust_org, PreparedOrg};
pub use error::ProvisionError;
pub use files::{cert_from_pem, cert_pem, read_cert_pem, read_tree, write_secret, write_tree, Tree};
pub use genesis::{
    config_envelope, genesis_block, read_config_block, read_genesis_config, ConfigBlockError, GenesisSigner,
};
pub use home::make_home_whole;
pub use init::{home_ca, init, init_observed, node_home, InitOptions, InitStage, HOME_GENESIS, NODE_CONFIG_FILE};
pub use manifest::{Manifest, ManifestNode, ManifestOrg, MANIFEST_FILE};
#[cfg(feature = "network")]
pub use network::NetworkError;
pub use node_config::{placed_snapshot, Listen, LogFormat, NodeConfig, UnknownLogFormat};
pub use sealed::{is_sealed, key_from_text, read_key, seal_in_place, write_key, KeySeal, Sealing};
pub use template::{valid_id, ConsensusKind, NodeRoleName, OrgTemplate, Policies, Resources, Template};
