//! Issue #23 (1): channels joined at runtime over Admin. A raft-3 network
//! whose node0.org1 starts with no channel (its node.toml names none); it
//! is joined over Admin (`weft node channel join`) to a solo channel of
//! Org1 alone and to the raft channel the two other nodes already run,
//! commits transactions on both, finds both after a SIGKILL and restart,
//! and leaves one (with its data), which stays left after another restart.
//! Its node.toml trusts only Org1's CA: the other orgs' clients get through
//! its TLS handshake once a channel with them is joined (the channel's
//! configuration brings their CAs), with no restart.

use std::time::Duration;

use weft_e2e::Net;
use weft_proto::consensus_config::Params;
use weft_proto::{Block, ConsensusConfig, ConsensusType, JoinChannelRequest};
use weft_provision::network::NetworkDir;
use weft_provision::{genesis_block, read_genesis_config, GenesisSigner};
use weft_sdk::lifecycle::{deploy, Contract};
use weft_sdk::{Call, Gateway};

const JOINER: &str = "node0.org1";

fn call(function: &str, args: &[&str]) -> Call {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    Call::new("asset-transfer", function, &args)
}

/// node.toml without `channel` and `genesis_block`, and with only Org1's
/// CA: the node starts with no channel, trusting its own org alone.
fn without_channel(net: &Net, node: &str) {
    let path = net.dir.join(&net.node(node).config);
    let text = own_ca_only(&std::fs::read_to_string(&path).unwrap());
    let kept: Vec<&str> =
        text.lines().filter(|l| !l.starts_with("channel =") && !l.starts_with("genesis_block =")).collect();
    assert_eq!(kept.len() + 2, text.lines().count(), "node.toml names a channel:\n{text}");
    std::fs::write(&path, kept.join("\n")).unwrap();
}

/// node.toml with only Org1's CA in `ca_certificates`.
fn own_ca_only(text: &str) -> String {
    let start = text.find("ca_certificates = [").expect("node.toml lists CAs") + "ca_certificates = [".len();
    let end = start + text[start..].find(']').unwrap();
    let own: Vec<&str> = text[start..end].split(',').map(str::trim).filter(|p| p.contains("/Org1/")).collect();
    assert_eq!(own.len(), 1, "one CA of Org1 in {text}");
    format!("{}{}{}", &text[..start], own[0], &text[end..])
}

/// Whether a call failed because the node refused the TLS handshake, not
/// with an answer: with TLS 1.3 the client learns of it only when it
/// writes or reads next, and may see the alert, the connection closing or
/// its write failing.
fn at_handshake(error: &str) -> bool {
    ["UnknownCA", "connection closed", "transport error", "operation was canceled", "broken pipe"]
        .iter()
        .any(|sign| error.contains(sign))
}

/// Org2's client reading through the joining node.
async fn org2_reads(net: &Net, asset: &str) -> Result<String, String> {
    let peers = vec![net.node(JOINER).grpc.clone()];
    let gw = Gateway::connect(net.identity("Org2", false), "weft", &peers, &net.roots()).map_err(|e| e.to_string())?;
    let read = gw.evaluate(&call("ReadAsset", &[asset])).await.map_err(|e| format!("{e:#}"))?;
    let v: serde_json::Value = serde_json::from_slice(&read).unwrap();
    Ok(v["Owner"].as_str().unwrap().to_string())
}

