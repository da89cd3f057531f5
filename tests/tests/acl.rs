//! Issue #25 (10): the channel's Readers and Writers policies are enforced
//! by every node service that reads or writes, against real `weft-node`
//! processes. Org3 is a member of the channel but left out of both
//! policies: its client may neither read (evaluate, block events, Deliver)
//! nor write (endorse, or a signed envelope straight to ordering), each
//! refused with PERMISSION_DENIED naming the policy, while Org1's client
//! reads and writes.

use prost::Message;
use tokio_stream::StreamExt;
use weft_e2e::Net;
use weft_proto::{payload, EndorsedTransaction, Payload};
use weft_sdk::{Call, GatewayError};

const TEMPLATE: &str = r#"
name = "acl"
description = "Org1 orders and serves; Org3 is out of Readers and Writers"
channel = "weft"
consensus = "solo"

[batch]
max_message_count = 10
batch_timeout_ms = 50

[policies]
endorsement = "'Org1.peer'"
readers = "OR('Org1.member', 'Org2.member')"
writers = "OR('Org1.member', 'Org2.member')"

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
roles = ["peer"]

[[orgs]]
id = "Org3"
nodes = 1
roles = ["peer"]
"#;

fn denied(e: &GatewayError, policy: &str) {
    assert_eq!(e.code(), Some(tonic::Code::PermissionDenied), "{e}");
    assert!(e.to_string().contains(&format!("{policy} policy")), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_left_out_of_readers_and_writers_neither_reads_nor_writes() {
    let net = Net::init(TEMPLATE);
    net.up();
    let org1_peer = net.peers_of("Org1");
    let member = net.gateway("Org1");
    let outsider = net.gateway_as(net.identity("Org3", false), &org1_peer);
    let list = Call::new("_lifecycle", "list", &[]);

    // Reads: a query, block events, blocks over Deliver.
    member.evaluate(&list).await.expect("Org1 reads");
    denied(&outsider.evaluate(&list).await.unwrap_err(), "Readers");
    let mut events = member.block_events(Some(0)).await.expect("Org1 follows blocks");
    assert!(events.next().await.unwrap().is_ok());
    let refused = match outsider.block_events(Some(0)).await {
        Err(e) => e,
        Ok(mut s) => s.next().await.expect("an answer").expect_err("Org3 follows no blocks"),
    };
    denied(&refused, "Readers");
    let refused = match outsider.blocks(Some(0), Some(0)).await {
        Err(e) => e,
        Ok(mut s) => s.next().await.expect("an answer").expect_err("Org3 gets no blocks"),
    };
    assert!(refused.to_string().contains("Readers policy"), "{refused}");

    // Writes: an endorsement, and a signed envelope sent straight to
    // ordering (as a client that skips endorsement would).
    denied(&outsider.endorse(&list).await.unwrap_err(), "Writers");
    let proposal = outsider.proposal(&list);
    let payload = Payload {
        header: Some(proposal.header.clone()),
        body: Some(payload::Body::Transaction(EndorsedTransaction {
            proposal_bytes: proposal.ledger_proposal_bytes.clone(),
            ..Default::default()
        })),
    };
    let envelope = weft_sdk::sign_payload(outsider.client(), payload.encode_to_vec());
    denied(&outsider.submit_envelope(&proposal.tx_id, &envelope).await.unwrap_err(), "Writers");
    // Org1 passes the Writers check: what refuses its proposal, if
    // anything, is `_lifecycle` (list is a query, not a deploy).
    if let Err(e) = member.endorse(&list).await {
        assert_ne!(e.code(), Some(tonic::Code::PermissionDenied), "{e}");
        assert!(!e.to_string().contains("Writers"), "{e}");
    }
}
