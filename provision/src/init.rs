//! `weft network init`: a template in, a network directory out.
//!
//! ```text
//! OUT/network.toml               manifest (nodes, ports, credentials)
//! OUT/genesis.block              block 0 with the channel configuration
//! OUT/orgs/<Org>/ca/             org CA certificate and key
//! OUT/orgs/<Org>/admin/          admin certificate and key
//! OUT/orgs/<Org>/client/         a client (application) certificate and key
//! OUT/nodes/<node>/node.toml     weft-node --config …
//! OUT/nodes/<node>/{cert,key}.pem
//! OUT/nodes/<node>/tls/<Org>/ca.pem   every org's CA (its TLS roots)
//! OUT/nodes/<node>/genesis.block      a copy of the genesis block
//! ```
//!
//! A node's home holds everything its node.toml names, so it alone can be
//! copied to the host (or container) that runs the node; the org keys stay
//! in `orgs/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use weft_identity::{CertificateAuthority, Role, SigningKeyPair, Validity};
use weft_proto::{ChannelConfig, OrgConfig, Policy, SerializedIdentity};

use crate::files::{cert_pem, io, write, write_secret};
use crate::genesis::{genesis_block, GenesisSigner};
use crate::sealed::{write_key, KeySeal, Sealing};
use crate::{
    Listen, Manifest, ManifestNode, ManifestOrg, NodeConfig, NodeRoleName, ProvisionError, Resources, Template,
};

#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The addresses nodes listen on and are reached at: node `i` gets
    /// `hosts[i % len]`, so one entry puts every node on one host and one
    /// per node spreads them over hosts.
    pub hosts: Vec<String>,
    /// Node `i` gets ports `base + 10 i` (gRPC), `+1` (p2p), `+2` (metrics);
    /// `None` picks free ports now.
    pub base_port: Option<u16>,
    /// Validity of node, admin and client certificates (CAs get ten years).
    pub cert_validity_days: i64,
    /// Seals org CA, admin and client keys (the BaaS); `None` writes them
    /// plain for the user's own directory.
    pub key_seal: Sealing,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions { hosts: vec!["127.0.0.1".into()], base_port: Some(7050), cert_validity_days: 365, key_seal: None }
    }
}

/// A finished stage of [`init_observed`], for callers showing progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitStage {
    /// Org CAs, admin, client and node keys and certificates written.
    Crypto,
    /// Genesis block and manifest written.
    Genesis,
}

/// Generates the network `template` describes into `out`, which must not
/// exist or be empty. On failure, nothing is left behind.
pub fn init(template: &Template, out: &Path, options: &InitOptions) -> Result<Manifest, ProvisionError> {
    init_observed(template, out, options, &mut |_| {})
}

/// [`init`], calling `observe` as each stage finishes.
pub fn init_observed(
    template: &Template,
    out: &Path,
    options: &InitOptions,
    observe: &mut dyn FnMut(InitStage),
) -> Result<Manifest, ProvisionError> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io("listing", out))?;
        if entries.next().is_some() {
            return Err(ProvisionError::OutputNotEmpty { path: out.to_path_buf() });
        }
    }
    let result = generate(template, out, options, observe);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(out);
    }
    result
}

pub(crate) struct OrgMaterial {
    pub id: String,
    pub admin_key: SigningKeyPair,
    pub admin_cert: Vec<u8>,
    pub ca_cert: Vec<u8>,
}

/// Writes `orgs/<id>/` under `out`: a new CA (ten years), an admin and a
/// client identity issued by it for `validity`.
pub(crate) fn write_org(
    out: &Path,
    id: &str,
    validity: Validity,
    seal: Option<&dyn KeySeal>,
) -> Result<(CertificateAuthority, ManifestOrg, OrgMaterial), ProvisionError> {
    let ca = CertificateAuthority::create(id, Validity::days_from_now(3650))?;
    let dir = PathBuf::from("orgs").join(id);
    let (admin_key, admin_cert) = ca.issue_new(&format!("admin.{}", id.to_lowercase()), Role::Admin, validity)?;
    let (client_key, client_cert) = ca.issue_new(&format!("client.{}", id.to_lowercase()), Role::Client, validity)?;
    let m = ManifestOrg {
        id: id.to_string(),
        ca_certificate: dir.join("ca/cert.pem"),
        ca_key: dir.join("ca/key.pem"),
        admin_certificate: dir.join("admin/cert.pem"),
        admin_key: dir.join("admin/key.pem"),
        client_certificate: dir.join("client/cert.pem"),
        client_key: dir.join("client/key.pem"),
    };
    write(&out.join(&m.ca_certificate), cert_pem(ca.certificate_der()).as_bytes())?;
    write_key(out, &m.ca_key, ca.key(), seal)?;
    write(&out.join(&m.admin_certificate), cert_pem(&admin_cert).as_bytes())?;
    write_key(out, &m.admin_key, &admin_key, seal)?;
    write(&out.join(&m.client_certificate), cert_pem(&client_cert).as_bytes())?;
    write_key(out, &m.client_key, &client_key, seal)?;
    let ca_cert = ca.certificate_der().to_vec();
    Ok((ca, m, OrgMaterial { id: id.to_string(), admin_key, admin_cert, ca_cert }))
}

