//! The `local` provisioning driver: a chain is a network directory made by
//! `weft-provision` under `<data-dir>/chains/<chain-id>/`, and its nodes are
//! `weft-node` processes on this host with free ports on 127.0.0.1, limited
//! through cgroup v2 where the host allows it (else by the node itself).
//! Blocking calls (key generation, waiting for a process to stop): callers
//! run them off the reactor. Besides the [`Driver`] calls it keeps each
//! chain's material in the chain's directory (keys sealed with the master
//! key): prepared nodes and orgs, the manifest, backups' key material.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use weft_provision::network::{NetworkDir, NetworkError};

use super::{BenchmarkRun, Driver, Material, Usage};
use crate::custody::{ChainSeal, MasterKey};
use weft_provision::local::{self, Limits, Stopped};
use weft_provision::{
    init_observed, InitOptions, InitStage, Manifest, ManifestNode, ManifestOrg, NodeConfig, NodeRequest, PreparedNode,
    PreparedOrg, ProvisionError, Template,
};

/// How long a node gets to stop after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct LocalDriver {
    chains_dir: PathBuf,
    archive_dir: PathBuf,
    /// `<data-dir>/backups/<chain>/<backup>/`: snapshots and sealed keys
    /// (the BaaS's own files, not a chain's).
    pub backups_dir: PathBuf,
    pub node_binary: PathBuf,
    /// Where cgroup v2 is mounted (normally /sys/fs/cgroup).
    cgroup_mount: PathBuf,
    /// Seals every org's CA, admin and client keys in the chains'
    /// directories.
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
            backups_dir: data_dir.join("backups"),
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

impl Material for LocalDriver {
    /// What seals and opens `chain`'s org keys.
    fn seal(&self, chain: &str) -> ChainSeal {
        ChainSeal::new(self.master_key.clone(), chain)
    }

    /// `chain`'s network directory, its org keys opened with the master key.
    fn network(&self, chain: &str) -> Result<NetworkDir, NetworkError> {
        NetworkDir::open_sealed(&self.chain_dir(chain), Some(Arc::new(self.seal(chain))))
    }

    fn manifest(&self, chain: &str) -> Result<Manifest, ProvisionError> {
        Manifest::load(&self.chain_dir(chain))
    }

    /// Changes the chain's manifest and saves it.
    fn update_manifest(&self, chain: &str, change: &mut dyn FnMut(&mut Manifest)) -> Result<Manifest, ProvisionError> {
        let dir = self.chain_dir(chain);
        let mut manifest = Manifest::load(&dir)?;
        change(&mut manifest);
        manifest.save(&dir)?;
        Ok(manifest)
    }

    /// Issues a new node's key and certificate from its org's CA and
    /// writes its home (not yet in the manifest).
    fn prepare_node(&self, chain: &str, request: &NodeRequest) -> Result<PreparedNode, ProvisionError> {
        let dir = self.chain_dir(chain);
        let manifest = Manifest::load(&dir)?;
        weft_provision::prepare_node(&dir, &manifest, request, Some(&self.seal(chain)))
    }

    /// A new org's CA, admin and client identities (not yet in the
    /// manifest).
    fn prepare_org(&self, chain: &str, org: &str, days: i64) -> Result<PreparedOrg, ProvisionError> {
        let dir = self.chain_dir(chain);
        let manifest = Manifest::load(&dir)?;
        weft_provision::prepare_org(&dir, &manifest, org, days, Some(&self.seal(chain)))
    }

    /// Removes the files a prepared node or org wrote (it was not admitted).
    fn discard_prepared(&self, chain: &str, prepared: &Path) {
        if prepared.starts_with(self.chain_dir(chain)) {
            let _ = std::fs::remove_dir_all(prepared);
        }
    }

    /// Adds `org`'s CA to the TLS roots of `node` (read at its next start).
    fn trust_org(&self, chain: &str, node: &ManifestNode, org: &ManifestOrg) -> Result<(), ProvisionError> {
        weft_provision::trust_org(&self.chain_dir(chain), node, org)
    }

    /// When the certificate at `rel` (a manifest path) expires.
    fn certificate_not_after(&self, chain: &str, rel: &Path) -> Option<i64> {
        not_after(&self.chain_dir(chain).join(rel))
    }

    /// When `node`'s certificate expires.
    fn node_certificate_not_after(&self, chain: &str, node: &str) -> Option<i64> {
        not_after(&self.node_dir(chain, node).join("cert.pem"))
    }

