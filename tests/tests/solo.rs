//! Issue #5 (a), (c), (d) and bad input, on a solo-1 network of real
//! processes: deploy asset-transfer with `weft contract deploy`, then
//! transact through the SDK's Gateway client.

use std::time::Duration;

use prost::Message;
use tokio_stream::StreamExt;
use weft_e2e::Net;
use weft_proto::gateway_client::GatewayClient;
use weft_proto::{EvaluateRequest, SignedProposal, StatusRequest, TxValidationCode};
use weft_sdk::{Call, GatewayError};

fn deploy_asset_transfer(net: &Net) {
    let wasm = net.wasm_file("asset-transfer", weft_contract_wasm::ASSET_TRANSFER);
    let out = net.weft_ok(&["contract", "deploy", "asset-transfer", wasm.to_str().unwrap(), "--version", "1.0"]);
    assert!(out.contains("deployed in block"), "{out}");
    let list = net.weft_ok(&["--output", "json", "contract", "list"]);
    assert!(list.contains("\"asset-transfer\"") && list.contains("\"1.0\""), "{list}");
}

/// `weft node channel list|info`: the node's one channel with its height,
/// its roles there and the contract; an unknown channel is named back.
fn channels_over_admin(net: &Net) {
    let node = net.manifest.nodes[0].id.clone();
    let channel = net.manifest.channel.clone();
    let list = net.weft_ok(&["--output", "json", "node", "channel", "list", &node]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["channel"], channel.as_str(), "{list}");
    assert_eq!(list[0]["roles"], serde_json::json!(["peer", "orderer"]), "{list}");
    assert_eq!(list[0]["consensus_type"], "solo", "{list}");
    assert!(list[0]["height"].as_u64().unwrap() >= 2, "genesis and the deployment: {list}");
    let info = net.weft_ok(&["--output", "json", "node", "channel", "info", &node, &channel]);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["orgs"], serde_json::json!(["Org1"]), "{info}");
    assert_eq!(info["contracts"][0]["name"], "asset-transfer", "{info}");
    assert_eq!(info["consensus"]["engine"], "solo", "{info}");
    let (ok, _, err) = net.weft(&["node", "channel", "info", &node, "nope"]);
    assert!(!ok && err.contains("no channel \"nope\"") && err.contains(&channel), "{err}");
}

/// node.toml's `log_format = "json"` (a top-level key: before the tables).
fn log_json(net: &Net) {
    let path = net.dir.join(&net.manifest.nodes[0].config);
    let toml = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("log_format = \"json\"\n{toml}")).unwrap();
}

/// The node logged one JSON object per line, each naming the node, the
/// event's fields flat (the channel on "ledger opened").
fn logged_json(net: &Net) {
    let node = &net.manifest.nodes[0].id;
    let text = net.node_log(node);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    assert!(lines.len() > 3, "{text}");
    for line in &lines {
        assert_eq!(line["node"], node.as_str(), "{line}");
        assert!(line["timestamp"].is_string() && line["level"].is_string(), "{line}");
    }
    let opened = lines.iter().find(|l| l["message"] == "ledger opened").unwrap_or_else(|| panic!("{text}"));
    assert_eq!(opened["channel"], net.manifest.channel.as_str(), "{opened}");
}

fn call(function: &str, args: &[&str]) -> Call {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    Call::new("asset-transfer", function, &args)
}

