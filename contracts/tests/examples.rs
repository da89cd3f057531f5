//! The example contracts, compiled to wasm32, running on the runtime: their
//! responses, the read/write sets they produce, and the host functions they
//! use.

mod common;

use common::{call, tx, Chain};
use weft_contract_wasm::{ASSET_TRANSFER, KV, NOTARY, TESTBED};
use weft_contracts::{ExecutionError, Limits, LogLevel};
use weft_proto::range_query_info::ReadsInfo;
use weft_proto::Version;

fn chain() -> Chain {
    Chain::new(
        Limits::default(),
        &[("kv", KV), ("asset-transfer", ASSET_TRANSFER), ("notary", NOTARY), ("testbed", TESTBED)],
    )
}

#[test]
fn kv_put_get_delete_range() {
    let mut c = chain();
    let put = c.submit(&call("kv", "put", &["color", "blue"])).unwrap();
    assert!(put.response.is_empty());
    let ns = &put.rwset.ns_rwsets[0];
    assert_eq!(
        (ns.namespace.as_str(), ns.writes[0].key.as_str(), ns.writes[0].value.as_slice()),
        ("kv", "color", &b"blue"[..])
    );
    assert!(ns.reads.is_empty(), "a blind write reads nothing");

    let got = c.run(&call("kv", "get", &["color"])).unwrap();
    assert_eq!(got.response, br#""blue""#);
    assert_eq!(got.rwset.ns_rwsets[0].reads[0].version, Some(Version { block_num: 1, tx_num: 0 }));
    assert!(got.rwset.ns_rwsets[0].writes.is_empty());

    c.ok("kv", "put", &["shape", "round"]);
    c.ok("kv", "put", &["size", "5"]);
    let range = c.run(&call("kv", "range", &["c", "si"])).unwrap();
    assert_eq!(range.response, br#"[{"key":"color","value":"blue"},{"key":"shape","value":"round"}]"#);
    let rq = &range.rwset.ns_rwsets[0].range_queries[0];
    assert_eq!((rq.start_key.as_str(), rq.end_key.as_str(), rq.itr_exhausted), ("c", "si", true));
    let Some(ReadsInfo::RawReads(reads)) = &rq.reads_info else { panic!("range reads recorded raw") };
    assert_eq!(reads.reads.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["color", "shape"]);

    c.ok("kv", "delete", &["color"]);
    assert_eq!(c.ok("kv", "get", &["color"]), "");
    let err = c.run(&call("kv", "delete", &["color"])).unwrap_err();
    assert_eq!(err, ExecutionError::Failed { contract: "kv".into(), message: r#"key "color" does not exist"#.into() });
}

#[test]
fn asset_transfer_runs_the_fabric_basic_flow() {
    let mut c = chain();
    c.ok("asset-transfer", "InitLedger", &[]);
    let all: serde_json::Value = serde_json::from_str(&c.ok("asset-transfer", "GetAllAssets", &[])).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 6);

    let created = c.submit(&call("asset-transfer", "CreateAsset", &["asset7", "teal", "3", "Ann", "90"])).unwrap();
    assert_eq!(created.events.len(), 1);
    assert_eq!(
        (created.events[0].contract.as_str(), created.events[0].name.as_str()),
        ("asset-transfer", "CreateAsset")
    );
    assert_eq!(c.ok("asset-transfer", "TransferAsset", &["asset7", "Bob"]), r#""Ann""#);
    let read: serde_json::Value = serde_json::from_str(&c.ok("asset-transfer", "ReadAsset", &["asset7"])).unwrap();
    assert_eq!(read["Owner"], "Bob");
    c.ok("asset-transfer", "UpdateAsset", &["asset7", "red", "4", "Bob", "120"]);
    assert_eq!(c.ok("asset-transfer", "AssetExists", &["asset7"]), "true");
    c.ok("asset-transfer", "DeleteAsset", &["asset7"]);
    assert_eq!(c.ok("asset-transfer", "AssetExists", &["asset7"]), "false");

    let err = c.run(&call("asset-transfer", "CreateAsset", &["asset1", "x", "1", "y", "1"])).unwrap_err();
    assert_eq!(err.to_string(), "asset-transfer: the asset asset1 already exists");
    let err = c.run(&call("asset-transfer", "CreateAsset", &["asset8", "x", "big", "y", "1"])).unwrap_err();
    assert!(err.to_string().contains("argument `size` is invalid"), "{err}");
}

#[test]
fn notary_stamps_with_the_transaction_time_and_id() {
    let mut c = chain();
    let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let mut notarize = call("notary", "Notarize", &[hash, "lease agreement"]);
    notarize.tx = tx(42);
    let cert: serde_json::Value = serde_json::from_slice(&c.submit(&notarize).unwrap().response).unwrap();
    assert_eq!(cert["timestamp_ms"], 1_764_000_000_042u64);
    assert_eq!(cert["tx_id"], hex(&tx(42).tx_id.0));
    assert_eq!(cert["number"], "NTR-0000-0000-0000-002A");
    assert_eq!(cert["notarized_by"], "Org1");

    let verified: serde_json::Value = serde_json::from_str(&c.ok("notary", "Verify", &[hash])).unwrap();
    assert_eq!(verified["notarized"], true);
    assert_eq!(verified["certificate"], cert);
    let other = "0".repeat(64);
    let unknown: serde_json::Value = serde_json::from_str(&c.ok("notary", "Verify", &[&other])).unwrap();
    assert_eq!(unknown["notarized"], false);

    let again = c.run(&call("notary", "Notarize", &[hash, ""])).unwrap_err();
    assert!(again.to_string().contains("already notarized: certificate NTR-0000-0000-0000-002A"), "{again}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn transient_creator_and_logs_reach_the_contract() {
    let c = chain();
    let mut inv = call("testbed", "echo_transient", &["secret"]);
    inv.transient.insert("secret".into(), b"hunter2".to_vec());
    let out = c.run(&inv).unwrap();
    assert_eq!(out.response, br#""hunter2""#);
    assert!(out.rwset.ns_rwsets.is_empty(), "transient data is never recorded");
    assert!(c.run(&call("testbed", "echo_transient", &["secret"])).unwrap().response.is_empty());

    let who: serde_json::Value =
        serde_json::from_slice(&c.run(&call("testbed", "whoami", &[])).unwrap().response).unwrap();
    assert_eq!(who["org"], "Org1");
    assert_eq!(who["cert_len"], 300);
    assert_eq!(who["timestamp_ms"], 1_764_000_000_001u64);

    let logged = c.run(&call("testbed", "log", &["hello from wasm"])).unwrap();
    assert_eq!(logged.logs.len(), 1);
    assert_eq!((logged.logs[0].contract.as_str(), logged.logs[0].level), ("testbed", LogLevel::Info));
    assert_eq!(logged.logs[0].message, "hello from wasm");
    assert!(logged.fuel_consumed > 0);
}

#[test]
fn invoking_another_contract_merges_its_reads_and_writes() {
    let mut c = chain();
    c.ok("kv", "put", &["seen", "1"]);
    let out = c.submit(&call("testbed", "proxy", &["kv", "put", r#"["via","proxy"]"#])).unwrap();
    let nss: Vec<&str> = out.rwset.ns_rwsets.iter().map(|n| n.namespace.as_str()).collect();
    assert_eq!(nss, ["kv"], "the callee's write lands in its own namespace");
    assert_eq!(c.ok("kv", "get", &["via"]), r#""proxy""#);

    let read = c.run(&call("testbed", "proxy", &["kv", "get", r#"["seen"]"#])).unwrap();
    assert_eq!(read.response, br#""\"1\"""#);
    assert_eq!(read.rwset.ns_rwsets[0].reads[0].key, "seen");

    let err = c.run(&call("testbed", "proxy", &["nope", "get", "[]"])).unwrap_err();
    assert_eq!(err, ExecutionError::UnknownContract { contract: "nope".into() });
}

#[test]
fn a_failed_callee_leaves_only_its_reads() {
    let c = chain();
    let out = c.run(&call("testbed", "proxy_catch", &["testbed", "fail", r#"["doomed-key","no thanks"]"#])).unwrap();
    assert_eq!(out.response, br#""caught: testbed.fail: no thanks""#);
    let writes: Vec<&str> = out.rwset.ns_rwsets.iter().flat_map(|n| n.writes.iter().map(|w| w.key.as_str())).collect();
    assert_eq!(writes, ["proxy_catch_ran"], "the callee's write was undone, the caller's kept");
    assert!(out.events.is_empty(), "the callee's event was undone");

    let err = c.run(&call("testbed", "proxy", &["testbed", "fail", r#"["k","no thanks"]"#])).unwrap_err();
    assert_eq!(err.to_string(), "testbed: testbed.fail: no thanks");
}

#[test]
fn unknown_functions_and_contracts_say_what_exists() {
    let c = chain();
    let err = c.run(&call("kv", "Put", &[])).unwrap_err();
    assert!(err.to_string().contains(r#"unknown function "Put"; this contract has: put, get, delete, range"#), "{err}");
    let err = c.run(&call("missing", "f", &[])).unwrap_err();
    assert_eq!(err.to_string(), r#"contract "missing" is not deployed on this channel"#);
}
