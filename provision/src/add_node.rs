//! A node for a network that already runs: key and certificate from its
//! org's CA (whose key `weft network init` left in the directory), free
//! ports, `nodes/<id>/node.toml`, and the channel-configuration entry a
//! configuration update must add before the node may take part.
//!
//! The manifest is not touched here: the caller records the node once the
//! configuration update is committed, and deletes its directory otherwise.

use std::path::{Path, PathBuf};

use weft_identity::{CertificateAuthority, Validity};

use crate::init::{free_ports, node_home, write_node, NodeSpec, HOME_GENESIS};
use crate::{
    read_cert_pem, read_key, ConsensusKind, KeySeal, Manifest, ManifestNode, NodeRoleName, ProvisionError, Resources,
};

#[derive(Debug, Clone)]
pub struct NodeRequest {
    pub org: String,
    pub roles: Vec<NodeRoleName>,
    /// Address it listens on; default: where the org's other nodes are.
    pub host: Option<String>,
    pub cert_validity_days: i64,
    /// Start from a state snapshot of another node (peers only).
    pub join_from_snapshot: bool,
}

#[derive(Debug, Clone)]
pub struct PreparedNode {
    pub manifest: ManifestNode,
    pub channel_node: weft_proto::NodeConfig,
    /// `nodes/<id>` under the network directory.
    pub dir: PathBuf,
}

fn host_of(address: &str) -> Option<String> {
    address.rsplit_once(':').map(|(h, _)| h.to_string())
}

/// Whether a node with `roles` may join or leave a channel ordered by
/// `consensus`: PBFT's orderers are fixed at genesis (membership changes
/// are not supported yet; the ledger refuses such an update too).
pub fn check_orderer_change(consensus: ConsensusKind, roles: &[NodeRoleName], node: &str) -> Result<(), OrderersFixed> {
    if consensus == ConsensusKind::Pbft && roles.contains(&NodeRoleName::Orderer) {
        return Err(OrderersFixed { node: node.to_string() });
    }
    Ok(())
}

/// A PBFT channel's orderers cannot change.
#[derive(Debug, thiserror::Error)]
#[error(
    "{node} would change the orderers of a PBFT channel, whose orderers are fixed at genesis (PBFT membership \
     changes are not supported yet); add or remove peers only"
)]
pub struct OrderersFixed {
    pub node: String,
}

/// Writes the new node's files under `dir` (see the module comment).
/// `seal` opens the org's CA key if it is sealed.
pub fn prepare_node(
    dir: &Path,
    manifest: &Manifest,
    request: &NodeRequest,
    seal: Option<&dyn KeySeal>,
) -> Result<PreparedNode, ProvisionError> {
    let bad = |message: String| ProvisionError::Template { path: "add-node".into(), message };
    let org = manifest.orgs.iter().find(|o| o.id == request.org).ok_or_else(|| {
        let known: Vec<&str> = manifest.orgs.iter().map(|o| o.id.as_str()).collect();
        bad(format!("no org {:?} in this network; its orgs are {}", request.org, known.join(", ")))
    })?;
    if request.roles.is_empty() {
        return Err(bad("a node needs at least one role (peer, orderer)".into()));
    }
    check_orderer_change(manifest.consensus, &request.roles, "an orderer").map_err(|e| bad(e.to_string()))?;
    if request.join_from_snapshot && request.roles.contains(&NodeRoleName::Orderer) {
        return Err(bad(
            "an orderer cannot join from a snapshot: it catches up through consensus (drop --from-snapshot)".into(),
        ));
    }
    let key = read_key(dir, &org.ca_key, seal)?;
    let ca = CertificateAuthority::from_parts(&org.id, key, read_cert_pem(&dir.join(&org.ca_certificate))?)?;

    let taken = |id: &str| manifest.nodes.iter().any(|n| n.id == id) || dir.join(node_home(id)).exists();
    let id =
        (0..).map(|i| format!("node{i}.{}", org.id.to_lowercase())).find(|id| !taken(id)).expect("some index is free");
    let same_org = manifest.nodes.iter().find(|n| n.org == org.id).or(manifest.nodes.first());
    let host =
        request.host.clone().or_else(|| same_org.and_then(|n| host_of(&n.grpc))).unwrap_or_else(|| "127.0.0.1".into());
    let resources = same_org.map(|n| n.resources).unwrap_or_else(Resources::default);
    let ports = free_ports(&host)?;
    let spec = NodeSpec {
        id: id.clone(),
        org: org.id.clone(),
        roles: request.roles.clone(),
        host,
        ports,
        resources,
        channel: manifest.channel.clone(),
        cas: manifest
            .orgs
            .iter()
            .map(|o| Ok((o.id.clone(), read_cert_pem(&dir.join(&o.ca_certificate))?)))
            .collect::<Result<_, ProvisionError>>()?,
        validity: Validity::days_from_now(request.cert_validity_days),
        join_from_snapshot: request.join_from_snapshot,
    };
    let (manifest_node, channel_node) = write_node(dir, &ca, spec)?;
    let home = dir.join(node_home(&id));
    let genesis = dir.join(&manifest.genesis_block);
    let block = std::fs::read(&genesis).map_err(crate::files::io("reading", &genesis))?;
    crate::files::write(&home.join(HOME_GENESIS), &block)?;
    Ok(PreparedNode { manifest: manifest_node, channel_node, dir: home })
}
