//! Issue #5 (b) and (e): two orgs with a peer each and a separate solo
//! orderer. Peers pull blocks from the orderer's Deliver service and
//! validate them on their own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weft_e2e::Net;
use weft_proto::{StatusRequest, TxValidationCode};
use weft_sdk::Call;

const TEMPLATE: &str = r#"
name = "two-orgs-solo"
description = "Org1 and Org2 peers, a solo orderer of OrdererOrg"
channel = "weft"
consensus = "solo"

[batch]
max_message_count = 50
batch_timeout_ms = 50

[policies]
endorsement = "AND('Org1.peer','Org2.peer')"

[resources]
cpu = 1.0
memory_mb = 512
disk_gb = 1
bandwidth_mbps = 100

[[orgs]]
id = "Org1"
nodes = 1
roles = ["peer"]

[[orgs]]
id = "Org2"
nodes = 1
roles = ["peer"]

[[orgs]]
id = "OrdererOrg"
nodes = 1
roles = ["orderer"]
"#;

fn call(function: &str, args: &[&str]) -> Call {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    Call::new("asset-transfer", function, &args)
}

async fn status(net: &Net, node: &str) -> weft_proto::StatusResponse {
    net.admin(node).status(StatusRequest {}).await.unwrap().into_inner()
}

/// Waits until every node reports `height`, then returns their last block hashes.
async fn converge(net: &Net, nodes: &[&str], height: u64) -> Vec<Vec<u8>> {
    for _ in 0..200 {
        let mut hashes = Vec::new();
        for n in nodes {
            let s = status(net, n).await;
            if s.height == height {
                hashes.push(s.last_block_hash);
            }
        }
        if hashes.len() == nodes.len() {
            return hashes;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nodes did not reach height {height}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_orgs_policy_and_a_peer_killed_mid_load() {
    let net = Net::init(TEMPLATE);
    net.up();
    let peers = ["node0.org1", "node0.org2"];
    let orderer = "node0.ordererorg";
    let wasm = net.wasm_file("asset-transfer", weft_contract_wasm::ASSET_TRANSFER);
    net.weft_ok(&["contract", "deploy", "asset-transfer", wasm.to_str().unwrap(), "--version", "1.0", "--org", "Org1"]);

    // (b) AND('Org1.peer','Org2.peer'): both endorse → VALID; Org1 alone →
    // ENDORSEMENT_POLICY_FAILURE, judged the same by both peers.
    let gw = net.gateway("Org1");
    gw.submit(&call("CreateAsset", &["asset1", "blue", "5", "Tom", "100"])).await.unwrap();
    let mut lonely = call("CreateAsset", &["asset2", "red", "1", "Ann", "1"]);
    lonely.endorsing_orgs = vec!["Org1".into()];
    let submitted = gw.submit_async(&lonely).await.unwrap();
    for org in ["Org1", "Org2"] {
        let s = net.gateway(org).commit_status(&submitted.tx_id).await.unwrap();
        assert_eq!(s.code, TxValidationCode::EndorsementPolicyFailure, "as seen by {org}'s peer");
    }
    let height = status(&net, orderer).await.height;
    let hashes = converge(&net, &[peers[0], peers[1], orderer], height).await;
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "identical ledgers");
    let e = gw.evaluate(&call("ReadAsset", &["asset2"])).await.unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");

    // (e) Org1's peer is SIGKILLed while clients submit through both
    // peers' gateways; restarted, it catches up, and every transaction that
    // was acknowledged as committed is there.
    let gw_both = net.gateway_as(net.identity("Org1", false), &[net.peers_of("Org1"), net.peers_of("Org2")].concat());
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let id = format!("load{i}");
                i += 1;
                // While Org1's peer is down its endorsement fails and the
                // transaction is not acknowledged; the client moves on.
                if let Ok((_, s)) = gw_both.submit(&call("CreateAsset", &[&id, "green", "1", "Load", "1"])).await {
                    assert_eq!(s.code, TxValidationCode::Valid);
                    acknowledged.lock().unwrap().push(id);
                } else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        })
    };
    let acks = || acknowledged.lock().unwrap().len();
    let wait_for = |n: usize| async move {
        for _ in 0..600 {
            if acks() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("load stalled at {} acknowledged transactions", acks());
    };
    wait_for(5).await;
    net.kill9(peers[0]);
    let before = acks();
    tokio::time::sleep(Duration::from_millis(300)).await;
    net.up(); // restarts the killed node and waits until it is healthy
    wait_for(before + 5).await;
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();

    let height = status(&net, orderer).await.height;
    let hashes = converge(&net, &[peers[0], peers[1], orderer], height).await;
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "same chain after the restart");
    let gw1 = net.gateway("Org1");
    for id in &acknowledged {
        let asset = gw1.evaluate(&call("ReadAsset", &[id])).await;
        assert!(asset.is_ok(), "acknowledged {id} missing on the restarted peer: {asset:?}");
    }
    // Same world state on both peers: snapshots at the same height hash alike.
    let s1 = net.admin(peers[0]).snapshot(weft_proto::SnapshotRequest {}).await.unwrap().into_inner();
    let s2 = net.admin(peers[1]).snapshot(weft_proto::SnapshotRequest {}).await.unwrap().into_inner();
    assert_eq!((s1.height, &s1.state_hash), (s2.height, &s2.state_hash));
}
