//! The `local` runtime: a chain's nodes are `weft-node` processes on this
//! host, each in its home `<data-dir>/chains/<chain-id>/nodes/<node>/`
//! (its own key and certificate, the orgs' CA certificates, the genesis
//! block, its ledger), with free ports on 127.0.0.1, limited through
//! cgroup v2 where the host allows it (else by the node itself). The
//! chain's other material (org keys, manifest) is the BaaS's, in its
//! database. Blocking calls (waiting for a process to stop): callers run
//! them off the reactor.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use weft_provision::network::NetworkDir;

use super::{BenchmarkRun, Driver, Usage};
use crate::custody::{ChainSeal, MasterKey};
use weft_provision::local::{self, Limits, Stopped};
use weft_provision::{Manifest, ManifestNode, NodeConfig, ProvisionError, Tree};

/// How long a node gets to stop after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct LocalDriver {
    chains_dir: PathBuf,
    archive_dir: PathBuf,
    pub node_binary: PathBuf,
    /// Where cgroup v2 is mounted (normally /sys/fs/cgroup).
    cgroup_mount: PathBuf,
    /// Seals the org keys older versions kept in the clear beside a
    /// chain's nodes, before the BaaS takes them in.
    master_key: Arc<MasterKey>,
}

impl LocalDriver {
    pub fn new(
        data_dir: &Path,
        node_binary: Option<&Path>,
        cgroup_mount: PathBuf,
        master_key: Arc<MasterKey>,
    ) -> LocalDriver {
        LocalDriver {
            master_key,
            chains_dir: data_dir.join("chains"),
            archive_dir: data_dir.join("archive"),
            node_binary: local::node_binary(node_binary),
            cgroup_mount,
        }
    }

    fn chain_dir(&self, chain: &str) -> PathBuf {
        self.chains_dir.join(chain)
    }

    fn node_dir(&self, chain: &str, node: &str) -> PathBuf {
        self.chain_dir(chain).join("nodes").join(node)
    }

    fn config(&self, chain: &str, node: &ManifestNode) -> PathBuf {
        self.chain_dir(chain).join(&node.config)
    }

    fn group(chain: &str, node: &ManifestNode) -> String {
        format!("{chain}-{}", node.id)
    }

    /// A file the node named (e.g. Admin.Snapshot's path, absolute or
    /// relative to its home), if it lies in the node's home.
    fn in_home(&self, chain: &str, node: &ManifestNode, named: &str) -> Result<PathBuf, String> {
        let home = self.node_dir(chain, &node.id);
        let path = home.join(named);
        if path.components().any(|c| matches!(c, Component::ParentDir)) || !path.starts_with(&home) {
            return Err(format!("{} named {named:?}, outside its home", node.id));
        }
        Ok(path)
    }
}

/// Seals the org keys a chain directory made before keys were sealed still
/// holds in the clear; returns how many. Run at start, before anything
/// reads them.
fn seal_plain_org_keys(chain_dir: &Path, seal: &ChainSeal) -> anyhow::Result<usize> {
    let manifest = weft_provision::Manifest::load(chain_dir)?;
    let mut sealed = 0;
    for org in &manifest.orgs {
        for rel in org.private_keys() {
            if chain_dir.join(rel).exists() && weft_provision::seal_in_place(chain_dir, rel, seal)? {
                sealed += 1;
            }
        }
    }
    Ok(sealed)
}

/// Directory size in bytes, recursively.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Puts `snapshot` where the node configured at `node_config` imports it at
/// its next start (`join.snapshot` in its data directory); its
/// configuration, for callers that go on changing it.
fn place_for_import(node_config: &Path, channel: &str, snapshot: &Path) -> Result<NodeConfig, String> {
    let config = NodeConfig::load(node_config).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| format!("creating {}: {e}", config.data_dir.display()))?;
    let placed = config.data_dir.join(weft_provision::placed_snapshot(channel));
    std::fs::copy(snapshot, placed).map_err(|e| format!("placing the snapshot: {e}"))?;
    Ok(config)
}