fn generate(
    template: &Template,
    out: &Path,
    options: &InitOptions,
    observe: &mut dyn FnMut(InitStage),
) -> Result<Manifest, ProvisionError> {
    std::fs::create_dir_all(out).map_err(io("creating", out))?;
    let validity = Validity::days_from_now(options.cert_validity_days);
    let ports = ports(template.node_count() as usize, options)?;

    let mut orgs = Vec::new();
    let mut manifest_orgs = Vec::new();
    for org in &template.orgs {
        let (ca, m, material) = write_org(out, &org.id, validity, options.key_seal.as_deref())?;
        manifest_orgs.push(m);
        orgs.push((ca, material));
    }
    let cas: Vec<(String, Vec<u8>)> = orgs.iter().map(|(_, m)| (m.id.clone(), m.ca_cert.clone())).collect();

    let mut nodes = Vec::new();
    let mut node_protos = Vec::new();
    let mut ports = ports.into_iter();
    for (org, (ca, _)) in template.orgs.iter().zip(&orgs) {
        for i in 0..org.nodes {
            let (host, node_ports) = ports.next().expect("one port triple per node");
            let spec = NodeSpec {
                id: format!("node{i}.{}", org.id.to_lowercase()),
                org: org.id.clone(),
                roles: org.roles.clone(),
                host,
                ports: node_ports,
                resources: template.resources_of(org),
                channel: template.channel.clone(),
                cas: cas.clone(),
                validity,
                join_from_snapshot: false,
            };
            let (manifest_node, proto) = write_node(out, ca, spec)?;
            nodes.push(manifest_node);
            node_protos.push(proto);
        }
    }

    observe(InitStage::Crypto);

    let config = ChannelConfig {
        channel_id: template.channel.clone(),
        sequence: 0,
        orgs: orgs
            .iter()
            .map(|(_, m)| OrgConfig { org_id: m.id.clone(), root_certs: vec![m.ca_cert.clone()], crls: vec![] })
            .collect(),
        nodes: node_protos,
        policies: template
            .policies
            .named()
            .iter()
            .map(|(name, rule)| Policy { name: name.to_string(), rule: rule.to_string() })
            .collect(),
        consensus: Some(template.consensus_config()),
        batch: Some(template.batch_config()),
    };
    let signers: Vec<GenesisSigner<'_>> = orgs
        .iter()
        .map(|(_, m)| GenesisSigner {
            identity: SerializedIdentity { org_id: m.id.clone(), certificate_der: m.admin_cert.clone() },
            key: &m.admin_key,
        })
        .collect();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let block = genesis_block(&config, &signers, now.as_millis() as u64);
    let block = prost::Message::encode_to_vec(&block);
    write(&out.join("genesis.block"), &block)?;
    for node in &nodes {
        write(&out.join(node_home(&node.id)).join(HOME_GENESIS), &block)?;
    }

    let manifest = Manifest {
        template: template.name.clone(),
        channel: template.channel.clone(),
        consensus: template.consensus,
        created_unix: now.as_secs() as i64,
        genesis_block: "genesis.block".into(),
        orgs: manifest_orgs,
        nodes,
    };
    manifest.save(out)?;
    observe(InitStage::Genesis);
    Ok(manifest)
}

/// The host and (gRPC, p2p, metrics) ports of each of `n` nodes.
fn ports(n: usize, options: &InitOptions) -> Result<Vec<(String, NodePorts)>, ProvisionError> {
    if options.hosts.is_empty() {
        return Err(ProvisionError::Template { path: "--host".into(), message: "at least one host is needed".into() });
    }
    let host = |i: usize| options.hosts[i % options.hosts.len()].clone();
    if let Some(base) = options.base_port {
        let last = base as usize + 10 * n.saturating_sub(1) + 2;
        if last > u16::MAX as usize {
            return Err(ProvisionError::Template {
                path: "--base-port".into(),
                message: format!("{n} nodes need ports up to {last}; choose a base port below {}", 65535 - 10 * n),
            });
        }
        return Ok((0..n).map(|i| (host(i), base_ports(base, i as u16))).collect());
    }
    // Hold every listener until all are chosen so no port is handed out twice.
    let mut held = Vec::new();
    let mut out = Vec::new();
    for i in 0..n {
        let h = host(i);
        let (ports, listeners) = hold_ports(&h)?;
        held.push(listeners);
        out.push((h, ports));
    }
    Ok(out)
}

/// Three ports free on `host` now.
pub(crate) fn free_ports(host: &str) -> Result<NodePorts, ProvisionError> {
    Ok(hold_ports(host)?.0)
}

