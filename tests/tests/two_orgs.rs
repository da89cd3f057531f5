//! Issue #5 (b) and (e): two orgs with a peer each and a separate solo
//! orderer. Peers pull blocks from the orderer's Deliver service and
//! validate them on their own.

use std::time::Duration;

use weft_e2e::{Load, Net};
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
    let load = Load::start(gw_both);
    load.wait_for(5).await;
    net.kill9(peers[0]);
    let before = load.acknowledged();
    tokio::time::sleep(Duration::from_millis(300)).await;
    net.up(); // restarts the killed node and waits until it is healthy
    load.wait_for(before + 5).await;
    let acknowledged = load.stop().await;

    let height = status(&net, orderer).await.height;
    let hashes = converge(&net, &[peers[0], peers[1], orderer], height).await;
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "same chain after the restart");
    let gw1 = net.gateway("Org1");
    for id in &acknowledged {
        let asset = gw1.evaluate(&call("ReadAsset", &[id])).await;
        assert!(asset.is_ok(), "acknowledged {id} missing on the restarted peer: {asset:?}");
    }
    // Same world state on both peers: snapshots at the same height hash alike.
    let s1 = net.admin(peers[0]).snapshot(weft_proto::SnapshotRequest::default()).await.unwrap().into_inner();
    let s2 = net.admin(peers[1]).snapshot(weft_proto::SnapshotRequest::default()).await.unwrap().into_inner();
    assert_eq!((s1.height, &s1.state_hash), (s2.height, &s2.state_hash));
}
