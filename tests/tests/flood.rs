//! Issue #25 (13a): a member of the channel floods a node with large
//! requests — 128 at once, 15 MiB of junk each, over 8 connections (1.9
//! GiB; the probe that found the hole drove a node to 1.7 GiB and its
//! memory limit stopped it). The node refuses what is over its budget as
//! it arrives (RESOURCE_EXHAUSTED), stays within its memory limit, and
//! serves the next honest request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use weft_e2e::Net;
use weft_proto::gateway_client::GatewayClient;
use weft_proto::{EvaluateRequest, SignedProposal};
use weft_sdk::Call;

const MEMORY_MB: u64 = 512;

/// One node, its memory limited to `MEMORY_MB`.
fn template() -> String {
    format!(
        r#"
name = "flood"
description = "one node, its memory limited"
channel = "weft"
consensus = "solo"

[batch]
max_message_count = 10
batch_timeout_ms = 50

[resources]
cpu = 1.0
memory_mb = {MEMORY_MB}
disk_gb = 1
bandwidth_mbps = 100

[[orgs]]
id = "Org1"
nodes = 1
roles = ["peer", "orderer"]
"#
    )
}

/// The resident set of process `pid`, in bytes.
fn resident(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_large_requests_is_refused_and_the_node_keeps_serving() {
    let net = Net::init(&template());
    net.up();
    let node = net.manifest.nodes[0].id.clone();
    let pid = net.pid(&node).expect("the node runs");
    let peer = net.node(&node).grpc.clone();
    let member = net.identity("Org1", false);

    // The resident set's peak while the flood lasts, sampled by a task.
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            while let Some(rss) = resident(pid) {
                peak.fetch_max(rss, Ordering::Relaxed);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };

    let junk = vec![0x5a_u8; 15 * 1024 * 1024];
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let channel = weft_sdk::channel(&peer, &net.roots(), &member).expect("channel");
        for _ in 0..16 {
            let mut client =
                GatewayClient::new(channel.clone()).max_encoding_message_size(weft_sdk::connect::MAX_MESSAGE_BYTES);
            let request = EvaluateRequest {
                proposed_transaction: Some(SignedProposal { proposal_bytes: junk.clone(), signature: vec![1; 64] }),
            };
            calls.spawn(async move {
                client.evaluate(request).await.map(|_| ()).map_err(|s| (s.code(), s.message().to_string()))
            });
        }
    }
    drop(junk);
    let mut outcomes = Vec::new();
    while let Some(done) = calls.join_next().await {
        outcomes.push(done.expect("the call task"));
    }
    sampling.abort();

    assert!(Net::alive(pid), "the node survived the flood");
    let exhausted: Vec<&String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Err((tonic::Code::ResourceExhausted, message)) => Some(message),
            _ => None,
        })
        .collect();
    assert!(!exhausted.is_empty(), "some of the flood was refused for the budget: {outcomes:?}");
    assert!(exhausted.iter().all(|m| m.contains("in flight")), "{exhausted:?}");
    assert!(outcomes.iter().all(|o| o.is_err()), "junk is never a valid proposal: {outcomes:?}");
    let peak = peak.load(Ordering::Relaxed);
    assert!(peak < MEMORY_MB * 1024 * 1024, "the node's resident set peaked at {} MiB", peak >> 20);

    let list = Call::new("_lifecycle", "list", &[]);
    net.gateway("Org1").evaluate(&list).await.expect("the node serves after the flood");
    assert!(Net::alive(pid));
    eprintln!(
        "flood: {} of {} refused for the budget, the node's resident set peaked at {} MiB",
        exhausted.len(),
        outcomes.len(),
        peak >> 20
    );
}
