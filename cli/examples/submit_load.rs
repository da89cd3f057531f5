//! A first end-to-end load figure until weft-bench exists (issue #11):
//! `--clients` concurrent clients each submit CreateAsset transactions
//! through the Gateway and wait for their commit; prints throughput and
//! latency percentiles. Needs a running network with asset-transfer
//! deployed (`make run`).
//!
//! cargo run --example submit_load -- --network ./weft-net --clients 16 --txs 2000

use std::time::{Duration, Instant};

use clap::Parser;
use weft_identity::SigningKeyPair;
use weft_proto::SerializedIdentity;
use weft_provision::{read_cert_pem, Manifest, NodeRoleName};
use weft_sdk::{Call, ClientIdentity, Gateway, TrustRoots};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "./weft-net")]
    network: std::path::PathBuf,
    #[arg(long, default_value_t = 16)]
    clients: usize,
    #[arg(long, default_value_t = 2000)]
    txs: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let manifest = Manifest::load(&args.network)?;
    let org = &manifest.orgs[0];
    let pems: Vec<String> = manifest
        .orgs
        .iter()
        .map(|o| std::fs::read_to_string(args.network.join(&o.ca_certificate)))
        .collect::<Result<_, _>>()?;
    let client = ClientIdentity {
        identity: SerializedIdentity {
            org_id: org.id.clone(),
            certificate_der: read_cert_pem(&args.network.join(&org.client_certificate))?,
        },
        key: SigningKeyPair::from_pkcs8_pem(&std::fs::read_to_string(args.network.join(&org.client_key))?)?,
    };
    let peers: Vec<String> = manifest
        .nodes
        .iter()
        .filter(|n| n.org == org.id && n.roles.contains(&NodeRoleName::Peer))
        .map(|n| n.grpc.clone())
        .collect();
    let gateway = Gateway::connect(client, &manifest.channel, &peers, &TrustRoots::from_pems(&pems))?;
    let run = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());
    let per_client = args.txs / args.clients;
    eprintln!("{} clients × {per_client} transactions …", args.clients);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let gateway = gateway.clone();
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for i in 0..per_client {
                let id = format!("load-{run}-{c}-{i}");
                let call = Call::new("asset-transfer", "CreateAsset", &[id.as_bytes(), b"blue", b"5", b"Tom", b"100"]);
                let t = Instant::now();
                gateway.submit(&call).await.expect("submit");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{} txs committed VALID in {:.2} s: {:.0} tx/s; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.95).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
    Ok(())
}
