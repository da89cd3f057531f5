//! Where nodes run, and the only place the BaaS touches a node's files,
//! processes or /proc. Everything else reaches a chain's nodes through the
//! [`Driver`] in `AppState` (a trait object, so another runtime can stand
//! in) for their lifecycle, and over gRPC
//! ([`weft_provision::network::NetworkDir`], made from the chain's
//! material, which the BaaS keeps in its database: [`crate::material`]).
//! A test below fails if a module outside `runtime/` reads /proc, a
//! process's counters, or a chain's directory.

pub mod host;
pub mod local;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use weft_provision::local::Stopped;
use weft_provision::network::NetworkDir;
use weft_provision::{ManifestNode, ProvisionError, Tree};

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
    /// Writes a node's home: `home`'s files (from the chain's material,
    /// see [`crate::material`]) by path relative to it.
    fn place_home(&self, chain: &str, node: &str, home: &Tree) -> Result<(), ProvisionError>;
    /// Removes a node's home (a node that was not admitted).
    fn remove_home(&self, chain: &str, node: &str);
    /// The nodes of `chain` that have a home here.
    fn homes(&self, chain: &str) -> Vec<String>;
    /// Starts the node on `binary` unless it runs already: its pid and how
    /// its limits are enforced.
    fn start(&self, chain: &str, node: &ManifestNode, binary: &Path) -> Result<(u32, Limits), ProvisionError>;
    fn stop(&self, chain: &str, node: &ManifestNode) -> Result<Option<Stopped>, ProvisionError>;
    /// The node's pid while it runs.
    fn pid(&self, chain: &str, node: &ManifestNode) -> Option<u32>;
    fn usage(&self, chain: &str, node: &ManifestNode) -> Usage;
    /// When `node`'s certificate expires.
    fn node_certificate_not_after(&self, chain: &str, node: &str) -> Option<i64>;
    /// The last `lines` lines of the node's log.
    fn log_tail(&self, chain: &str, node: &ManifestNode, lines: usize) -> String;
    /// Adds `org`'s CA (`ca_pem`) to the TLS roots of `node` (read at its
    /// next start).
    fn trust_org(&self, chain: &str, node: &ManifestNode, org: &str, ca_pem: &str) -> Result<(), ProvisionError>;
    /// The nodes' credentials (PEM files of their homes) by path: what a
    /// backup seals besides the chain's material.
    fn home_credentials(&self, chain: &str) -> Result<BTreeMap<String, String>, String>;
    /// Writes back the files of `files` (as `home_credentials` gave them)
    /// the homes lost; (restored, present).
    fn restore_home_credentials(&self, chain: &str, files: BTreeMap<String, String>) -> Result<(usize, usize), String>;
    /// Moves the snapshot the node wrote (`written`, as Admin.Snapshot
    /// named it) to `to`; its size.
    fn take_snapshot(&self, chain: &str, node: &ManifestNode, written: &str, to: &Path) -> Result<u64, String>;
    /// Has the node import `snapshot`, a state of `channel`, the next time
    /// it joins (or at its next start rejoins) `channel` from a snapshot;
    /// with `set_aside` its whole ledger, every channel's, is first moved
    /// to `data.before-restore`.
    fn place_snapshot(
        &self,
        chain: &str,
        node: &ManifestNode,
        channel: &str,
        snapshot: &Path,
        set_aside: bool,
    ) -> Result<(), String>;
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
    /// Runs a benchmark over `net` (the chain's network), watching the
    /// chain's node processes.
    fn run_benchmark<'a>(
        &'a self,
        chain: &'a str,
        net: NetworkDir,
        workload: &'a weft_bench::workload::Workload,
        progress: &'a (dyn Fn(&str) + Send + Sync),
    ) -> BenchmarkRun<'a>;
    /// Brings chains made by older versions up to date: seals org keys
    /// kept in the clear, makes node homes whole (see
    /// [`weft_provision::make_home_whole`]), and returns the material each
    /// kept beside its nodes (the manifest, genesis block, org
    /// certificates and sealed keys) for the BaaS to take in; then
    /// [`Driver::drop_older_material`] removes it. Run at start.
    fn upgrade_older_chains(&self) -> anyhow::Result<Vec<(String, Tree)>>;
    /// Removes the material an older version kept beside `chain`'s nodes,
    /// once the BaaS holds it.
    fn drop_older_material(&self, chain: &str) -> anyhow::Result<()>;
}

/// A benchmark's outcome, as the runtime's load generator reports it.
pub type BenchmarkRun<'a> = Pin<Box<dyn Future<Output = anyhow::Result<weft_bench::report::Report>> + Send + 'a>>;

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
