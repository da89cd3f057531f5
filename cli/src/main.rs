//! `weft`: the command-line front end. `weft <noun> <verb>`; every command
//! has `--help`, `--output json` for scripts, and exits non-zero on failure.
//!
//! Today: `weft network init`. Transactions, blocks, contracts, identities
//! and node admin arrive with weft-node and the SDK; the CLI talks to nodes
//! only through the SDK, never to their internals.

mod network;
mod output;

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
    /// Create networks from templates (and, with weft-node, run them).
    #[command(subcommand)]
    Network(network::NetworkCommand),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Network(cmd) => network::run(cmd, cli.output),
    };
    if let Err(e) = result {
        match cli.output {
            Output::Json => println!("{}", serde_json::json!({ "error": format!("{e:#}") })),
            Output::Text => eprintln!("error: {e:#}"),
        }
        std::process::exit(1);
    }
}
