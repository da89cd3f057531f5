//! Issue #25 (9): a node whose ordering task has died (here a panic,
//! through the test-only fault `WEFT_TEST_PANIC_ORDERING`) says so —
//! `/healthz` and Admin Health report "ordering stopped" — instead of
//! answering health checks for a chain that orders nothing.

use prost::Message;
use weft_e2e::cluster::metrics_endpoint;
use weft_e2e::Net;
use weft_proto::{payload, EndorsedTransaction, HealthRequest, Payload};
use weft_sdk::Call;

/// `/healthz` on `node`'s metrics port: the status line and body.
fn healthz(net: &Net, node: &str) -> String {
    metrics_endpoint(net, node, "/healthz")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_ordering_task_makes_the_node_unhealthy() {
    let mut net = Net::init("solo-1");
    net.wrap_node_binary("weft-node-faulty.sh", "export WEFT_TEST_PANIC_ORDERING=1");
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
    let log = net.node_log(&node);
    assert!(log.contains("TEST-ONLY FAULT"), "the node says it was made to fail: {log}");
}
