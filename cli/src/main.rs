//! `weft`: the command-line front end. `weft <noun> <verb>`; every command
//! has `--help`, `--output json` for scripts, and exits non-zero on failure.
//! It talks to nodes only through the SDK and their gRPC services.

mod admin;
mod block;
mod config_update;
mod contract;
mod identity;
mod lifecycle_cmd;
mod membership;
mod network;
mod node;
mod node_channel;
mod output;
mod profile;
mod tx;

use clap::{Parser, Subcommand};

use crate::output::Output;

#[derive(Parser)]
#[command(name = "weft", version, about = "Create and operate Weft blockchain networks")]
struct Cli {
    /// How to print results: human-readable text or JSON for scripts.
    #[arg(long, global = true, value_enum, default_value_t = Output::Text, env = "WEFT_OUTPUT")]
    output: Output,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create networks from templates; start, stop and watch their nodes.
    #[command(subcommand)]
    Network(network::NetworkCommand),
    /// Submit transactions and evaluate queries.
    #[command(subcommand)]
    Tx(tx::TxCommand),
    /// Read blocks.
    #[command(subcommand)]
    Block(block::BlockCommand),
    /// Deploy, upgrade and list contracts.
    #[command(subcommand)]
    Contract(contract::ContractCommand),
    /// Node administration (as the node org's admin).
    #[command(subcommand)]
    Node(node::NodeCommand),
    /// Enroll, list and revoke identities.
    #[command(subcommand)]
    Identity(identity::IdentityCommand),
}

fn main() {
    let cli = Cli::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Network(cmd) => network::run(cmd, cli.output).await,
            Command::Tx(cmd) => tx::run(cmd, cli.output).await,
            Command::Block(cmd) => block::run(cmd, cli.output).await,
            Command::Contract(cmd) => contract::run(cmd, cli.output).await,
            Command::Node(cmd) => node::run(cmd, cli.output).await,
            Command::Identity(cmd) => identity::run(cmd, cli.output).await,
        }
    });
    if let Err(e) = result {
        match cli.output {
            Output::Json => println!("{}", serde_json::json!({ "error": format!("{e:#}") })),
            Output::Text => eprintln!("error: {e:#}"),
        }
        std::process::exit(1);
    }
}
