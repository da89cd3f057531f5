//! `weft block get|tail`: read blocks through Deliver (and save one).

use anyhow::{anyhow, Result};
use clap::Subcommand;
use prost::Message;
use tokio_stream::StreamExt;
use weft_proto::{block_hash, payload, Block, Envelope, Payload, ProposalResult, TxValidationCode};

use crate::output::Output;
use crate::profile::Profile;

#[derive(Subcommand)]
pub enum BlockCommand {
    /// One block with its transactions and validation codes.
    Get {
        number: u64,
        /// Also write the block itself (protobuf) to FILE: a configuration
        /// block to join a node with (`weft node channel join
        /// --from-snapshot --block FILE`).
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        profile: Profile,
    },
    /// Print blocks as they commit (from --from, default the next one).
    Tail {
        #[arg(long)]
        from: Option<u64>,
        /// Stop after this many blocks.
        #[arg(long)]
        count: Option<u64>,
        #[command(flatten)]
        profile: Profile,
    },
}

pub fn code_name(code: i32) -> String {
    TxValidationCode::try_from(code)
        .map(|c| c.as_str_name().trim_start_matches("TX_VALIDATION_CODE_").to_string())
        .unwrap_or_else(|_| format!("CODE_{code}"))
}

fn describe(block: &Block) -> serde_json::Value {
    let header = block.header.clone().unwrap_or_default();
    let meta = block.metadata.clone().unwrap_or_default();
    let txs: Vec<_> = block
        .data
        .as_ref()
        .map(|d| d.envelopes.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, env)| {
            let payload =
                Envelope::decode(env.as_slice()).ok().and_then(|e| Payload::decode(e.payload.as_slice()).ok());
            let header = payload.as_ref().and_then(|p| p.header.clone()).unwrap_or_default();
            let (kind, contract, function) = match payload.and_then(|p| p.body) {
                Some(payload::Body::Transaction(tx)) => {
                    let result = ProposalResult::decode(tx.result_bytes.as_slice()).unwrap_or_default();
                    let function = weft_proto::Proposal::decode(tx.proposal_bytes.as_slice())
                        .map(|p| p.function)
                        .unwrap_or_default();
                    ("transaction", result.contract, function)
                }
                Some(payload::Body::ConfigUpdate(_)) => ("config", String::new(), String::new()),
                None => ("unknown", String::new(), String::new()),
            };
            serde_json::json!({
                "tx_id": hex::encode(&header.tx_id),
                "type": kind,
                "contract": contract,
                "function": function,
                "creator_org": header.creator.map(|c| c.org_id).unwrap_or_default(),
                "timestamp_unix_ms": header.timestamp_unix_ms,
                "code": meta.validation_codes.get(i).map(|c| code_name(*c)).unwrap_or_default(),
            })
        })
        .collect();
    serde_json::json!({
        "number": header.number,
        "hash": hex::encode(block_hash(&header)),
        "previous_hash": hex::encode(&header.previous_hash),
        "timestamp_unix_ms": meta.timestamp_unix_ms,
        "signed_by": meta.signatures.iter().filter_map(|s| s.signer.as_ref().map(|s| s.org_id.clone())).collect::<Vec<_>>(),
        "transactions": txs,
    })
}

fn print(block: &Block, output: Output) {
    let d = describe(block);
    match output {
        Output::Json => println!("{d}"),
        Output::Text => {
            println!(
                "block {}  hash {}  txs {}",
                d["number"],
                d["hash"].as_str().unwrap_or(""),
                d["transactions"].as_array().map(|a| a.len()).unwrap_or(0)
            );
            for tx in d["transactions"].as_array().into_iter().flatten() {
                println!(
                    "  {}  {:<24} {:<12} {:<16} {}",
                    &tx["tx_id"].as_str().unwrap_or("")[..16.min(tx["tx_id"].as_str().unwrap_or("").len())],
                    tx["code"].as_str().unwrap_or(""),
                    tx["type"].as_str().unwrap_or(""),
                    tx["contract"].as_str().unwrap_or(""),
                    tx["function"].as_str().unwrap_or("")
                );
            }
        }
    }
}

pub async fn run(cmd: BlockCommand, output: Output) -> Result<()> {
    match cmd {
        BlockCommand::Get { number, out, profile } => {
            let (gateway, _) = profile.gateway()?;
            let mut blocks = Box::pin(gateway.blocks(Some(number), Some(number)).await?);
            let block = tokio::time::timeout(std::time::Duration::from_secs(10), blocks.next())
                .await
                .map_err(|_| anyhow!("block {number} is not committed yet (waited 10 s)"))?
                .ok_or_else(|| anyhow!("no block {number}"))??;
            if let Some(path) = &out {
                std::fs::write(path, block.encode_to_vec())
                    .map_err(|e| anyhow!("writing block {number} to {}: {e}", path.display()))?;
            }
            print(&block, output);
            Ok(())
        }
        BlockCommand::Tail { from, count, profile } => {
            let (gateway, _) = profile.gateway()?;
            let stop = match (from, count) {
                (Some(f), Some(c)) if c > 0 => Some(f + c - 1),
                _ => None,
            };
            let mut blocks = Box::pin(gateway.blocks(from, stop).await?);
            let mut seen = 0;
            while let Some(block) = blocks.next().await {
                print(&block?, output);
                seen += 1;
                if count.is_some_and(|c| seen >= c) {
                    break;
                }
            }
            Ok(())
        }
    }
}
