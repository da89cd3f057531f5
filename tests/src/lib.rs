//! The end-to-end harness: a network made by `weft network init`, started
//! by `weft network up` as real `weft-node` processes on 127.0.0.1 with free
//! ports, and stopped (or killed) by the test. The binaries are the ones
//! `cargo test --workspace` builds next to the test executable.

pub mod cluster;
mod load;
pub mod netns;

pub use load::Load;

use std::path::{Path, PathBuf};
use std::process::Command;

use weft_identity::SigningKeyPair;
use weft_proto::admin_client::AdminClient;
use weft_proto::SerializedIdentity;
use weft_provision::{read_cert_pem, Manifest, NodeRoleName};
use weft_sdk::{ClientIdentity, Gateway, TrustRoots};

/// Writes `text` to `path` as an executable script (a node wrapper).
pub fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write the script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("make the script executable");
}

/// target/debug, where cargo puts weft and weft-node.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target/debug").to_path_buf();
    for bin in ["weft", "weft-node"] {
        assert!(
            dir.join(bin).exists(),
            "{} not built; run `cargo build --workspace --all-targets` (or `make test`) first",
            dir.join(bin).display()
        );
    }
    dir
}

pub struct Net {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub manifest: Manifest,
    bins: PathBuf,
    node_binary: PathBuf,
}

impl Net {
    /// `weft network init` from a template file or TOML text, on free
    /// ports of 127.0.0.1.
    pub fn init(template: &str) -> Net {
        Net::init_with(template, &["--free-ports"])
    }

    /// `weft network init` with `args` (e.g. `--host`, `--base-port`).
    /// Set WEFT_E2E_KEEP=1 to keep the network directory (logs, data) after
    /// the test; its path is printed.
    pub fn init_with(template: &str, args: &[&str]) -> Net {
        let mut tmp = tempfile::tempdir().expect("tempdir");
        if std::env::var_os("WEFT_E2E_KEEP").is_some() {
            tmp.disable_cleanup(true);
            eprintln!("WEFT_E2E_KEEP: the network stays in {}", tmp.path().display());
        }
        let bins = bin_dir();
        let template_path = if template.trim_start().starts_with("name") || template.contains('\n') {
            let p = tmp.path().join("template.toml");
            std::fs::write(&p, template).expect("write template");
            p
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/templates").join(format!("{template}.toml"))
        };
        let dir = tmp.path().join("net");
        let out = Command::new(bins.join("weft"))
            .args(["network", "init"])
            .args(args)
            .arg("--template")
            .arg(&template_path)
            .arg("--out")
            .arg(&dir)
            .output()
            .expect("run weft");
        assert!(out.status.success(), "network init: {}", String::from_utf8_lossy(&out.stderr));
        let manifest = Manifest::load(&dir).expect("manifest");
        let node_binary = bins.join("weft-node");
        Net { _tmp: tmp, dir, manifest, bins, node_binary }
    }

    /// What `weft network up` starts nodes with (a wrapper, say).
    pub fn set_node_binary(&mut self, path: PathBuf) {
        self.node_binary = path;
    }

    /// The weft CLI this harness runs.
    pub fn weft_binary(&self) -> PathBuf {
        self.bins.join("weft")
    }

    /// The real weft-node executable.
    pub fn real_node_binary(&self) -> PathBuf {
        self.bins.join("weft-node")
    }

    /// Starts nodes through a script `name`: the shell lines `prelude` (an
    /// export of a test-only variable, say; `$2` is the node's config path,
    /// `nodes/<id>/…`, so a `case` can pick one node), then the real
    /// weft-node.
    pub fn wrap_node_binary(&mut self, name: &str, prelude: &str) {
        let path = self.dir.join(name);
        write_script(&path, &format!("#!/bin/sh\n{prelude}\nexec {} \"$@\"\n", self.real_node_binary().display()));
        self.set_node_binary(path);
    }

