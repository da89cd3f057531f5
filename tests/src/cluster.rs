//! Watching a multi-node network converge: node status over Admin, the
//! leader the nodes agree on, and one chain on every node.

use std::time::Duration;

use weft_proto::{StatusRequest, StatusResponse};

use crate::Net;

pub async fn status(net: &Net, node: &str) -> Option<StatusResponse> {
    net.admin(node).status(StatusRequest {}).await.ok().map(|r| r.into_inner())
}

/// The leader every node in `nodes` agrees on (all must answer).
pub async fn agreed_leader(net: &Net, nodes: &[&str]) -> String {
    for _ in 0..300 {
        let mut leaders = Vec::new();
        for n in nodes {
            if let Some(s) = status(net, n).await {
                leaders.push(s.consensus.unwrap_or_default().leader);
            }
        }
        if leaders.len() == nodes.len() && !leaders[0].is_empty() && leaders.iter().all(|l| *l == leaders[0]) {
            return leaders[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{nodes:?} did not agree on a leader");
}

/// Waits until `nodes` agree on a leader other than `old` (the survivors
/// still name a killed leader until their election timeout runs out).
pub async fn new_leader_after(net: &Net, nodes: &[&str], old: &str) -> String {
    for _ in 0..200 {
        let leader = agreed_leader(net, nodes).await;
        if leader != old {
            return leader;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{nodes:?} still follow {old}");
}

/// Waits until every node in `nodes` has the same height and last block
/// hash; returns them.
pub async fn converge(net: &Net, nodes: &[&str]) -> (u64, Vec<u8>) {
    let mut seen = Vec::new();
    for _ in 0..600 {
        seen.clear();
        for n in nodes {
            if let Some(s) = status(net, n).await {
                seen.push((n.to_string(), s.height, s.last_block_hash));
            }
        }
        if seen.len() == nodes.len() && seen.windows(2).all(|w| (w[0].1, &w[0].2) == (w[1].1, &w[1].2)) {
            return (seen[0].1, seen[0].2.clone());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let heights: Vec<(String, u64)> = seen.into_iter().map(|(n, h, _)| (n, h)).collect();
    panic!("{nodes:?} did not converge on one chain; last seen heights {heights:?}");
}

/// Under `load`: SIGKILLs `leader`, waits until the other `nodes` agree
/// on another leader and 5 more transactions are acknowledged, restarts it
/// (`weft network up`), waits for 5 more, stops the load. Returns the new
/// leader, every acknowledged asset id and the height all `nodes` then
/// converge on.
pub async fn kill_leader_and_restart(
    net: &Net,
    nodes: &[&str],
    leader: &str,
    load: crate::Load,
) -> (String, Vec<String>, u64) {
    net.kill9(leader);
    let survivors: Vec<&str> = nodes.iter().copied().filter(|n| *n != leader).collect();
    let new_leader = new_leader_after(net, &survivors, leader).await;
    load.wait_for(load.acknowledged() + 5).await;
    net.up(); // restarts the killed node and waits until it answers
    load.wait_for(load.acknowledged() + 5).await;
    let acknowledged = load.stop().await;
    let (height, _) = converge(net, nodes).await;
    (new_leader, acknowledged, height)
}

/// Blocks 1..height of `node`'s ledger, read through its org's peers.
pub async fn blocks(net: &Net, node: &str, height: u64) -> Vec<weft_proto::Block> {
    let gw = net.gateway_as(net.identity("Org1", false), &net.peers_of(&org_of(node)));
    let stream = gw.blocks(Some(1), Some(height - 1)).await.expect("Deliver answers");
    let blocks: Vec<_> = tokio_stream::StreamExt::collect::<Vec<_>>(stream).await;
    blocks.into_iter().map(|b| b.expect("a block")).collect()
}

/// `Org2` for `node0.org2`.
pub fn org_of(node: &str) -> String {
    let org = node.split('.').nth(1).expect("node ids are node<i>.<org>");
    format!("Org{}", org.trim_start_matches("org"))
}

/// The node's Prometheus metrics page (plain HTTP on its metrics address).
pub fn metrics(net: &Net, node: &str) -> String {
    metrics_endpoint(net, node, "/metrics")
}

/// `GET path` on the node's metrics address (`/metrics`, `/healthz`): the
/// whole answer, status line included.
pub fn metrics_endpoint(net: &Net, node: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let address = &net.node(node).metrics;
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the metrics endpoint");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").expect("request");
    let mut page = String::new();
    stream.read_to_string(&mut page).expect("read the answer");
    page
}

/// The value of an unlabelled metric on a metrics page.
pub fn metric(page: &str, name: &str) -> Option<f64> {
    page.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}
