//! Issue #25 (9): only orderers speak consensus. Org4's node is a peer of
//! the channel and no orderer; through the test-only `WEFT_TEST_SPEAK_RAFT`
//! it joins the orderers' p2p transport (which admits every node of the
//! channel) and sends each of them, twice a second, a raft heartbeat
//! claiming a term of 2^40 and a commit index past any log. The orderers
//! refuse every one before raft sees it, count them in status and metrics,
//! name the sender in their logs, and go on ordering in their own term
//! under the same leader.

use std::time::Duration;

use weft_e2e::cluster::{agreed_leader, converge, metric, metrics, status};
use weft_e2e::Net;

const TEMPLATE: &str = r#"
name = "raft-3-and-a-peer"
description = "three raft orderers, and Org4's peer that is no orderer"
channel = "weft"
consensus = "raft"

[batch]
max_message_count = 10
batch_timeout_ms = 100

[raft]
tick_interval_ms = 100
election_tick = 10
heartbeat_tick = 1
snapshot_interval_blocks = 100

[resources]
cpu = 1.0
memory_mb = 512
disk_gb = 1
bandwidth_mbps = 100

[[orgs]]
id = "Org1"
nodes = 1
roles = ["peer", "orderer"]

[[orgs]]
id = "Org2"
nodes = 1
roles = ["peer", "orderer"]

[[orgs]]
id = "Org3"
nodes = 1
roles = ["peer", "orderer"]

[[orgs]]
id = "Org4"
nodes = 1
roles = ["peer"]
"#;

const ORDERERS: [&str; 3] = ["node0.org1", "node0.org2", "node0.org3"];
const SPEAKER: &str = "node0.org4";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raft_from_a_node_that_is_no_orderer_is_refused_and_counted() {
    let mut net = Net::init(TEMPLATE);
    // Only Org4's node gets the variable: `weft network up` starts every
    // node through this wrapper, with its config path as the second argument.
    net.wrap_node_binary(
        "weft-node-speaker.sh",
        &format!("case \"$2\" in */{SPEAKER}/*) export WEFT_TEST_SPEAK_RAFT=1 ;; esac"),
    );
    net.up();
    assert!(net.node_log(SPEAKER).contains("TEST-ONLY MODE"), "the speaker says what it is");
    for o in ORDERERS {
        assert!(!net.node_log(o).contains("TEST-ONLY"), "{o} runs honestly");
    }
    let leader = agreed_leader(&net, &ORDERERS).await;
    let term = status(&net, &leader).await.unwrap().consensus.unwrap().term;

    // Every orderer refuses what the speaker sends, and says who sent it.
    for o in ORDERERS {
        let mut refused = None;
        for _ in 0..200 {
            let c = status(&net, o).await.unwrap().consensus.unwrap();
            if c.refused_messages > 0 {
                refused = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let c = refused.unwrap_or_else(|| panic!("{o} refused nothing from {SPEAKER}"));
        assert!(c.last_refusal.contains(&format!("{SPEAKER} is not an orderer")), "{o}: {c:?}");
        assert!(c.term < 1 << 32, "{o} never took the speaker's term: {c:?}");
    }

    // Ordering goes on: a contract deployed (transactions ordered by raft)
    // reaches every node, the speaker's too, in the same term and leader.
    let (before, _) = converge(&net, &[ORDERERS[0], ORDERERS[1], ORDERERS[2], SPEAKER]).await;
    let wasm = net.wasm_file("asset-transfer", weft_contract_wasm::ASSET_TRANSFER);
    net.weft_ok(&["contract", "deploy", "asset-transfer", wasm.to_str().unwrap(), "--version", "1.0", "--org", "Org1"]);
    let (after, _) = converge(&net, &[ORDERERS[0], ORDERERS[1], ORDERERS[2], SPEAKER]).await;
    assert!(after > before, "blocks were ordered: {before} → {after}");
    assert_eq!(agreed_leader(&net, &ORDERERS).await, leader, "the leader never changed");
    let c = status(&net, &leader).await.unwrap().consensus.unwrap();
    assert_eq!(c.term, term, "the term never moved: {c:?}");

    for o in ORDERERS {
        let counted = metric(&metrics(&net, o), "weft_consensus_refused_messages").expect("the refusal gauge");
        assert!(counted > 0.0, "{o} counts the refusals in its metrics");
        let log = net.node_log(o);
        let said =
            log.lines().any(|l| l.contains("refused consensus messages before the engine") && l.contains(SPEAKER));
        assert!(said, "{o} logs the refusals, naming {SPEAKER}");
    }
}