    /// Every credential of the chain (orgs' and nodes' PEM files), by path
    /// relative to its directory: what a backup seals.
    fn key_material(&self, chain: &str) -> Result<BTreeMap<String, String>, String> {
        fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> Result<(), String> {
            let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("data")) {
                        continue; // a node's ledger (or one set aside): the snapshot's part
                    }
                    walk(base, &path, out)?;
                } else if path.extension().is_some_and(|e| e == "pem") {
                    let text =
                        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
                    let rel = path.strip_prefix(base).unwrap_or(&path).display().to_string();
                    out.insert(rel, text);
                }
            }
            Ok(())
        }
        let dir = self.chain_dir(chain);
        let mut out = BTreeMap::new();
        walk(&dir, &dir, &mut out)?;
        if out.is_empty() {
            return Err(format!("no keys or certificates under {}", dir.display()));
        }
        Ok(out)
    }

    /// Writes back every file of `files` (as [`Material::key_material`]
    /// gave them) the chain lost; leaves present ones alone. (restored,
    /// present)
    fn restore_key_material(&self, chain: &str, files: BTreeMap<String, String>) -> Result<(usize, usize), String> {
        let dir = self.chain_dir(chain);
        let (mut restored, mut present) = (0, 0);
        for (rel, pem) in files {
            if Path::new(&rel).components().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(format!("the backup names a file outside the chain's directory: {rel}"));
            }
            let path = dir.join(&rel);
            if path.exists() {
                present += 1;
                continue;
            }
            // A private key comes back owner-only, as it was made.
            if pem.contains("PRIVATE KEY-----") {
                weft_provision::write_secret(&path, pem.as_bytes()).map_err(|e| e.to_string())?;
            } else {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
                }
                std::fs::write(&path, pem).map_err(|e| format!("writing {}: {e}", path.display()))?;
            }
            restored += 1;
        }
        Ok((restored, present))
    }

    /// Seals the org keys of chains made before org keys were sealed.
    fn seal_plain_keys(&self) -> anyhow::Result<()> {
        let Ok(entries) = std::fs::read_dir(&self.chains_dir) else { return Ok(()) };
        for entry in entries.flatten() {
            let chain = entry.file_name().to_string_lossy().into_owned();
            if !entry.path().join(weft_provision::MANIFEST_FILE).exists() {
                continue;
            }
            let sealed = seal_plain_org_keys(&entry.path(), &self.seal(&chain))?;
            if sealed > 0 {
                tracing::info!(chain, sealed, "sealed org keys kept in the clear by an older version");
            }
        }
        Ok(())
    }

    /// Runs a benchmark over the chain's network.
    fn run_benchmark<'a>(
        &'a self,
        chain: &'a str,
        workload: &'a weft_bench::workload::Workload,
        progress: &'a (dyn Fn(&str) + Send + Sync),
    ) -> BenchmarkRun<'a> {
        Box::pin(async move {
            let options = weft_bench::run::Options {
                org: None,
                ceiling: true,
                progress,
                key_seal: Some(Arc::new(self.seal(chain))),
            };
            weft_bench::run::run(workload, &self.chain_dir(chain), &options).await
        })
    }

    fn backups_dir(&self) -> PathBuf {
        self.backups_dir.clone()
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
fn place_for_import(node_config: &Path, snapshot: &Path) -> Result<NodeConfig, String> {
    let config = NodeConfig::load(node_config).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| format!("creating {}: {e}", config.data_dir.display()))?;
    std::fs::copy(snapshot, config.data_dir.join("join.snapshot")).map_err(|e| format!("placing the snapshot: {e}"))?;
    Ok(config)
}

impl Driver for LocalDriver {
    /// Org CAs, certificates, genesis block and node configs for `chain`.
    fn create(
        &self,
        chain: &str,
        template: &Template,
        observe: &mut dyn FnMut(InitStage),
    ) -> Result<Manifest, ProvisionError> {
        let options =
            InitOptions { base_port: None, key_seal: Some(Arc::new(self.seal(chain))), ..InitOptions::default() };
        init_observed(template, &self.chain_dir(chain), &options, observe)
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

    fn place_snapshot(&self, chain: &str, node: &ManifestNode, snapshot: &Path, set_aside: bool) -> Result<(), String> {
        let config_path = self.config(chain, node);
        if set_aside {
            let data = NodeConfig::load(&config_path).map_err(|e| e.to_string())?.data_dir;
            let aside = data.with_file_name("data.before-restore");
            if data.exists() {
                let _ = std::fs::remove_dir_all(&aside);
                std::fs::rename(&data, &aside).map_err(|e| format!("setting {} aside: {e}", data.display()))?;
            }
        }
        let mut config = place_for_import(&config_path, snapshot)?;
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
    fn org_keys_written_plain_by_an_older_version_are_sealed_at_start() {
        let data = tempfile::tempdir().unwrap();
        let template = Template::parse(include_str!("../../../config/templates/solo-1.toml"), "solo-1").unwrap();
        let chain_dir = data.path().join("chains/old");
        let plain = InitOptions { base_port: None, ..InitOptions::default() };
        weft_provision::init(&template, &chain_dir, &plain).unwrap();
        let manifest = Manifest::load(&chain_dir).unwrap();
        let admin_key = chain_dir.join(&manifest.orgs[0].admin_key);
        assert!(!weft_provision::is_sealed(&admin_key));

        let master = Arc::new(MasterKey::from_bytes(&[5; 32]));
        let driver = LocalDriver::new(data.path(), None, PathBuf::from("/nonexistent"), master.clone());
        driver.seal_plain_keys().unwrap();
        let org = &manifest.orgs[0];
        for rel in org.private_keys() {
            assert!(weft_provision::is_sealed(&chain_dir.join(rel)), "{}", rel.display());
        }
        let net = driver.network("old").unwrap();
        net.admin(&org.id).expect("opens with the master key");
        net.ca(&org.id).expect("the CA opens too");
        let err = NetworkDir::open(&chain_dir).unwrap().admin(&org.id).err().unwrap();
        assert!(matches!(err, NetworkError::Material(_)) && err.to_string().contains("sealed by the BaaS"), "{err}");
        let other = LocalDriver::new(
            data.path(),
            None,
            PathBuf::from("/nonexistent"),
            Arc::new(MasterKey::from_bytes(&[6; 32])),
        );
        assert!(other.network("old").unwrap().admin(&org.id).is_err(), "another master key does not open them");
        driver.seal_plain_keys().unwrap();
        net.admin(&org.id).expect("sealing again leaves sealed keys alone");
    }
}
