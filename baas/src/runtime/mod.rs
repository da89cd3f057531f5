//! Where nodes run, and the only place the BaaS touches a node's files,
//! processes or /proc. Everything else reaches a chain through the
//! [`Runtime`] in `AppState` (a trait object, so another runtime can stand
//! in): its nodes' lifecycle ([`Driver`]), the chain's material ([`Material`]:
//! keys, certificates, manifest — kept in the chain's directory today, in
//! the database and a sealed-secret store next) and gRPC to the nodes
//! ([`weft_provision::network::NetworkDir`], opened from the material).
//! A test below fails if a module outside `runtime/` reads /proc, a
//! process's counters, or a chain's directory.

pub mod host;
pub mod local;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use weft_provision::local::Stopped;
use weft_provision::network::{NetworkDir, NetworkError};
use weft_provision::{
    InitStage, Manifest, ManifestNode, ManifestOrg, NodeRequest, PreparedNode, PreparedOrg, ProvisionError, Template,
};

use crate::custody::ChainSeal;

pub use local::LocalDriver;
pub use weft_provision::local::Limits;

/// A node's resource use as its runtime sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// CPU ticks, resident bytes, bytes read and written since its process
    /// started; None when it is not running.
    pub counters: Option<(u64, u64, u64, u64)>,
    /// Bytes of its home (ledger, consensus log, keys, log).
    pub disk_bytes: u64,
    /// When its certificate expires (unix seconds).
    pub cert_not_after: Option<i64>,
}

/// What the BaaS asks of a runtime for a chain's nodes: a home for each
/// with only its own material, start, stop, status, resource use, logs,
/// removal, and snapshots moved to or from a node. The local-process driver
/// is the first implementation; a container engine is the next.
pub trait Driver: Send + Sync {
    /// Makes the chain's material and every node's home.
    fn create(
        &self,
        chain: &str,
        template: &Template,
        observe: &mut dyn FnMut(InitStage),
    ) -> Result<Manifest, ProvisionError>;
    /// Starts the node on `binary` unless it runs already: its pid and how
    /// its limits are enforced.
    fn start(&self, chain: &str, node: &ManifestNode, binary: &Path) -> Result<(u32, Limits), ProvisionError>;
    fn stop(&self, chain: &str, node: &ManifestNode) -> Result<Option<Stopped>, ProvisionError>;
    /// The node's pid while it runs.
    fn pid(&self, chain: &str, node: &ManifestNode) -> Option<u32>;
    fn usage(&self, chain: &str, node: &ManifestNode) -> Usage;
    /// The last `lines` lines of the node's log.
    fn log_tail(&self, chain: &str, node: &ManifestNode, lines: usize) -> String;
    /// Moves the snapshot the node wrote (`written`, as Admin.Snapshot
    /// named it) to `to`; its size.
    fn take_snapshot(&self, chain: &str, node: &ManifestNode, written: &str, to: &Path) -> Result<u64, String>;
    /// Has the node import `snapshot` at its next start; with `set_aside`
    /// its ledger is first moved to `data.before-restore`.
    fn place_snapshot(&self, chain: &str, node: &ManifestNode, snapshot: &Path, set_aside: bool) -> Result<(), String>;
    /// Whether the chain has a home on this runtime.
    fn exists(&self, chain: &str) -> bool;
    /// Moves the chain's homes to the archive; where they went.
    fn archive(&self, chain: &str, at: i64) -> std::io::Result<PathBuf>;
    /// Removes what a failed creation made.
    fn remove(&self, chain: &str);
    /// Removes a file the node wrote in its home (named as the node named
    /// it, e.g. Admin.Snapshot's path).
    fn remove_node_file(&self, chain: &str, node: &ManifestNode, named: &str);
    /// The weft-node binary a node without a registered build runs.
    fn node_binary(&self) -> PathBuf;
    /// How full the filesystem holding the nodes' homes is (percent).
    fn disk_used_pct(&self) -> Option<f64>;
    /// The host's CPU, memory, disk and network.
    fn host_reading(&self) -> host::Reading;
}

/// A benchmark's outcome, as the runtime's load generator reports it.
pub type BenchmarkRun<'a> = Pin<Box<dyn Future<Output = anyhow::Result<weft_bench::report::Report>> + Send + 'a>>;

