//! `weft network …`: generate a network directory from a template, start
//! and stop its nodes on this host, and show their status.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use weft_provision::{init, InitOptions, Manifest, NodeRoleName, Template};

use crate::output::Output;

#[derive(Subcommand)]
pub enum NetworkCommand {
    /// Generate CAs, certificates, the genesis block and node configs.
    ///
    /// Example: weft network init --template solo-1 --out ./mynet
    Init {
        /// A template file, or the name of one in the templates directory
        /// (solo-1, raft-3, raft-5, pbft-4, pbft-7).
        #[arg(long)]
        template: String,
        /// Directory to create; must not exist or be empty.
        #[arg(long)]
        out: PathBuf,
        /// Where named templates are looked up.
        #[arg(long, env = "WEFT_TEMPLATES", default_value = "config/templates")]
        templates_dir: PathBuf,
        /// Address nodes listen on and are reached at. Repeat it to spread
        /// the nodes over hosts: node i goes to the (i mod n)-th --host
        /// (use --base-port then; free ports can only be probed on this host).
        #[arg(long, default_value = "127.0.0.1")]
        host: Vec<String>,
        /// Node i listens on base+10i (gRPC), +1 (p2p), +2 (metrics).
        #[arg(long, default_value_t = 7050, conflicts_with = "free_ports")]
        base_port: u16,
        /// Pick free ports now instead of using --base-port.
        #[arg(long)]
        free_ports: bool,
        /// Validity of node, admin and client certificates, in days.
        #[arg(long, default_value_t = 365)]
        cert_days: i64,
    },
    /// Show what a network directory contains (nodes, roles, ports).
    Show {
        /// The directory `weft network init` created.
        dir: PathBuf,
    },
    /// Start every node of the network on this host and wait until each is
    /// healthy. Logs go to nodes/<node>/node.log.
    Up {
        dir: PathBuf,
        /// The weft-node executable (default: next to `weft`, else on PATH).
        #[arg(long, env = "WEFT_NODE_BIN")]
        node_binary: Option<PathBuf>,
        /// Give up if the nodes are not all healthy within this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout_secs: u64,
    },
    /// Stop the network's nodes (SIGTERM, then SIGKILL after --grace-secs).
    Down {
        dir: PathBuf,
        #[arg(long, default_value_t = 10)]
        grace_secs: u64,
    },
    /// Each node's process, height, roles and consensus state.
    Status { dir: PathBuf },
    /// Add a node to the running network: issue its certificate from the
    /// org's CA, write nodes/<id>/, and commit a configuration update
    /// naming it (signed by every org's admin). Start it with `up`.
    ///
    /// Example: weft network add-node ./mynet --org Org1 --role orderer
    AddNode {
        /// The network directory (`weft network init` made it).
        dir: PathBuf,
        /// The org the node belongs to; its CA (in the directory) issues
        /// the node's certificate.
        #[arg(long)]
        org: String,
        /// peer and/or orderer (repeat for both).
        #[arg(long = "role", required = true, value_parser = crate::membership::parse_role)]
        roles: Vec<NodeRoleName>,
        /// Address it listens on (default: where the org's nodes are).
        #[arg(long)]
        host: Option<String>,
        /// Validity of the node's certificate, in days.
        #[arg(long, default_value_t = 365)]
        cert_days: i64,
        /// Start it from a state snapshot fetched from another node instead
        /// of replaying the chain (peers only; blocks before the snapshot
        /// are then not on this node).
        #[arg(long)]
        from_snapshot: bool,
    },
    /// Remove a node: commit a configuration update without it (orderers
    /// hand leadership over first), then stop its process. Its directory
    /// stays.
    RemoveNode {
        /// The network directory.
        dir: PathBuf,
        /// The node's id, as `weft network show` lists it (e.g. node0.org3).
        node: String,
        /// Seconds between SIGTERM and SIGKILL when stopping its process.
        #[arg(long, default_value_t = 10)]
        grace_secs: u64,
    },
}

