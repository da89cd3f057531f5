//! Issue #7 (3, 4): `pbft-4` networks started by `weft network up` (four
//! orgs, each node a peer and a PBFT replica). The primary is SIGKILLed
//! under load: the others change view and keep ordering, no acknowledged
//! transaction is lost, every block carries a commit certificate, and the
//! killed node catches up. Then a node started in the test-only Byzantine
//! mode equivocates as primary: the honest nodes still agree, and name it
//! in their status, logs and metrics.

use weft_e2e::cluster::{
    agreed_leader, blocks, converge, kill_leader_and_restart, metric, metrics, new_leader_after, org_of, status,
};
use weft_e2e::{Load, Net};

const NODES: [&str; 4] = ["node0.org1", "node0.org2", "node0.org3", "node0.org4"];

fn deploy(net: &Net, org: &str) {
    let wasm = net.wasm_file("asset-transfer", weft_contract_wasm::ASSET_TRANSFER);
    net.weft_ok(&["contract", "deploy", "asset-transfer", wasm.to_str().unwrap(), "--version", "1.0", "--org", org]);
}

fn all_peers(net: &Net) -> Vec<String> {
    ["Org1", "Org2", "Org3", "Org4"].iter().flat_map(|o| net.peers_of(o)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pbft_4_survives_its_primary_being_killed_under_load() {
    let net = Net::init("pbft-4");
    net.up();
    let primary = agreed_leader(&net, &NODES).await;
    assert_eq!(primary, "node0.org1", "view 0's primary is the first orderer in id order");
    deploy(&net, "Org1");

    let load = Load::start(net.gateway_as(net.identity("Org1", false), &all_peers(&net)));
    load.wait_for(5).await;
    let (new_primary, acknowledged, height) = kill_leader_and_restart(&net, &NODES, &primary, load).await;
    // Every copy of a block has the primary's timestamp and a commit
    // certificate (each node's committer checked it before committing).
    let mut stamps = Vec::new();
    for n in NODES {
        let blocks = blocks(&net, n, height).await;
        assert_eq!(blocks.len() as u64, height - 1);
        for b in &blocks {
            let m = b.metadata.as_ref().unwrap();
            assert!(
                !m.consensus_metadata.is_empty(),
                "block {} on {n} has no commit certificate",
                b.header.as_ref().unwrap().number
            );
        }
        stamps.push(blocks.iter().map(|b| b.metadata.as_ref().unwrap().timestamp_unix_ms).collect::<Vec<_>>());
    }
    assert!(stamps.windows(2).all(|w| w[0] == w[1]), "block timestamps differ between orderers");
    let restarted = net.gateway_as(net.identity("Org1", false), &net.peers_of(&org_of(&primary)));
    for id in &acknowledged {
        let asset = restarted.evaluate(&weft_sdk::Call::new("asset-transfer", "ReadAsset", &[id.as_bytes()])).await;
        assert!(asset.is_ok(), "acknowledged {id} missing on the restarted node: {asset:?}");
    }
    let s = status(&net, &primary).await.unwrap();
    let c = s.consensus.unwrap();
    assert_eq!((c.engine.as_str(), c.state.as_str()), ("pbft", "backup"));
    assert!(c.term >= 1, "the restarted node is in a later view: {c:?}");
    assert_eq!(c.leader, new_primary);
    assert_eq!(c.refused_messages, 0, "honest orderers refuse nothing: {}", c.last_refusal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pbft_4_orders_past_an_equivocating_primary_and_names_it() {
    let mut net = Net::init("pbft-4");
    // node0.org1 (view 0's primary) sends different pre-prepares to
    // different backups.
    net.wrap_node_binary(
        "weft-node-byzantine.sh",
        "case \"$2\" in */node0.org1/*) export WEFT_TEST_BYZANTINE=equivocate;; esac",
    );
    net.up();
    let bad = "node0.org1";
    let log = net.node_log(bad);
    assert!(log.contains("TEST-ONLY BYZANTINE MODE"), "the bad node says what it is: {log}");

    deploy(&net, "Org2");
    let honest: Vec<&str> = NODES.iter().copied().filter(|n| *n != bad).collect();
    let primary = new_leader_after(&net, &honest, bad).await;
    let peers: Vec<String> = honest.iter().flat_map(|n| net.peers_of(&org_of(n))).collect();
    let load = Load::start(net.gateway_as(net.identity("Org2", false), &peers));
    load.wait_for(10).await;
    let acknowledged = load.stop().await;
    converge(&net, &honest).await;
    let gw = net.gateway_as(net.identity("Org2", false), &net.peers_of(&org_of(&primary)));
    for id in &acknowledged {
        assert!(gw.evaluate(&weft_sdk::Call::new("asset-transfer", "ReadAsset", &[id.as_bytes()])).await.is_ok());
    }

    // The backups that saw the two versions say who sent them.
    let mut named = Vec::new();
    for n in &honest {
        // Metrics are sampled every tick, status is live: read it second.
        let page = metrics(&net, n);
        let counted = metric(&page, "weft_consensus_refused_messages").expect("the refusal gauge");
        let c = status(&net, n).await.unwrap().consensus.unwrap();
        assert!(counted as u64 <= c.refused_messages, "{n}: metrics {counted} and status {c:?}");
        let log = net.node_log(n);
        if c.refused_messages > 0 {
            let said = log.lines().any(|l| l.contains("refused messages from other orderers") && l.contains(bad));
            assert!(said, "{n} logs its refusals naming {bad}");
            named.push((n.to_string(), c.last_refusal));
        }
    }
    // What they refused (two pre-prepares for one seq, a prepare for
    // another batch, a pre-prepare re-signed as its own in a view it is
    // not primary of) was the bad node's doing, and they say so.
    assert!(!named.is_empty(), "no honest node refused anything from the equivocating primary");
    assert!(named.iter().all(|(_, why)| why.contains(bad)), "every refusal names {bad}: {named:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pbft_7_orders_with_two_of_its_nodes_killed() {
    let net = Net::init("pbft-7");
    net.up();
    let all: Vec<String> = net.manifest.nodes.iter().map(|n| n.id.clone()).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(all.len(), 7);
    let primary = agreed_leader(&net, &all).await;
    deploy(&net, "Org7");
    let peers: Vec<String> = ["Org2", "Org3", "Org7"].iter().flat_map(|o| net.peers_of(o)).collect();
    let load = Load::start(net.gateway_as(net.identity("Org7", false), &peers));
    load.wait_for(3).await;
    // f = 2: the primary and one backup go; five orderers remain, 2f+1 = 5.
    // The waiting requests time out and the backups change view.
    let killed = [primary.as_str(), "node0.org5"];
    for n in killed {
        net.kill9(n);
    }
    let alive: Vec<&str> = all.iter().copied().filter(|n| !killed.contains(n)).collect();
    new_leader_after(&net, &alive, &primary).await;
    load.wait_for(load.acknowledged() + 5).await;
    load.stop().await;
    converge(&net, &alive).await;
    net.up();
    converge(&net, &all).await;
}