/// The genesis block of channel `solo`: the network's configuration cut
/// down to Org1 and the joining node, ordered by solo, signed by Org1's admin.
fn solo_genesis(net: &Net) -> std::path::PathBuf {
    let bytes = std::fs::read(net.dir.join(&net.manifest.genesis_block)).unwrap();
    let mut config = read_genesis_config(&prost::Message::decode(bytes.as_slice()).unwrap()).unwrap();
    config.channel_id = "solo".into();
    config.orgs.retain(|o| o.org_id == "Org1");
    config.nodes.retain(|n| n.node_id == JOINER);
    config.consensus = Some(ConsensusConfig { r#type: ConsensusType::Solo as i32, params: None::<Params> });
    let admin = net.identity("Org1", true);
    let block: Block =
        genesis_block(&config, &[GenesisSigner { identity: admin.identity.clone(), key: &admin.key }], 1);
    let path = net.dir.join("solo.block");
    std::fs::write(&path, prost::Message::encode_to_vec(&block)).unwrap();
    path
}

fn channels(net: &Net) -> serde_json::Value {
    let list = net.weft_ok(&["--output", "json", "node", "channel", "list", JOINER]);
    serde_json::from_str(&list).unwrap()
}

fn names(list: &serde_json::Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|c| c["channel"].as_str().unwrap().to_string()).collect()
}

fn gateway(net: &Net, channel: &str) -> Gateway {
    let peers = vec![net.node(JOINER).grpc.clone()];
    Gateway::connect(net.identity("Org1", false), channel, &peers, &net.roots()).unwrap()
}

async fn owner(gw: &Gateway, asset: &str) -> String {
    let read = gw.evaluate(&call("ReadAsset", &[asset])).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&read).unwrap();
    v["Owner"].as_str().unwrap().to_string()
}

/// Deploys asset-transfer on the channel and creates `asset` there.
async fn transact(net: &Net, channel: &str, approvers: &[&str], asset: &str) -> u64 {
    let gw = gateway(net, channel);
    let admins: Vec<_> = approvers.iter().map(|o| net.identity(o, true)).collect();
    let refs: Vec<_> = admins.iter().collect();
    let contract = Contract {
        name: "asset-transfer",
        version: "1.0",
        endorsement_policy: "",
        code: weft_contract_wasm::ASSET_TRANSFER,
    };
    deploy(&gw, &contract, false, &refs).await.unwrap_or_else(|e| panic!("deploying on {channel}: {e}"));
    let (_, status) = gw.submit(&call("CreateAsset", &[asset, "blue", "5", "Tom", "100"])).await.unwrap();
    assert_eq!(status.code, weft_proto::TxValidationCode::Valid, "on {channel}");
    assert_eq!(owner(&gw, asset).await, "Tom");
    status.block
}

