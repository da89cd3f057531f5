//! `weft contract deploy|upgrade|list`: the `_lifecycle` contract. A deploy
//! is approved by org admins (their signatures over the definition) and
//! then submitted like any transaction.

use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use weft_sdk::{lifecycle, Call};

use crate::output::Output;
use crate::profile::{identity_from, Profile};

#[derive(clap::Args)]
pub struct DeployArgs {
    /// Contract name (letters, digits, '-', '_').
    name: String,
    /// The compiled contract (.wasm).
    wasm: PathBuf,
    /// Version label, e.g. 1.0; an upgrade needs a new one.
    #[arg(long)]
    version: String,
    /// Endorsement policy, e.g. "AND('Org1.peer','Org2.peer')"; default:
    /// the channel's Endorsement policy.
    #[arg(long)]
    policy: Option<String>,
    /// Orgs whose admins approve (repeatable; default: every org in the
    /// network directory). Together they must satisfy the Lifecycle policy.
    #[arg(long = "approve-as")]
    approvers: Vec<String>,
}

#[derive(Subcommand)]
pub enum ContractCommand {
    /// Deploy a new contract.
    ///
    /// Example: weft contract deploy asset-transfer asset_transfer.wasm --version 1.0
    Deploy {
        #[command(flatten)]
        args: DeployArgs,
        #[command(flatten)]
        profile: Profile,
    },
    /// Upgrade a deployed contract to new code and version.
    Upgrade {
        #[command(flatten)]
        args: DeployArgs,
        #[command(flatten)]
        profile: Profile,
    },
    /// The contracts deployed on the channel.
    List {
        #[command(flatten)]
        profile: Profile,
    },
}

pub async fn run(cmd: ContractCommand, output: Output) -> Result<()> {
    match cmd {
        ContractCommand::Deploy { args, profile } => deploy(args, false, profile, output).await,
        ContractCommand::Upgrade { args, profile } => deploy(args, true, profile, output).await,
        ContractCommand::List { profile } => {
            let (gateway, _) = profile.gateway()?;
            let bytes = gateway.evaluate(&Call::new("_lifecycle", "list", &[])).await?;
            let list: Vec<serde_json::Value> = serde_json::from_slice(&bytes).context("_lifecycle list")?;
            match output {
                Output::Json => println!("{}", serde_json::Value::Array(list)),
                Output::Text if list.is_empty() => {
                    println!("no contracts deployed; deploy one with `weft contract deploy`")
                }
                Output::Text => {
                    println!("{:<20} {:<10} {:<9} {:<18} POLICY", "NAME", "VERSION", "SEQUENCE", "CODE");
                    for c in list {
                        println!(
                            "{:<20} {:<10} {:<9} {:<18} {}",
                            c["name"].as_str().unwrap_or(""),
                            c["version"].as_str().unwrap_or(""),
                            c["sequence"].as_u64().unwrap_or(0),
                            &c["code_hash"].as_str().unwrap_or("")[..16],
                            c["endorsement_policy"].as_str().filter(|p| !p.is_empty()).unwrap_or("(channel default)")
                        );
                    }
                }
            }
            Ok(())
        }
    }
}

async fn deploy(args: DeployArgs, upgrade: bool, profile: Profile, output: Output) -> Result<()> {
    let code = std::fs::read(&args.wasm).with_context(|| format!("reading {}", args.wasm.display()))?;
    let (gateway, loaded) = profile.gateway()?;
    let approvers: Vec<String> = if args.approvers.is_empty() {
        loaded.manifest.orgs.iter().map(|o| o.id.clone()).collect()
    } else {
        args.approvers.clone()
    };
    let mut admins = Vec::new();
    for org_id in &approvers {
        let org = loaded
            .manifest
            .orgs
            .iter()
            .find(|o| &o.id == org_id)
            .ok_or_else(|| anyhow!("no org {org_id:?} in the network directory"))?;
        admins.push(identity_from(org_id, &loaded.dir.join(&org.admin_certificate), &loaded.dir.join(&org.admin_key))?);
    }
    let function = if upgrade { "upgrade" } else { "deploy" };
    if output == Output::Text {
        eprintln!("{function}ing {} {}, approved by {} …", args.name, args.version, approvers.join(", "));
    }
    let contract = lifecycle::Contract {
        name: &args.name,
        version: &args.version,
        endorsement_policy: args.policy.as_deref().unwrap_or_default(),
        code: &code,
    };
    let deployed = lifecycle::deploy(&gateway, &contract, upgrade, &admins.iter().collect::<Vec<_>>()).await?;
    let (sequence, block, tx_id) = (deployed.sequence, deployed.status.block, deployed.submitted.tx_id);
    match output {
        Output::Json => println!(
            "{}",
            serde_json::json!({
                "name": args.name, "version": args.version, "sequence": sequence,
                "tx_id": tx_id.to_string(), "block": block,
            })
        ),
        Output::Text => println!(
            "contract {} {} (sequence {sequence}) {function}ed in block {block} (tx {tx_id})",
            args.name, args.version
        ),
    }
    Ok(())
}
