//! Issue #25 (9): a node whose ordering task has died (here a panic,
//! through the test-only fault `WEFT_TEST_PANIC_ORDERING`) says so —
//! `/healthz` and Admin Health report "ordering stopped" — instead of
//! answering health checks for a chain that orders nothing.

use std::io::{Read, Write};
use std::time::Duration;

use prost::Message;
use weft_e2e::Net;
use weft_proto::{payload, EndorsedTransaction, HealthRequest, Payload};
use weft_sdk::Call;

/// `/healthz` on `node`'s metrics port: the status line and body.
fn healthz(net: &Net, node: &str) -> String {
    let address = &net.node(node).metrics;
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the metrics endpoint");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(stream, "GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").expect("request");
    let mut page = String::new();
    stream.read_to_string(&mut page).expect("read /healthz");
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_ordering_task_makes_the_node_unhealthy() {
    let mut net = Net::init("solo-1");
    let wrapper = net.dir.join("weft-node-faulty.sh");
    let script =
        format!("#!/bin/sh\nexport WEFT_TEST_PANIC_ORDERING=1\nexec {} \"$@\"\n", net.real_node_binary().display());
    std::fs::write(&wrapper, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    net.set_node_binary(wrapper);
    net.up();
    let node = net.manifest.nodes[0].id.clone();
    assert!(healthz(&net, &node).starts_with("HTTP/1.1 200"), "healthy before the fault");

    // One signed envelope straight to ordering: the task panics on it.
    let client = net.gateway("Org1");
    let proposal = client.proposal(&Call::new("_lifecycle", "list", &[]));
    let payload = Payload {
        header: Some(proposal.header.clone()),
        body: Some(payload::Body::Transaction(EndorsedTransaction {
            proposal_bytes: proposal.ledger_proposal_bytes.clone(),
            ..Default::default()
        })),
    };
    let envelope = weft_sdk::sign_payload(client.client(), payload.encode_to_vec());
    let refused = client.submit_envelope(&proposal.tx_id, &envelope).await.expect_err("no ordering to take it");
    assert!(refused.to_string().contains("stop"), "{refused}");

    let health = net.admin(&node).health(HealthRequest {}).await.expect("Admin answers").into_inner();
    assert!(!health.serving, "{health:?}");
    assert!(health.problems.iter().any(|p| p.contains("ordering stopped")), "{health:?}");
    let page = healthz(&net, &node);
    assert!(page.starts_with("HTTP/1.1 503"), "{page}");
    assert!(page.contains("ordering stopped"), "{page}");
    let log = std::fs::read_to_string(net.dir.join("nodes").join(&node).join("node.log")).unwrap();
    assert!(log.contains("TEST-ONLY FAULT"), "the node says it was made to fail: {log}");
}