/// Retries `weft node channel list` until the restarted node answers.
async fn after_restart(net: &Net) -> serde_json::Value {
    for _ in 0..100 {
        let (ok, out, _) = net.weft(&["--output", "json", "node", "channel", "list", JOINER]);
        if ok {
            return serde_json::from_str(&out).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{JOINER} did not answer after its restart:\n{}", net.node_log(JOINER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_joins_two_channels_over_admin_and_leaves_one() {
    let net = Net::init("raft-3");
    without_channel(&net, JOINER);
    net.up();
    assert_eq!(channels(&net), serde_json::json!([]), "it starts with no channel");
    assert!(net.node_log(JOINER).contains("serving no channel yet"));

    // Only the node org's admins join it to a channel, with a genesis block;
    // another org's admin does not get past the TLS handshake yet.
    let solo = solo_genesis(&net);
    let block = std::fs::read(&solo).unwrap();
    let request = JoinChannelRequest { block: block.clone(), ..Default::default() };
    let e = net.admin_as(JOINER, &net.identity("Org1", false)).join_channel(request.clone()).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::PermissionDenied, "{e:?}");
    let e = net.admin_as(JOINER, &net.identity("Org2", true)).join_channel(request).await.unwrap_err();
    assert!(at_handshake(&format!("{e:?}")), "refused at the handshake: {e:?}");
    let garbage = JoinChannelRequest { block: b"not a block".to_vec(), ..Default::default() };
    let e = net.admin(JOINER).join_channel(garbage).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e:?}");
    let (ok, _, err) =
        net.weft(&["node", "channel", "join", JOINER, "--block", solo.to_str().unwrap(), "--role", "clerk"]);
    assert!(!ok && err.contains("role \"clerk\""), "{err}");

    // Joined to a solo channel of its own org and to the raft channel.
    let joined =
        net.weft_ok(&["--output", "json", "node", "channel", "join", JOINER, "--block", solo.to_str().unwrap()]);
    let joined: serde_json::Value = serde_json::from_str(&joined).unwrap();
    assert_eq!((joined["channel"].as_str(), joined["consensus_type"].as_str()), (Some("solo"), Some("solo")));
    assert_eq!(joined["roles"], serde_json::json!(["peer", "orderer"]), "the configuration's roles: {joined}");
    let raft = net.dir.join(&net.manifest.genesis_block);
    let refused = org2_reads(&net, "nothing").await.unwrap_err();
    assert!(at_handshake(&refused), "Org2 is in no channel of {JOINER} yet: {refused}");
    net.weft_ok(&["node", "channel", "join", JOINER, "--block", raft.to_str().unwrap()]);
    let (ok, _, err) = net.weft(&["node", "channel", "join", JOINER, "--block", raft.to_str().unwrap()]);
    assert!(!ok && err.contains("already serves channel weft"), "{err}");
    assert_eq!(names(&channels(&net)), ["solo", "weft"]);

    // Transactions commit on both, each in its own ledger.
    let solo_block = transact(&net, "solo", &["Org1"], "on-solo").await;
    let raft_block = transact(&net, "weft", &["Org1", "Org2", "Org3"], "on-raft").await;
    assert_eq!(org2_reads(&net, "on-raft").await.as_deref(), Ok("Tom"), "the raft channel brought Org2's CA");
    let (ok, err) = match gateway(&net, "solo").evaluate(&call("ReadAsset", &["on-raft"])).await {
        Ok(v) => (true, String::from_utf8_lossy(&v).into_owned()),
        Err(e) => (false, e.to_string()),
    };
    assert!(!ok, "the raft channel's asset is not on the solo channel: {err}");
    // A later block joins only as a configuration block, from a snapshot.
    let later = net.dir.join("later.block");
    net.weft_ok(&["block", "get", &raft_block.to_string(), "--channel", "weft", "--out", later.to_str().unwrap()]);
    let (ok, _, err) = net.weft(&["node", "channel", "join", JOINER, "--block", later.to_str().unwrap()]);
    assert!(!ok && err.contains("not the genesis block"), "{err}");
    let (ok, _, err) =
        net.weft(&["node", "channel", "join", JOINER, "--block", later.to_str().unwrap(), "--from-snapshot"]);
    assert!(!ok && err.contains("not a configuration block"), "{err}");
    let info = net.weft_ok(&["--output", "json", "node", "channel", "info", JOINER, "weft"]);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["consensus"]["engine"], "raft", "{info}");
    assert_eq!(info["orgs"], serde_json::json!(["Org1", "Org2", "Org3"]), "{info}");

    // A SIGKILL and restart: both channels are rejoined with their blocks.
    net.kill9(JOINER);
    net.up();
    let list = after_restart(&net).await;
    assert_eq!(names(&list), ["solo", "weft"], "{list}");
    assert!(list[0]["height"].as_u64().unwrap() > solo_block, "{list}");
    assert!(list[1]["height"].as_u64().unwrap() > raft_block, "{list}");
    assert_eq!(owner(&gateway(&net, "solo"), "on-solo").await, "Tom");
    assert_eq!(owner(&gateway(&net, "weft"), "on-raft").await, "Tom");

    // Leaving the solo channel with its data: gone now and after a restart;
    // the raft channel goes on.
    let left = net.weft_ok(&["node", "channel", "leave", JOINER, "solo", "--remove-data"]);
    assert!(left.contains("left solo"), "{left}");
    assert_eq!(names(&channels(&net)), ["weft"]);
    let e = gateway(&net, "solo").evaluate(&call("ReadAsset", &["on-solo"])).await.unwrap_err();
    assert!(e.to_string().contains("serves no channel \"solo\""), "{e}");
    let (ok, _, err) = net.weft(&["node", "channel", "leave", JOINER, "solo"]);
    assert!(!ok && err.contains("serves no channel \"solo\""), "{err}");
    net.kill9(JOINER);
    net.up();
    assert_eq!(names(&after_restart(&net).await), ["weft"]);
    let sdk = NetworkDir::open(&net.dir).unwrap();
    let listed = sdk.channels(net.node(JOINER)).await.unwrap();
    assert_eq!(listed.iter().map(|c| c.channel_id.as_str()).collect::<Vec<_>>(), ["weft"]);
    let gw = gateway(&net, "weft");
    gw.submit(&call("TransferAsset", &["on-raft", "Jerry"])).await.unwrap();
    assert_eq!(owner(&gw, "on-raft").await, "Jerry");
    assert_eq!(org2_reads(&net, "on-raft").await.as_deref(), Ok("Jerry"), "trusted again after the restart");
}