fn code(e: &GatewayError) -> tonic::Code {
    e.code().unwrap_or_else(|| panic!("not a gRPC failure: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solo_network_end_to_end() {
    let net = Net::init("solo-1");
    log_json(&net);
    net.up();
    deploy_asset_transfer(&net);
    channels_over_admin(&net);
    logged_json(&net);
    let gw = net.gateway("Org1");

    // (a) create, transfer, read; commit status and events.
    let mut events = Box::pin(gw.contract_events("asset-transfer", None).await.unwrap());
    let mut blocks = Box::pin(gw.block_events(None).await.unwrap());
    let (created, status) = gw.submit(&call("CreateAsset", &["asset1", "blue", "5", "Tom", "100"])).await.unwrap();
    assert_eq!(status.code, TxValidationCode::Valid);
    let (_, transferred) = gw.submit(&call("TransferAsset", &["asset1", "Jerry"])).await.unwrap();
    assert!(transferred.block > status.block);
    let asset: serde_json::Value =
        serde_json::from_slice(&gw.evaluate(&call("ReadAsset", &["asset1"])).await.unwrap()).unwrap();
    assert_eq!(asset["Owner"], "Jerry");
    let again = gw.commit_status(&created.tx_id).await.unwrap();
    assert_eq!((again.block, again.code), (status.block, TxValidationCode::Valid));

    let first = tokio::time::timeout(Duration::from_secs(10), events.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(first.block_number, status.block);
    assert!(first.events.iter().any(|e| e.tx_id == created.tx_id.0.to_vec()), "{first:?}");
    let block = tokio::time::timeout(Duration::from_secs(10), blocks.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(block.number, status.block);
    assert_eq!(block.transactions[0].code, TxValidationCode::Valid as i32);

    // (c) two transactions endorsed against the same state, then ordered:
    // the first to commit is VALID, the other an MVCC read conflict.
    let one = gw.endorse(&call("TransferAsset", &["asset1", "Ann"])).await.unwrap();
    let two = gw.endorse(&call("TransferAsset", &["asset1", "Bob"])).await.unwrap();
    let (a, b) = tokio::join!(gw.submit_endorsed(&one), gw.submit_endorsed(&two));
    let (a, b) = (a.unwrap(), b.unwrap());
    let (sa, sb) = (gw.commit_status(&a.tx_id).await.unwrap(), gw.commit_status(&b.tx_id).await.unwrap());
    let mut codes = [sa.code, sb.code];
    codes.sort_by_key(|c| *c as i32);
    assert_eq!(codes, [TxValidationCode::Valid, TxValidationCode::MvccReadConflict]);
    let submit_err = gw.submit(&call("TransferAsset", &["asset1", "Cy"])).await;
    assert!(submit_err.is_ok(), "the chain goes on: {submit_err:?}");

    // (d) an enrolled client works, is revoked by a config update, and is refused.
    let alice_dir = net.dir.join("alice");
    net.weft_ok(&["identity", "enroll", "alice", "--org", "Org1", "--out", alice_dir.to_str().unwrap()]);
    let alice = net.identity_from("Org1", &alice_dir.join("cert.pem"), &alice_dir.join("key.pem"));
    let alice_gw = net.gateway_as(alice, &net.peers_of("Org1"));
    alice_gw.submit(&call("CreateAsset", &["asset2", "red", "1", "Alice", "5"])).await.unwrap();
    let early = alice_gw.endorse(&call("CreateAsset", &["asset3", "red", "1", "Alice", "5"])).await.unwrap();
    let out = net.weft_ok(&["identity", "revoke", alice_dir.join("cert.pem").to_str().unwrap()]);
    assert!(out.contains("configuration sequence 1"), "{out}");
    let refused = alice_gw.evaluate(&call("ReadAsset", &["asset2"])).await.unwrap_err();
    assert_eq!(code(&refused), tonic::Code::PermissionDenied, "{refused}");
    assert!(refused.to_string().contains("revoked"), "{refused}");
    let refused = alice_gw.submit_endorsed(&early).await.unwrap_err();
    assert_eq!(code(&refused), tonic::Code::PermissionDenied, "endorsed before, submitted after: {refused}");

    // Bad input: the right status, a message that says what was wrong, and
    // the node keeps serving.
    let e = gw.evaluate(&Call::new("no-such-contract", "Foo", &[])).await.unwrap_err();
    assert_eq!(code(&e), tonic::Code::NotFound, "{e}");
    assert!(e.to_string().contains("not deployed"), "{e}");
    let e = gw.evaluate(&call("NoSuchFunction", &[])).await.unwrap_err();
    assert_eq!(code(&e), tonic::Code::NotFound, "{e}");
    assert!(e.to_string().contains("unknown function"), "{e}");

    let peer = net.peers_of("Org1")[0].clone();
    let channel = weft_sdk::channel(&peer, &net.roots(), &net.identity("Org1", false)).unwrap();
    let mut raw = GatewayClient::new(channel.clone());
    let malformed = SignedProposal { proposal_bytes: vec![0xff, 0xff, 0xff], signature: vec![] };
    let e = raw.evaluate(EvaluateRequest { proposed_transaction: Some(malformed) }).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("does not decode"), "{}", e.message());

    let good = weft_sdk::propose(
        &net.identity("Org1", false),
        &weft_sdk::NewProposal {
            channel: "weft".into(),
            contract: "asset-transfer".into(),
            function: "ReadAsset".into(),
            args: vec![b"asset1".to_vec()],
            ..Default::default()
        },
    );
    let mut forged = good.signed.clone();
    forged.signature[0] ^= 1;
    let e = raw.evaluate(EvaluateRequest { proposed_transaction: Some(forged) }).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated, "{e:?}");
    assert!(e.message().contains("signature"), "{}", e.message());

    let mut huge = good.signed.clone();
    huge.proposal_bytes =
        weft_proto::Proposal { args: vec![vec![7; 17 * 1024 * 1024]], ..Default::default() }.encode_to_vec();
    let e = raw
        .max_encoding_message_size(64 * 1024 * 1024)
        .evaluate(EvaluateRequest { proposed_transaction: Some(huge) })
        .await
        .unwrap_err();
    assert!(matches!(e.code(), tonic::Code::ResourceExhausted | tonic::Code::OutOfRange), "oversized: {e:?}");

    let client = net.identity("Org1", false);
    let e = net.admin_as("node0.org1", &client).status(StatusRequest {}).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("admin"), "{}", e.message());

    // Still serving after all that.
    let status = net.admin("node0.org1").status(StatusRequest {}).await.unwrap().into_inner();
    assert!(status.height >= 8, "{status:?}");
    assert_eq!(status.config_sequence, 1);
    let asset: serde_json::Value =
        serde_json::from_slice(&gw.evaluate(&call("ReadAsset", &["asset1"])).await.unwrap()).unwrap();
    assert_eq!(asset["Owner"], "Cy");
}

/// Without cgroup v2 the node keeps its own memory limit: above
/// `resources.memory_mb` it shuts down and says why, as an out-of-memory
/// kill would stop it under cgroup v2.
#[test]
fn a_node_over_its_memory_limit_stops_and_says_why() {
    let net = Net::init("solo-1");
    let node = &net.manifest.nodes[0];
    let config = net.dir.join(&node.config);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("memory_mb = 1024"), "{text}");
    // A running node's resident set is well above 4 MiB.
    std::fs::write(&config, text.replace("memory_mb = 1024", "memory_mb = 4")).unwrap();
    let dir = net.dir.display().to_string();
    let _ = net.weft(&["network", "up", &dir, "--timeout-secs", "20"]);
    let pid = net.pid(&node.id).expect("the node was started");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while Net::alive(pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!Net::alive(pid), "the node kept running above its memory limit");
    let log = std::fs::read_to_string(config.with_file_name("node.log")).unwrap();
    assert!(log.contains("memory limit exceeded") && log.contains("resources.memory_mb 4 MiB"), "{log}");
}
