//! `weft tx submit|evaluate`: call a contract through the Gateway.

use anyhow::{anyhow, Result};
use clap::Subcommand;
use weft_sdk::Call;

use crate::output::Output;
use crate::profile::Profile;

#[derive(Subcommand)]
pub enum TxCommand {
    /// Endorse, order and wait for the commit; fails unless VALID.
    ///
    /// Example: weft tx submit asset-transfer CreateAsset asset1 blue 5 Tom 100
    Submit {
        #[command(flatten)]
        call: CallArgs,
        /// Return once the orderer accepted it, without waiting for the commit.
        #[arg(long = "async")]
        no_wait: bool,
        /// How long to wait for the commit before giving up (the
        /// transaction may still commit later).
        #[arg(long, default_value_t = 60)]
        wait_secs: u64,
        #[command(flatten)]
        profile: Profile,
    },
    /// Run a query on one peer; nothing is written.
    ///
    /// Example: weft tx evaluate asset-transfer ReadAsset asset1
    Evaluate {
        #[command(flatten)]
        call: CallArgs,
        #[command(flatten)]
        profile: Profile,
    },
}

#[derive(clap::Args)]
pub struct CallArgs {
    /// Contract name.
    contract: String,
    /// Function to call.
    function: String,
    /// Arguments, each passed as UTF-8 bytes.
    args: Vec<String>,
    /// Private input KEY=VALUE, given to the contract but never stored (repeatable).
    #[arg(long = "transient", value_parser = parse_kv)]
    transient: Vec<(String, String)>,
    /// Org whose peers must endorse (repeatable; default: every org).
    #[arg(long = "endorsing-org")]
    endorsing_orgs: Vec<String>,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

impl CallArgs {
    fn call(&self) -> Call {
        Call {
            contract: self.contract.clone(),
            function: self.function.clone(),
            args: self.args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            transient: self.transient.iter().map(|(k, v)| (k.clone(), v.as_bytes().to_vec())).collect(),
            endorsing_orgs: self.endorsing_orgs.clone(),
        }
    }
}

/// The result as text if it is UTF-8, else hex.
pub fn show_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => format!("0x{}", hex::encode(bytes)),
    }
}

fn json_value(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| serde_json::Value::String(show_bytes(bytes)))
}

pub async fn run(cmd: TxCommand, output: Output) -> Result<()> {
    match cmd {
        TxCommand::Evaluate { call, profile } => {
            let (gateway, _) = profile.gateway()?;
            let result = gateway.evaluate(&call.call()).await?;
            match output {
                Output::Json => println!("{}", serde_json::json!({ "result": json_value(&result) })),
                Output::Text => println!("{}", show_bytes(&result)),
            }
            Ok(())
        }
        TxCommand::Submit { call, no_wait, wait_secs, profile } => {
            let (gateway, _) = profile.gateway()?;
            let gateway = gateway.with_commit_timeout(std::time::Duration::from_secs(wait_secs));
            let submitted = gateway.submit_async(&call.call()).await?;
            if no_wait {
                match output {
                    Output::Json => println!(
                        "{}",
                        serde_json::json!({ "tx_id": submitted.tx_id.to_string(), "result": json_value(&submitted.result) })
                    ),
                    Output::Text => println!("submitted {} (not waiting for the commit)", submitted.tx_id),
                }
                return Ok(());
            }
            let status = gateway.commit_status(&submitted.tx_id).await?;
            let code = crate::block::code_name(status.code as i32);
            match output {
                Output::Json => println!(
                    "{}",
                    serde_json::json!({
                        "tx_id": submitted.tx_id.to_string(), "block": status.block, "code": code,
                        "result": json_value(&submitted.result),
                    })
                ),
                Output::Text => {
                    println!("tx {} committed in block {} as {code}", submitted.tx_id, status.block);
                    if !submitted.result.is_empty() {
                        println!("{}", show_bytes(&submitted.result));
                    }
                }
            }
            if status.code != weft_proto::TxValidationCode::Valid {
                return Err(anyhow!("transaction {} was not valid: {code}", submitted.tx_id));
            }
            Ok(())
        }
    }
}
