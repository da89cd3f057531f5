//! `weft-bench run` against a real solo-1 network: a small kv workload
//! (deployed by weft-bench itself) with a counted backlog round and a timed
//! evaluation round; the JSON report counts every transaction, has the
//! latency percentiles, and the node's and client's resource use.

use std::process::Command;

use weft_e2e::Net;

const WORKLOAD: &str = r#"
name = "kv-small"
contract = "kv"
deploy = "kv"

[[rounds]]
label = "put"
function = "put"
args = ["k-{run}-{i}", "v-{i}"]
txs = 60
workers = 2
rate = { kind = "fixed-backlog", unfinished = 16 }

[[rounds]]
label = "get"
function = "get"
args = ["k-{run}-{i}"]
kind = "evaluate"
duration_secs = 2
rate = { kind = "fixed-rate", tps = 25 }

[[rounds]]
label = "missing"
function = "put"
args = []
txs = 5
rate = { kind = "fixed-rate", tps = 50 }
"#;

#[test]
fn weft_bench_runs_a_workload_and_reports_it() {
    let net = Net::init("solo-1");
    net.up();
    let workload = net.dir.join("kv-small.toml");
    std::fs::write(&workload, WORKLOAD).unwrap();
    let json = net.dir.join("report.json");
    let html = net.dir.join("report.html");
    let out = Command::new(net.weft_binary().with_file_name("weft-bench"))
        .args(["run", "--workload"])
        .arg(&workload)
        .arg("--network")
        .arg(&net.dir)
        .arg("--json")
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .output()
        .expect("run weft-bench (built by cargo build --workspace)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("| Name") && stdout.contains("Throughput (TPS)"), "{stdout}");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rounds = report["rounds"].as_array().unwrap();
    let put = &rounds[0]["outcome"];
    assert_eq!((put["succeeded"].as_u64(), put["failed"].as_u64()), (Some(60), Some(0)), "{put}");
    let latency = &put["latency"];
    assert!(latency["p50_ms"].as_f64().unwrap() > 0.0 && latency["p99_ms"].as_f64() >= latency["p50_ms"].as_f64());
    let get = &rounds[1]["outcome"];
    // Two seconds at 25 tx/s: the schedule allows at most 51 sends (how
    // many a loaded machine gets out is timing, not checked here), and
    // evaluations of existing keys all succeed.
    let gets = get["succeeded"].as_u64().unwrap();
    assert!((1..=51).contains(&gets), "{get}");
    assert_eq!(get["failed"].as_u64(), Some(0), "{get}");
    assert_eq!(get["kind"], "evaluate");
    // A call the contract refuses (put needs two arguments) counts as failed,
    // with its cause.
    let missing = &rounds[2]["outcome"];
    assert_eq!((missing["succeeded"].as_u64(), missing["failed"].as_u64()), (Some(0), Some(5)), "{missing}");
    let causes: Vec<&String> = missing["errors"].as_object().unwrap().keys().collect();
    assert!(causes.iter().any(|c| c.contains("put takes 2 arguments")), "{causes:?}");

    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("node0.org1") && page.contains("put takes 2 arguments"), "{page}");
    assert!(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"), "self-contained");

    let resources = rounds[0]["resources"].as_array().unwrap();
    let node = resources.iter().find(|r| r["name"] == "node0.org1").expect("the node is monitored");
    assert!(node["memory_max_mb"].as_f64().unwrap() > 5.0, "{node}");
    assert!(resources.iter().any(|r| r["name"] == "weft-bench (client)"), "{resources:?}");
}
