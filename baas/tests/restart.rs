//! The real `weft-baas` binary killed (SIGKILL) while it creates a chain:
//! the nodes it had started keep running as orphans, and the restarted
//! server marks the job failed as interrupted, stops those nodes and
//! removes the half-made chain's files.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

mod support;
use support::{node_binary, Api, ADMIN_PASSWORD};

struct Baas {
    child: Child,
    base: String,
    // Kept open: a closed pipe would kill the server at its next print.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Baas {
    /// A server on `data`, logging JSON lines to `log`.
    fn start(data: &std::path::Path, log: &std::path::Path) -> Baas {
        let log = std::fs::File::create(log).expect("the log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft-baas"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log", "warn", "--log-format", "json", "--plain-http"])
            .arg("--data-dir")
            .arg(data)
            .stderr(log)
            .arg("--node-binary")
            .arg(node_binary())
            .env("WEFT_BAAS_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env_remove("WEFT_BAAS_DATABASE_URL")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start weft-baas");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim_end_matches("/api")
            .to_string();
        Baas { child, base, _stdout: stdout }
    }

    fn api(&self) -> Api {
        Api { base: self.base.clone(), http: reqwest::Client::new() }
    }
}

impl Drop for Baas {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_job_undoes_the_job_on_restart() {
    let dir = support::Scratch::new();
    let logs = support::Scratch::new();
    let mut baas = Baas::start(dir.path(), &logs.path().join("first.log"));
    let api = baas.api();
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let (_, tenant) = api.post("/api/tenants", Some(&admin), json!({"name": "acme"})).await;
    let tenant = tenant["id"].as_str().unwrap();
    let (s, v) = api
        .post("/api/chains", Some(&admin), json!({"name": "doomed", "template": "raft-3", "tenant_id": tenant}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let chain = v["chain"]["id"].as_str().unwrap().to_string();
    let job = v["job"]["id"].as_str().unwrap().to_string();

    // Kill it once it has started nodes, before the job is over.
    let chain_dir = dir.path().join("chains").join(&chain);
    let deadline = Instant::now() + Duration::from_secs(60);
    let pids = loop {
        let pids: Vec<u32> = std::fs::read_dir(chain_dir.join("nodes"))
            .map(|d| {
                d.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("node.pid")).ok())
                    .filter_map(|p| p.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        if !pids.is_empty() {
            break pids;
        }
        assert!(Instant::now() < deadline, "no node started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    baas.child.kill().unwrap();
    baas.child.wait().unwrap();
    assert!(pids.iter().any(|p| weft_provision::local::alive(*p)), "started nodes outlive the killed server");

    let second_log = logs.path().join("second.log");
    let baas = Baas::start(dir.path(), &second_log);
    let api = baas.api();
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let (_, view) = api.get(&format!("/api/jobs/{job}"), Some(&admin)).await;
    assert_eq!(view["status"], "failed", "{view}");
    assert!(view["error"].as_str().unwrap().contains("interrupted"), "{view}");
    let (_, c) = api.get(&format!("/api/chains/{chain}"), Some(&admin)).await;
    assert_eq!(c["status"], "failed", "{c}");
    assert!(c["detail"].as_str().unwrap().contains("rolled back"), "{c}");
    assert!(!chain_dir.exists(), "the half-made chain's files are removed");
    for pid in pids {
        assert!(!weft_provision::local::alive(pid), "node pid {pid} still runs after the rollback");
    }

    // --log-format json: one object per line, the event's fields flat.
    let text = std::fs::read_to_string(&second_log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    assert!(lines.iter().all(|l| l["timestamp"].is_string() && l["level"].is_string()), "{text}");
    let undone =
        lines.iter().find(|l| l["job"] == job.as_str()).unwrap_or_else(|| panic!("no line names the job: {text}"));
    assert_eq!((undone["level"].as_str(), undone["chain"].as_str()), (Some("WARN"), Some(chain.as_str())), "{undone}");
    assert!(undone["message"].as_str().unwrap().contains("interrupted"), "{undone}");
}