impl Driver for LocalDriver {
    fn place_home(&self, chain: &str, node: &str, home: &Tree) -> Result<(), ProvisionError> {
        weft_provision::write_tree(&self.node_dir(chain, node), home)
    }

    fn remove_home(&self, chain: &str, node: &str) {
        let _ = std::fs::remove_dir_all(self.node_dir(chain, node));
    }

    fn homes(&self, chain: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.chain_dir(chain).join("nodes")) else { return Vec::new() };
        entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
    }

    /// Adds `org`'s CA to the TLS roots of `node` (read at its next start).
    fn trust_org(&self, chain: &str, node: &ManifestNode, org: &str, ca_pem: &str) -> Result<(), ProvisionError> {
        weft_provision::trust_org(&self.node_dir(chain, &node.id), org, ca_pem)
    }

    /// When `node`'s certificate expires.
    fn node_certificate_not_after(&self, chain: &str, node: &str) -> Option<i64> {
        not_after(&self.node_dir(chain, node).join("cert.pem"))
    }

    /// Every node's PEM files (key, certificate, CA copies) by path
    /// relative to the chain's directory.
    fn home_credentials(&self, chain: &str) -> Result<BTreeMap<String, String>, String> {
        let dir = self.chain_dir(chain);
        // A node's ledger (or one set aside) is the snapshot's part.
        let tree = weft_provision::read_tree(&dir.join("nodes"), &|rel| {
            !rel.components().nth(1).is_some_and(|c| c.as_os_str().to_string_lossy().starts_with("data"))
        })
        .map_err(|e| e.to_string())?;
        let out: BTreeMap<String, String> = tree
            .into_iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "pem"))
            .map(|(p, b)| (Path::new("nodes").join(p).display().to_string(), String::from_utf8_lossy(&b).into_owned()))
            .collect();
        if out.is_empty() {
            return Err(format!("no keys or certificates under {}", dir.display()));
        }
        Ok(out)
    }

    /// Writes back every file of `files` the homes lost; leaves present
    /// ones alone. (restored, present)
    fn restore_home_credentials(&self, chain: &str, files: BTreeMap<String, String>) -> Result<(usize, usize), String> {
        let dir = self.chain_dir(chain);
        let (mut restored, mut present) = (0, 0);
        for (rel, pem) in files {
            let rel = Path::new(&rel);
            if !rel.starts_with("nodes") || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(format!("the backup names a file outside the nodes' homes: {}", rel.display()));
            }
            if dir.join(rel).exists() {
                present += 1;
                continue;
            }
            // A private key comes back owner-only, as it was made.
            let one = BTreeMap::from([(rel.to_path_buf(), pem.into_bytes())]);
            weft_provision::write_tree(&dir, &one).map_err(|e| e.to_string())?;
            restored += 1;
        }
        Ok((restored, present))
    }

    /// Runs a benchmark over the chain's network.
    fn run_benchmark<'a>(
        &'a self,
        chain: &'a str,
        net: NetworkDir,
        workload: &'a weft_bench::workload::Workload,
        progress: &'a (dyn Fn(&str) + Send + Sync),
    ) -> BenchmarkRun<'a> {
        Box::pin(async move {
            let options = weft_bench::run::Options { org: None, ceiling: true, progress, key_seal: None };
            let targets =
                net.manifest().nodes.iter().filter_map(|n| self.pid(chain, n).map(|p| (n.id.clone(), p))).collect();
            weft_bench::run::run_on(workload, net, targets, &self.chain_dir(chain), &options).await
        })
    }

    fn upgrade_older_chains(&self) -> anyhow::Result<Vec<(String, Tree)>> {
        let Ok(entries) = std::fs::read_dir(&self.chains_dir) else { return Ok(Vec::new()) };
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let chain = entry.file_name().to_string_lossy().into_owned();
            if !entry.path().join(weft_provision::MANIFEST_FILE).exists() {
                continue;
            }
            let sealed = seal_plain_org_keys(&entry.path(), &ChainSeal::new(self.master_key.clone(), &chain))?;
            if sealed > 0 {
                tracing::info!(chain, sealed, "sealed org keys kept in the clear by an older version");
            }
            let manifest = Manifest::load(&entry.path())?;
            for node in &manifest.nodes {
                let home = self.node_dir(&chain, &node.id);
                if home.exists() && weft_provision::make_home_whole(&home)? {
                    tracing::info!(chain, node = %node.id, "copied the CA certificates and genesis block its node.toml named outside its home into it");
                }
            }
            found.push((chain, weft_provision::read_tree(&entry.path(), &|rel| !rel.starts_with("nodes"))?));
        }
        Ok(found)
    }

    fn drop_older_material(&self, chain: &str) -> anyhow::Result<()> {
        let dir = self.chain_dir(chain);
        for entry in std::fs::read_dir(&dir)?.flatten() {
            if entry.file_name() == "nodes" {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
        Ok(())
    }

    fn start(&self, chain: &str, node: &ManifestNode, binary: &Path) -> Result<(u32, Limits), ProvisionError> {
        let config = self.config(chain, node);
        let pid = match local::running(&config) {
            Some(pid) => pid,
            None => local::spawn(binary, &config)?,
        };
        let resources = NodeConfig::load(&config)?.resources;
        let limits = local::apply_limits(&self.cgroup_mount, &Self::group(chain, node), pid, &resources);
        Ok((pid, limits))
    }

    fn stop(&self, chain: &str, node: &ManifestNode) -> Result<Option<Stopped>, ProvisionError> {
        let stopped = local::stop(&self.config(chain, node), STOP_GRACE)?;
        if let Ok(c) = local::Cgroups::open(&self.cgroup_mount) {
            c.remove(&Self::group(chain, node));
        }
        Ok(stopped)
    }

    fn pid(&self, chain: &str, node: &ManifestNode) -> Option<u32> {
        local::running(&self.config(chain, node))
    }

    fn usage(&self, chain: &str, node: &ManifestNode) -> Usage {
        Usage {
            counters: self.pid(chain, node).and_then(weft_bench::monitor::counters),
            disk_bytes: dir_size(&self.node_dir(chain, &node.id)),
            cert_not_after: self.node_certificate_not_after(chain, &node.id),
        }
    }

    fn log_tail(&self, chain: &str, node: &ManifestNode, lines: usize) -> String {
        local::tail(&local::log_file(&self.config(chain, node)), lines)
    }

    fn take_snapshot(&self, chain: &str, node: &ManifestNode, written: &str, to: &Path) -> Result<u64, String> {
        let from = self.in_home(chain, node, written)?;
        // Moved, not copied: the node's copy would only grow its directory.
        std::fs::rename(&from, to)
            .or_else(|_| std::fs::copy(&from, to).map(|_| ()))
            .map_err(|e| format!("taking {}: {e}", from.display()))?;
        Ok(std::fs::metadata(to).map(|m| m.len()).unwrap_or(0))
    }

    fn place_snapshot(
        &self,
        chain: &str,
        node: &ManifestNode,
        channel: &str,
        snapshot: &Path,
        set_aside: bool,
    ) -> Result<(), String> {
        let config_path = self.config(chain, node);
        if set_aside {
            let data = NodeConfig::load(&config_path).map_err(|e| e.to_string())?.data_dir;
            let aside = data.with_file_name("data.before-restore");
            if data.exists() {
                let _ = std::fs::remove_dir_all(&aside);
                std::fs::rename(&data, &aside).map_err(|e| format!("setting {} aside: {e}", data.display()))?;
            }
        }
        let mut config = place_for_import(&config_path, channel, snapshot)?;
        if set_aside && !config.join_from_snapshot {
            config.join_from_snapshot = true;
            config.save(&config_path).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn exists(&self, chain: &str) -> bool {
        self.chain_dir(chain).exists()
    }

    fn archive(&self, chain: &str, at: i64) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.archive_dir)?;
        let to = self.archive_dir.join(format!("{chain}-{at}"));
        std::fs::rename(self.chain_dir(chain), &to)?;
        Ok(to)
    }

    fn remove(&self, chain: &str) {
        let _ = std::fs::remove_dir_all(self.chain_dir(chain));
    }

    /// Removes a file the node wrote in its home.
    fn remove_node_file(&self, chain: &str, node: &ManifestNode, named: &str) {
        if let Ok(path) = self.in_home(chain, node, named) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// How full the filesystem holding the chains is (percent).
    fn disk_used_pct(&self) -> Option<f64> {
        super::host::used_pct(&self.chains_dir)
    }

    /// The host's CPU, memory, disk (the chains' filesystem) and network.
    fn host_reading(&self) -> super::host::Reading {
        super::host::read(&self.chains_dir)
    }

    fn node_binary(&self) -> PathBuf {
        self.node_binary.clone()
    }
}

/// When the PEM certificate at `path` ends (unix seconds).
fn not_after(path: &Path) -> Option<i64> {
    let der = weft_provision::read_cert_pem(path).ok()?;
    weft_identity::ParsedCertificate::parse(&der).ok().map(|c| c.not_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_chain_directory_gives_up_its_material_sealed_and_keeps_whole_homes() {
        let data = tempfile::tempdir().unwrap();
        let template =
            weft_provision::Template::parse(include_str!("../../../config/templates/raft-3.toml"), "raft-3").unwrap();
        let chain_dir = data.path().join("chains/old");
        let plain = weft_provision::InitOptions { base_port: None, ..Default::default() };
        weft_provision::init(&template, &chain_dir, &plain).unwrap();
        let manifest = Manifest::load(&chain_dir).unwrap();
        let org = &manifest.orgs[0];
        assert!(!weft_provision::is_sealed(&chain_dir.join(&org.admin_key)));
        // Homes as older versions wrote them: node.toml names the genesis
        // block and the org CAs outside the home.
        for node in &manifest.nodes {
            let config = chain_dir.join(&node.config);
            let mut text = std::fs::read_to_string(&config).unwrap();
            text = text.replace("\"genesis.block\"", "\"../../genesis.block\"");
            for o in &manifest.orgs {
                text =
                    text.replace(&format!("\"tls/{}/ca.pem\"", o.id), &format!("\"../../orgs/{}/ca/cert.pem\"", o.id));
            }
            std::fs::write(&config, text).unwrap();
            std::fs::remove_dir_all(config.with_file_name("tls")).unwrap();
        }

        let master = Arc::new(MasterKey::from_bytes(&[5; 32]));
        let driver = LocalDriver::new(data.path(), None, PathBuf::from("/nonexistent"), master.clone());
        let found = driver.upgrade_older_chains().unwrap();
        assert_eq!(found.len(), 1);
        let (chain, files) = &found[0];
        assert_eq!(chain, "old");
        assert!(files.keys().all(|p| !p.starts_with("nodes")), "homes stay with the runtime");
        for rel in org.private_keys() {
            let text = String::from_utf8(files[rel.as_path()].clone()).unwrap();
            assert!(text.contains("WEFT SEALED PRIVATE KEY"), "{}", rel.display());
        }
        let seal = Arc::new(ChainSeal::new(master.clone(), "old"));
        let net = NetworkDir::from_files(files.clone(), Some(seal)).unwrap();
        net.admin(&org.id).expect("opens with the master key");
        net.ca(&org.id).expect("the CA opens too");
        let other = Arc::new(ChainSeal::new(Arc::new(MasterKey::from_bytes(&[6; 32])), "old"));
        assert!(NetworkDir::from_files(files.clone(), Some(other)).unwrap().admin(&org.id).is_err());

        driver.drop_older_material("old").unwrap();
        let left: Vec<_> = std::fs::read_dir(&chain_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["nodes"], "only the nodes' homes are left");
        for node in &manifest.nodes {
            let config = NodeConfig::load(&chain_dir.join(&node.config)).unwrap();
            let home = driver.node_dir("old", &node.id);
            for named in config.ca_certificates.iter().chain(config.genesis_block.iter()) {
                assert!(named.starts_with(&home) && named.exists(), "{}", named.display());
            }
        }
        assert!(driver.upgrade_older_chains().unwrap().is_empty(), "nothing left to take in");
    }
}
