//! Issue #6 (4): a running `raft-3` network changes its members through
//! `weft network add-node|remove-node`, under load. A 4th orderer and a new
//! peer join and catch up; then an original orderer is removed, and with a
//! second original one killed the chain still commits — which needs the
//! new orderer's vote.

use weft_e2e::cluster::{agreed_leader, converge, new_leader_after, status};
use weft_e2e::{Load, Net};
use weft_sdk::Call;

fn call(function: &str, args: &[&str]) -> Call {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    Call::new("asset-transfer", function, &args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raft_3_adds_an_orderer_and_a_peer_then_removes_an_orderer() {
    let mut net = Net::init("raft-3");
    net.up();
    let dir = net.dir.display().to_string();
    agreed_leader(&net, &["node0.org1", "node0.org2", "node0.org3"]).await;
    let wasm = net.wasm_file("asset-transfer", weft_contract_wasm::ASSET_TRANSFER);
    net.weft_ok(&["contract", "deploy", "asset-transfer", wasm.to_str().unwrap(), "--version", "1.0", "--org", "Org1"]);
    let first_peers: Vec<String> = ["Org1", "Org2", "Org3"].iter().flat_map(|o| net.peers_of(o)).collect();
    let load = Load::start(net.gateway_as(net.identity("Org1", false), &first_peers));
    load.wait_for(5).await;

    // A 4th orderer (Org1's second node), started after the update commits.
    let out = net.weft_ok(&["network", "add-node", &dir, "--org", "Org1", "--role", "orderer"]);
    assert!(out.contains("added node1.org1"), "{out}");
    net.reload();
    net.up();
    let four = ["node0.org1", "node0.org2", "node0.org3", "node1.org1"];
    agreed_leader(&net, &four).await;
    load.wait_for(load.acknowledged() + 5).await;
    converge(&net, &four).await;
    let s = status(&net, "node1.org1").await.unwrap();
    let role = s.consensus.unwrap().state;
    assert!(role == "follower" || role == "leader", "the new orderer takes part: role {role}");

    // A new peer of Org2 joins from a state snapshot of another node, then
    // pulls the blocks after it from the orderers and endorses.
    let out = net.weft_ok(&["network", "add-node", &dir, "--org", "Org2", "--role", "peer", "--from-snapshot"]);
    assert!(out.contains("added node1.org2"), "{out}");
    net.reload();
    net.up();
    load.wait_for(load.acknowledged() + 5).await;
    converge(&net, &["node0.org1", "node1.org2"]).await;
    let new_peer = net.gateway_as(net.identity("Org2", false), &[net.node("node1.org2").grpc.clone()]);
    let early = new_peer.evaluate(&call("ReadAsset", &["load0"])).await;
    assert!(early.is_ok(), "state from before the snapshot is on the new peer: {early:?}");
    let blocks = new_peer.blocks(Some(1), Some(1)).await.unwrap();
    let first: Vec<_> = tokio_stream::StreamExt::collect::<Vec<_>>(blocks).await;
    assert!(
        first.iter().any(|b| b.as_ref().is_err_and(|e| e.to_string().contains("not in this ledger"))),
        "block 1 predates the snapshot: {first:?}"
    );
    let (_, committed) =
        new_peer.submit(&call("CreateAsset", &["via-new-peer", "blue", "2", "Bo", "3"])).await.unwrap();
    assert_eq!(committed.code, weft_proto::TxValidationCode::Valid);

    // Remove an original orderer: the update commits, its process stops,
    // and the others no longer list it among their peers.
    let removed_pid = net.pid("node0.org3").expect("node0.org3 runs before its removal");
    let out = net.weft_ok(&["network", "remove-node", &dir, "node0.org3"]);
    assert!(out.contains("removed node0.org3"), "{out}");
    net.reload();
    assert!(!Net::alive(removed_pid), "node0.org3 (pid {removed_pid}) still runs");
    let three = ["node0.org1", "node0.org2", "node1.org1"];
    agreed_leader(&net, &three).await;
    load.wait_for(load.acknowledged() + 5).await;
    for n in three {
        let peers = status(&net, n).await.unwrap().peers;
        assert!(peers.iter().all(|p| p.node_id != "node0.org3"), "{n} still admits node0.org3: {peers:?}");
    }

    // Kill a second original orderer: the two left are a majority of three
    // only if node1.org1 really is a voter.
    let leader = agreed_leader(&net, &three).await;
    let victim = "node0.org2";
    net.kill9(victim);
    let survivors = ["node0.org1", "node1.org1"];
    if leader == victim {
        new_leader_after(&net, &survivors, victim).await;
    } else {
        agreed_leader(&net, &survivors).await;
    }
    load.wait_for(load.acknowledged() + 5).await;
    let acknowledged = load.stop().await;
    converge(&net, &["node0.org1", "node1.org1", "node1.org2"]).await;
    for id in &acknowledged {
        let asset = new_peer.evaluate(&call("ReadAsset", &[id])).await;
        assert!(asset.is_ok(), "acknowledged {id} missing on the new peer: {asset:?}");
    }
}