pub async fn run(cmd: NetworkCommand, output: Output) -> Result<()> {
    match cmd {
        NetworkCommand::Init { template, out, templates_dir, host, base_port, free_ports, cert_days } => {
            let path = template_path(&template, &templates_dir)?;
            let template = Template::load(&path)?;
            if cert_days < 1 {
                bail!("--cert-days must be at least 1");
            }
            let options = InitOptions {
                hosts: host,
                base_port: (!free_ports).then_some(base_port),
                cert_validity_days: cert_days,
                key_seal: None,
            };
            if output == Output::Text {
                eprintln!(
                    "generating {} ({} orgs, {} nodes) into {} …",
                    template.name,
                    template.orgs.len(),
                    template.node_count(),
                    out.display()
                );
            }
            let manifest = init(&template, &out, &options)
                .with_context(|| format!("while generating network {} into {}", template.name, out.display()))?;
            print(&manifest, &out, output);
            if output == Output::Text {
                println!("\nnext: start the nodes with `weft network up {}`", out.display());
            }
            Ok(())
        }
        NetworkCommand::Show { dir } => {
            let manifest = Manifest::load(&dir).with_context(|| format!("while reading network {}", dir.display()))?;
            print(&manifest, &dir, output);
            Ok(())
        }
        NetworkCommand::Up { dir, node_binary, timeout_secs } => {
            crate::lifecycle_cmd::up(&dir, node_binary.as_deref(), timeout_secs, output).await
        }
        NetworkCommand::Down { dir, grace_secs } => crate::lifecycle_cmd::down(&dir, grace_secs, output).await,
        NetworkCommand::Status { dir } => crate::lifecycle_cmd::status(&dir, output).await,
        NetworkCommand::AddNode { dir, org, roles, host, cert_days, from_snapshot } => {
            crate::membership::add_node(&dir, org, roles, host, cert_days, from_snapshot, output).await
        }
        NetworkCommand::RemoveNode { dir, node, grace_secs } => {
            crate::membership::remove_node(&dir, &node, grace_secs, output).await
        }
    }
}

/// `name` as a file if it is one, else `<templates_dir>/<name>.toml`.
fn template_path(name: &str, templates_dir: &Path) -> Result<PathBuf> {
    let direct = PathBuf::from(name);
    if direct.is_file() {
        return Ok(direct);
    }
    let named = templates_dir.join(format!("{name}.toml"));
    if named.is_file() {
        return Ok(named);
    }
    let known: Vec<String> = std::fs::read_dir(templates_dir)
        .map(|entries| {
            entries.filter_map(|e| e.ok()?.path().file_stem().map(|s| s.to_string_lossy().into_owned())).collect()
        })
        .unwrap_or_default();
    if known.is_empty() {
        bail!(
            "no template file {name:?}, and no templates in {} (set --templates-dir or WEFT_TEMPLATES)",
            templates_dir.display()
        );
    }
    let mut known = known;
    known.sort();
    bail!("no template {name:?}; the templates in {} are: {}", templates_dir.display(), known.join(", "))
}

fn print(manifest: &Manifest, dir: &Path, output: Output) {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(manifest).expect("manifest serialises")),
        Output::Text => {
            println!(
                "network {} — template {}, channel {}, consensus {}",
                dir.display(),
                manifest.template,
                manifest.channel,
                format!("{:?}", manifest.consensus).to_lowercase()
            );
            println!("{:<16} {:<8} {:<14} {:<22} {:<22}", "NODE", "ORG", "ROLES", "GRPC", "METRICS");
            for n in &manifest.nodes {
                let roles: Vec<String> = n.roles.iter().map(|r| format!("{r:?}").to_lowercase()).collect();
                println!("{:<16} {:<8} {:<14} {:<22} {:<22}", n.id, n.org, roles.join(","), n.grpc, n.metrics);
            }
            for o in &manifest.orgs {
                println!(
                    "org {}: admin {}, client {}",
                    o.id,
                    o.admin_certificate.display(),
                    o.client_certificate.display()
                );
            }
        }
    }
}