fn hold_ports(host: &str) -> Result<(NodePorts, Vec<TcpListener>), ProvisionError> {
    let no_port = |source| ProvisionError::NoFreePort { host: host.to_string(), source };
    let listeners = (0..3).map(|_| TcpListener::bind((host, 0))).collect::<Result<Vec<_>, _>>().map_err(no_port)?;
    let port = |i: usize| listeners[i].local_addr().map(|a| a.port()).map_err(no_port);
    Ok(((port(0)?, port(1)?, port(2)?), listeners))
}

fn base_ports(base: u16, i: u16) -> NodePorts {
    (base + 10 * i, base + 10 * i + 1, base + 10 * i + 2)
}

/// gRPC, p2p and metrics ports.
pub(crate) type NodePorts = (u16, u16, u16);

/// A node's home under the network directory. Everything its node.toml
/// names lies inside it (key, certificate, every org's CA, the genesis
/// block), so a home alone can be copied to another host or into a
/// container.
pub fn node_home(id: &str) -> PathBuf {
    PathBuf::from("nodes").join(id)
}

/// A node's configuration in its home.
pub const NODE_CONFIG_FILE: &str = "node.toml";

/// The channel's genesis block in a node's home.
pub const HOME_GENESIS: &str = "genesis.block";

/// `org`'s CA certificate in a node's home (its TLS roots).
pub fn home_ca(org: &str) -> PathBuf {
    PathBuf::from("tls").join(org).join("ca.pem")
}

/// What one node is made from.
pub(crate) struct NodeSpec {
    pub id: String,
    pub org: String,
    pub roles: Vec<NodeRoleName>,
    pub host: String,
    pub ports: NodePorts,
    pub resources: Resources,
    pub channel: String,
    /// Every org's CA certificate (DER), by org: copied into the node's
    /// home as its TLS roots.
    pub cas: Vec<(String, Vec<u8>)>,
    pub validity: Validity,
    pub join_from_snapshot: bool,
}

/// Writes `nodes/<id>/` under `out` (key, certificate from `ca`, node.toml)
/// and returns the node's manifest entry and its channel configuration
/// entry.
pub(crate) fn write_node(
    out: &Path,
    ca: &CertificateAuthority,
    spec: NodeSpec,
) -> Result<(ManifestNode, weft_proto::NodeConfig), ProvisionError> {
    let mut roles = spec.roles;
    roles.sort();
    roles.dedup();
    // One certificate per node; a node that endorses is a 'peer' in policies.
    let cert_role = if roles.contains(&NodeRoleName::Peer) { Role::Peer } else { Role::Orderer };
    let mut hosts = vec!["localhost".to_string()];
    if spec.host != "localhost" {
        hosts.push(spec.host.clone());
    }
    let key = SigningKeyPair::generate();
    let cert = ca.issue_for_hosts(&spec.id, cert_role, &key.public_key(), spec.validity, &hosts)?;
    let dir = node_home(&spec.id);
    let mut ca_certificates = Vec::new();
    for (org, der) in &spec.cas {
        let rel = home_ca(org);
        write(&out.join(&dir).join(&rel), cert_pem(der).as_bytes())?;
        ca_certificates.push(rel);
    }
    write_secret(&out.join(&dir).join("key.pem"), key.to_pkcs8_pem().as_bytes())?;
    write(&out.join(&dir).join("cert.pem"), cert_pem(&cert).as_bytes())?;
    let (grpc, p2p, metrics) = spec.ports;
    let listen = Listen {
        grpc: format!("{}:{grpc}", spec.host),
        p2p: format!("/ip4/{}/tcp/{p2p}", spec.host),
        metrics: format!("{}:{metrics}", spec.host),
    };
    let config = NodeConfig {
        node_id: spec.id.clone(),
        org_id: spec.org.clone(),
        roles: roles.clone(),
        channel: Some(spec.channel),
        data_dir: "data".into(),
        genesis_block: Some(HOME_GENESIS.into()),
        key: "key.pem".into(),
        certificate: "cert.pem".into(),
        ca_certificates,
        listen: listen.clone(),
        resources: spec.resources,
        log_level: "info".into(),
        log_format: Default::default(),
        join_from_snapshot: spec.join_from_snapshot,
        anonymous_clients: false,
    };
    config.save(&out.join(&dir).join(NODE_CONFIG_FILE))?;
    let proto = weft_proto::NodeConfig {
        node_id: spec.id.clone(),
        org_id: spec.org.clone(),
        roles: roles.iter().map(|r| r.to_proto() as i32).collect(),
        p2p_address: listen.p2p.clone(),
        grpc_address: listen.grpc.clone(),
        certificate_der: cert,
    };
    let manifest = ManifestNode {
        id: spec.id,
        org: spec.org,
        roles,
        config: dir.join(NODE_CONFIG_FILE),
        grpc: listen.grpc,
        p2p: listen.p2p,
        metrics: listen.metrics,
        resources: spec.resources,
    };
    Ok((manifest, proto))
}