    /// What `node` has logged so far.
    pub fn node_log(&self, node: &str) -> String {
        let path = self.dir.join("nodes").join(node).join("node.log");
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    /// Runs `weft ARGS` against this network; returns (success, stdout, stderr).
    pub fn weft(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(self.bins.join("weft"))
            .args(args)
            .env("WEFT_NETWORK", &self.dir)
            .env("WEFT_NODE_BIN", &self.node_binary)
            .output()
            .expect("run weft");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `weft ARGS`, which must succeed; its stdout.
    pub fn weft_ok(&self, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.weft(args);
        assert!(ok, "weft {args:?} failed:\n{stdout}\n{stderr}");
        stdout
    }

    /// Reads the manifest again (after `weft network add-node|remove-node`).
    pub fn reload(&mut self) {
        self.manifest = Manifest::load(&self.dir).expect("manifest");
    }

    /// Starts every node that is not running and waits until all are healthy.
    pub fn up(&self) {
        let dir = self.dir.display().to_string();
        self.weft_ok(&["network", "up", &dir, "--timeout-secs", "60"]);
    }

    pub fn identity(&self, org: &str, admin: bool) -> ClientIdentity {
        let o = self.manifest.orgs.iter().find(|o| o.id == org).expect("org");
        let (cert, key) =
            if admin { (&o.admin_certificate, &o.admin_key) } else { (&o.client_certificate, &o.client_key) };
        self.identity_from(org, &self.dir.join(cert), &self.dir.join(key))
    }

    pub fn identity_from(&self, org: &str, cert: &Path, key: &Path) -> ClientIdentity {
        let key = SigningKeyPair::from_pkcs8_pem(&std::fs::read_to_string(key).expect("key")).expect("key");
        ClientIdentity {
            identity: SerializedIdentity { org_id: org.into(), certificate_der: read_cert_pem(cert).expect("cert") },
            key,
        }
    }

    pub fn roots(&self) -> TrustRoots {
        let pems: Vec<String> = self
            .manifest
            .orgs
            .iter()
            .map(|o| std::fs::read_to_string(self.dir.join(&o.ca_certificate)).expect("ca"))
            .collect();
        TrustRoots::from_pems(&pems)
    }

    /// gRPC addresses of `org`'s peers.
    pub fn peers_of(&self, org: &str) -> Vec<String> {
        self.manifest
            .nodes
            .iter()
            .filter(|n| n.org == org && n.roles.contains(&NodeRoleName::Peer))
            .map(|n| n.grpc.clone())
            .collect()
    }

    pub fn gateway(&self, org: &str) -> Gateway {
        self.gateway_as(self.identity(org, false), &self.peers_of(org))
    }

    pub fn gateway_as(&self, client: ClientIdentity, peers: &[String]) -> Gateway {
        Gateway::connect(client, &self.manifest.channel, peers, &self.roots()).expect("gateway")
    }

    pub fn node(&self, id: &str) -> &weft_provision::ManifestNode {
        self.manifest.nodes.iter().find(|n| n.id == id).unwrap_or_else(|| panic!("no node {id}"))
    }

    /// An Admin client for `node` authenticated as `client`.
    pub fn admin_as(&self, node: &str, client: &ClientIdentity) -> AdminClient<tonic::transport::Channel> {
        AdminClient::new(weft_sdk::channel(&self.node(node).grpc, &self.roots(), client).expect("channel"))
    }

    /// An Admin client as the node org's admin.
    pub fn admin(&self, node: &str) -> AdminClient<tonic::transport::Channel> {
        let org = self.node(node).org.clone();
        self.admin_as(node, &self.identity(&org, true))
    }

    pub fn pid(&self, node: &str) -> Option<u32> {
        let pid_file = self.dir.join(&self.node(node).config).with_file_name("node.pid");
        std::fs::read_to_string(pid_file).ok()?.trim().parse().ok()
    }

    /// Whether process `pid` is still running. A node is not the test's
    /// child (the weft CLI started it), so once it exits it may stay a
    /// zombie until init reaps it: that counts as gone.
    pub fn alive(pid: u32) -> bool {
        weft_provision::local::alive(pid)
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill9(&self, node: &str) {
        let pid = self.pid(node).expect("node has a pid");
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        // Reap-free wait: the process is not our child (weft started it).
        for _ in 0..100 {
            if !Net::alive(pid) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The contract's wasm as built by weft-contract-wasm, written to a file
    /// for `weft contract deploy`.
    pub fn wasm_file(&self, name: &str, code: &[u8]) -> PathBuf {
        let p = self.dir.join(format!("{name}.wasm"));
        std::fs::write(&p, code).expect("write wasm");
        p
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        let dir = self.dir.display().to_string();
        let _ = self.weft(&["network", "down", &dir, "--grace-secs", "5"]);
    }
}