/// A chain's material: its manifest, org CAs and identities (org keys
/// sealed with the master key), node certificates, and what is made from
/// them — a `NetworkDir` to reach the nodes, identities for new nodes and
/// orgs, the credentials a backup seals.
pub trait Material: Send + Sync {
    /// What seals and opens `chain`'s org keys.
    fn seal(&self, chain: &str) -> ChainSeal;
    /// `chain`'s nodes and org identities, org keys opened with the
    /// master key.
    fn network(&self, chain: &str) -> Result<NetworkDir, NetworkError>;
    fn manifest(&self, chain: &str) -> Result<Manifest, ProvisionError>;
    /// Changes the chain's manifest and saves it.
    fn update_manifest(&self, chain: &str, change: &mut dyn FnMut(&mut Manifest)) -> Result<Manifest, ProvisionError>;
    /// Issues a new node's key and certificate from its org's CA and
    /// writes its home (not yet in the manifest).
    fn prepare_node(&self, chain: &str, request: &NodeRequest) -> Result<PreparedNode, ProvisionError>;
    /// A new org's CA, admin and client identities (not yet in the
    /// manifest).
    fn prepare_org(&self, chain: &str, org: &str, days: i64) -> Result<PreparedOrg, ProvisionError>;
    /// Removes what a prepared node or org wrote (it was not admitted).
    fn discard_prepared(&self, chain: &str, prepared: &Path);
    /// Adds `org`'s CA to the TLS roots of `node` (read at its next start).
    fn trust_org(&self, chain: &str, node: &ManifestNode, org: &ManifestOrg) -> Result<(), ProvisionError>;
    /// When the certificate at `rel` (a manifest path) expires.
    fn certificate_not_after(&self, chain: &str, rel: &Path) -> Option<i64>;
    /// When `node`'s certificate expires.
    fn node_certificate_not_after(&self, chain: &str, node: &str) -> Option<i64>;
    /// Every credential of the chain (PEM files by relative path): what a
    /// backup seals.
    fn key_material(&self, chain: &str) -> Result<BTreeMap<String, String>, String>;
    /// Writes back the files of `files` the chain lost; (restored, present).
    fn restore_key_material(&self, chain: &str, files: BTreeMap<String, String>) -> Result<(usize, usize), String>;
    /// Seals the org keys of chains made before org keys were sealed.
    fn seal_plain_keys(&self) -> anyhow::Result<()>;
    /// Where the BaaS keeps backups (snapshots and sealed keys).
    fn backups_dir(&self) -> PathBuf;
    /// Runs a benchmark over the chain's network.
    fn run_benchmark<'a>(
        &'a self,
        chain: &'a str,
        workload: &'a weft_bench::workload::Workload,
        progress: &'a (dyn Fn(&str) + Send + Sync),
    ) -> BenchmarkRun<'a>;
}

/// Both halves, as `AppState` holds them.
pub trait Runtime: Driver + Material {}

impl<T: Driver + Material> Runtime for T {}

#[cfg(test)]
mod tests {
    /// What only the runtime may do: read /proc or a process's counters,
    /// spawn or find node processes, open a chain's directory, its
    /// manifest or a node's config by path.
    const RUNTIME_ONLY: [&str; 9] = [
        "\"/proc",
        "weft_bench::monitor::counters",
        "weft_provision::local::",
        "chain_dir",
        "chains_dir",
        "join(\"nodes\")",
        "Manifest::load(",
        "NodeConfig::load(",
        "seal_in_place(",
    ];

    use crate::layers::sources;

    /// Issue #23: nothing in the BaaS outside `runtime/` touches a node's
    /// files, pid or /proc (comments may name them).
    #[test]
    fn only_the_runtime_touches_nodes_files_processes_and_proc() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let mut found = Vec::new();
        for file in files.iter().filter(|f| !f.starts_with(src.join("runtime"))) {
            let text = std::fs::read_to_string(file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for what in RUNTIME_ONLY.iter().filter(|w| code.contains(*w)) {
                    found.push(format!("{}:{}: {what}", file.strip_prefix(&src).unwrap().display(), n + 1));
                }
            }
        }
        assert!(found.is_empty(), "only runtime/ may do this:\n{}", found.join("\n"));
        assert!(files.len() > 40, "read {} files: is this the BaaS's source?", files.len());
        // The check sees what it looks for.
        let probe = "let f = std::fs::read_to_string(\"/proc/self/stat\");";
        assert!(RUNTIME_ONLY.iter().any(|w| probe.contains(w)));
    }
}
