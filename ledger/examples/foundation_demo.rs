//! What the foundation crates do together, end to end, until weft-node exists:
//! an org CA issues a client certificate, the client signs transactions, the
//! signatures are batch-verified against the org's MSP, blocks are committed
//! to a RocksDB ledger, and a state snapshot is exported and imported.
//!
//! Run: `make run`, or after `cargo build --workspace --all-targets`:
//! `target/debug/examples/foundation_demo --data-dir ./weft-data [--blocks 20]`
//! Rerun with the same directory and the chain continues where it stopped.

use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use prost::Message;
use weft_identity::{verify_batch, CertificateAuthority, Msp, Role, SignatureCheck, Validity};
use weft_ledger::testkit::{envelope, ns_rwset, tx_id};
use weft_ledger::{new_block, Ledger, LedgerOptions};
use weft_proto::{ChannelId, Envelope, TxValidationCode};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("foundation_demo --data-dir DIR [--blocks N]\n\nCommits N blocks (default 20) of signed transactions to a RocksDB ledger in DIR,\nthen exports and re-imports a state snapshot and compares state hashes.");
        return Ok(());
    }
    let data_dir = PathBuf::from(arg("--data-dir").unwrap_or_else(|| "./weft-data".into()));
    let blocks: u64 = arg("--blocks").map(|b| b.parse()).transpose()?.unwrap_or(20);
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;

    println!("1/4 identity: creating CA for Org1 and a client certificate");
    let ca = CertificateAuthority::create("Org1", Validity::days_from_now(365))?;
    let (client_key, client_cert) = ca.issue_new("user1.org1", Role::Client, Validity::days_from_now(30))?;
    let msp = Msp::new("Org1", &[ca.certificate_der().to_vec()], &[])?;
    let client = msp.validate(&client_cert, now)?;
    println!("    {} (role {}) valid until unix {}", client.common_name, client.role, client.not_after);

    println!("2/4 ledger: opening {}", data_dir.display());
    std::fs::create_dir_all(&data_dir)?;
    let ledger = Ledger::open(data_dir.join("ledger"), LedgerOptions::default())?;
    let channel = ChannelId::new("demo")?;
    let mut ch = ledger.channel(&channel)?;
    println!("    channel '{channel}' at height {} (hash chain verified)", ch.height());

    println!("3/4 committing {blocks} blocks of 100 signed transactions");
    let started = Instant::now();
    let mut valid = 0usize;
    for _ in 0..blocks {
        let height = ch.height();
        let envelopes: Vec<Vec<u8>> = (0..100u64)
            .map(|t| {
                let key = format!("asset{:04}", (height * 100 + t) % 1000);
                let value = format!("{{\"owner\":\"user1\",\"block\":{height}}}");
                let unsigned = envelope(
                    channel.as_str(),
                    tx_id(format!("{height}/{t}").as_bytes()),
                    ns_rwset("assets", vec![], &[(key.as_str(), Some(value.as_bytes()))]),
                );
                let mut env = Envelope::decode(unsigned.as_slice()).expect("built above");
                env.signature = client_key.sign(&env.payload).to_bytes().to_vec();
                env.encode_to_vec()
            })
            .collect();
        let decoded: Vec<Envelope> =
            envelopes.iter().map(|e| Envelope::decode(e.as_slice())).collect::<Result<_, _>>()?;
        let checks: Vec<SignatureCheck> = decoded
            .iter()
            .map(|e| SignatureCheck { message: &e.payload, signature: &e.signature, public_key: &client.public_key })
            .collect();
        let pre: Vec<TxValidationCode> = verify_batch(&checks)
            .into_iter()
            .map(|ok| if ok { TxValidationCode::Valid } else { TxValidationCode::BadCreatorSignature })
            .collect();
        let block = new_block(height, ch.last_block_hash(), envelopes);
        let summary = ch.commit(&block, Some(&pre))?;
        valid += summary.codes.iter().filter(|c| **c == TxValidationCode::Valid).count();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "    height {}, {valid} valid transactions in {secs:.2}s ({:.0} tx/s, debug build, fsync per block)",
        ch.height(),
        (blocks * 100) as f64 / secs.max(1e-9)
    );
    println!("    last block hash {}", hex::encode(ch.last_block_hash()));
    let state_hash = ch.state_hash()?;
    println!("    state hash {}", hex::encode(state_hash));

    println!("4/4 snapshot: exporting and importing into a fresh ledger");
    let snapshot_path = data_dir.join("demo.snapshot");
    let header = ch.export_snapshot(std::io::BufWriter::new(std::fs::File::create(&snapshot_path)?))?;
    let import_dir = data_dir.join("imported");
    if import_dir.exists() {
        std::fs::remove_dir_all(&import_dir)?;
    }
    let imported = Ledger::open(&import_dir, LedgerOptions::default())?;
    let copy = imported.import_snapshot(std::io::BufReader::new(std::fs::File::open(&snapshot_path)?))?;
    let same = copy.state_hash()? == state_hash;
    println!(
        "    {} entries at height {} -> {}; state hashes {}",
        header.entry_count,
        header.height,
        snapshot_path.display(),
        if same { "match" } else { "DIFFER" }
    );
    if !same {
        return Err("imported state differs from the exported state".into());
    }
    Ok(())
}
