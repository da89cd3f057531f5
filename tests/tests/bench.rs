//! `weft-bench run` against a real solo-1 network: a small kv workload
//! (deployed by weft-bench itself) with a counted backlog round and a timed
//! evaluation round; the JSON report counts every transaction, has the
//! latency percentiles, the node's and client's resource use and the
//! machine's ceiling; then a short soak on the same network samples the
//! node's memory and disk and judges their trends.

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
    let out = weft_bench(&net, &["run", "--workload", workload.to_str().unwrap()], &json, &html);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("| Name") && stdout.contains("Throughput (TPS)"), "{stdout}");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let ceiling = &report["ceiling"];
    assert!(ceiling["tx_per_sec"].as_f64().unwrap() > 0.0, "{ceiling}");
    assert_eq!(ceiling["shape"]["nodes"].as_u64(), Some(1), "{ceiling}");
    assert!(stdout.contains("Of Ceiling") && stdout.contains("Ceiling on this machine"), "{stdout}");
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

    soak(&net);
}

/// `weft-bench soak` for a few seconds: the samples follow the node and the
/// committed count, and every series gets a verdict. Whether a few seconds
/// of a fresh node's memory count as rising is not for this test to say
/// (exit status 3 says a trend was found), only that the run reports.
fn soak(net: &Net) {
    let json = net.dir.join("soak.json");
    let html = net.dir.join("soak.html");
    let out = weft_bench(net, &["soak", "--duration", "6s", "--every", "0.4s", "--tps", "20"], &json, &html);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let outcome = &report["outcome"];
    assert!(outcome["succeeded"].as_u64().unwrap() > 0 && outcome["failed"].as_u64() == Some(0), "{outcome}");
    // How many samples a loaded machine takes is timing; that they span
    // the run is the schedule (a sample every 0.4 s of a 6 s round).
    let samples = report["samples"].as_array().unwrap();
    assert!(samples.len() >= 2, "{} samples", samples.len());
    assert!(samples.last().unwrap()["secs"].as_f64().unwrap() >= 5.0, "{samples:?}");
    let last = samples.last().unwrap();
    assert!(last["committed"].as_u64() > samples[0]["committed"].as_u64(), "{last}");
    assert_eq!(last["nodes"][0]["name"], "node0.org1");
    assert!(last["nodes"][0]["rss_mb"].as_f64().unwrap() > 5.0 && last["nodes"][0]["disk_mb"].as_f64().unwrap() > 0.0);
    let trends = report["trends"].as_array().unwrap();
    let series: Vec<&str> = trends.iter().map(|t| t["series"].as_str().unwrap()).collect();
    assert_eq!(series, ["node0.org1 memory", "node0.org1 disk added per tx"]);
    assert_eq!(out.status.code() == Some(3), trends.iter().any(|t| t["rising"] == true), "{stdout}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<polyline") && page.contains("Resident memory per node"), "{page}");
}

/// Runs weft-bench against the network with a JSON and an HTML report.
fn weft_bench(net: &Net, args: &[&str], json: &std::path::Path, html: &std::path::Path) -> std::process::Output {
    Command::new(net.weft_binary().with_file_name("weft-bench"))
        .args(args)
        .arg("--network")
        .arg(&net.dir)
        .arg("--json")
        .arg(json)
        .arg("--html")
        .arg(html)
        .output()
        .expect("run weft-bench (built by cargo build --workspace)")
}
