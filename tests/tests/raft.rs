//! Issue #6 (4): a `raft-3` network started by `weft network up` (three
//! orgs, each node a peer and a raft orderer, talking libp2p over
//! loopback). The leader is SIGKILLed under load: a new leader takes over,
//! no acknowledged transaction is lost, and the killed node catches up
//! after its restart. Draining the new leader moves leadership on.

use weft_e2e::cluster::{agreed_leader, blocks, kill_leader_and_restart, new_leader_after, org_of, status};
use weft_e2e::{Load, Net};
use weft_sdk::Call;

const NODES: [&str; 3] = ["node0.org1", "node0.org2", "node0.org3"];

fn call(function: &str, args: &[&str]) -> Call {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    Call::new("asset-transfer", function, &args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raft_3_survives_its_leader_being_killed_under_load() {
    let net = Net::init("raft-3");
    net.up();
    let leader = agreed_leader(&net, &NODES).await;
    let wasm = net.wasm_file("asset-transfer", weft_contract_wasm::ASSET_TRANSFER);
    net.weft_ok(&["contract", "deploy", "asset-transfer", wasm.to_str().unwrap(), "--version", "1.0", "--org", "Org1"]);

    let all_peers: Vec<String> = ["Org1", "Org2", "Org3"].iter().flat_map(|o| net.peers_of(o)).collect();
    let gw = net.gateway_as(net.identity("Org1", false), &all_peers);
    let load = Load::start(gw);
    load.wait_for(5).await;
    let before_kill = status(&net, &leader).await.unwrap().consensus.unwrap();
    let (new_leader, acknowledged, height) = kill_leader_and_restart(&net, &NODES, &leader, load).await;
    // Every orderer stamped its copy of a block with the leader's clock.
    let mut stamps = Vec::new();
    for n in NODES {
        let blocks = blocks(&net, n, height).await;
        let ts: Vec<u64> = blocks.into_iter().map(|b| b.metadata.unwrap().timestamp_unix_ms).collect();
        assert_eq!(ts.len() as u64, height - 1);
        stamps.push(ts);
    }
    assert!(stamps.windows(2).all(|w| w[0] == w[1]), "block timestamps differ between orderers");
    let restarted = net.gateway_as(net.identity("Org1", false), &net.peers_of(&org_of(&leader)));
    for id in &acknowledged {
        let asset = restarted.evaluate(&call("ReadAsset", &[id])).await;
        assert!(asset.is_ok(), "acknowledged {id} missing on the restarted node: {asset:?}");
    }
    let s = status(&net, &leader).await.unwrap();
    let c = s.consensus.unwrap();
    assert_eq!(s.height, height);
    assert_eq!(c.engine, "raft");
    assert!(c.term > before_kill.term, "the restarted node follows a later term: {c:?} vs {before_kill:?}");
    assert_eq!(c.leader, new_leader);
    assert!(s.peers.iter().all(|p| p.connected), "the restarted node is connected again: {:?}", s.peers);

    // Draining the leader (before an upgrade) hands leadership to another
    // orderer, and the chain keeps taking transactions through the others.
    net.admin(&new_leader).drain(weft_proto::DrainRequest {}).await.unwrap();
    new_leader_after(&net, &NODES, &new_leader).await;
    let others: Vec<String> =
        NODES.iter().filter(|n| **n != new_leader).flat_map(|n| net.peers_of(&org_of(n))).collect();
    let gw = net.gateway_as(net.identity("Org1", false), &others);
    let (_, committed) = gw.submit(&call("CreateAsset", &["after-drain", "red", "1", "Ann", "1"])).await.unwrap();
    assert_eq!(committed.code, weft_proto::TxValidationCode::Valid);
}
