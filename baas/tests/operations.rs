//! Issue #9, the BaaS's operations, with real `weft-node` processes:
//! alarms reaching a signed webhook and crashed nodes restarted, a standby
//! replacing a peer kept down, verified backups restored to a new peer,
//! rolling upgrades (and the rollback of a build that fails its health
//! gate), and batch settings changed as a job. On PostgreSQL when
//! WEFT_TEST_DATABASE_URL names a server, else SQLite.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

mod support;
use support::{assert_problem, create_chain, nodes, put_wasm, wait_job, Api, TestDb, ADMIN_PASSWORD};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A monitor that looks every second, with short thresholds; the host's
/// disk is not judged (a nearly full CI disk would raise disk-full).
fn quick_monitor(replace_after_ms: i64) -> weft_baas::monitor::MonitorConfig {
    use weft_baas::monitor::{rules::Thresholds, MonitorConfig};
    MonitorConfig {
        every: Duration::from_secs(1),
        thresholds: Thresholds { node_down_ms: 3_000, replace_after_ms, disk_pct: 101.0, ..Thresholds::DEFAULT },
        retention: Duration::from_secs(3600),
        raw_for: Duration::from_secs(3600),
        bucket: Duration::from_secs(60),
    }
}

/// A server with `monitor`'s settings and a tenant `name` whose `users`
/// (username, role) are signed in, on a fresh data directory whose nodes
/// are killed when it goes.
struct Platform {
    server: weft_baas::Server,
    api: Api,
    /// The users' tokens, in order.
    tokens: Vec<String>,
    tenant: String,
    /// The first platform admin's.
    admin: String,
    /// The server's data directory and the reaper of its nodes: bound by
    /// every test for as long as its server runs.
    scratch: support::Scratch,
    /// What the server started with: a test restarts it from this.
    config: weft_baas::Config,
}

async fn platform(monitor: weft_baas::monitor::MonitorConfig, name: &str, users: &[(&str, &str)]) -> Platform {
    let scratch = support::Scratch::new();
    let db = TestDb::preferred().await;
    // The tests' webhook receivers listen on loopback, which webhooks may
    // reach only when the operator allows it.
    let config = weft_baas::Config {
        monitor,
        webhook_allow: support::loopback(),
        ..support::config(scratch.path(), Some(ADMIN_PASSWORD), &db)
    };
    let server = weft_baas::Server::start(config.clone()).await.expect("server starts");
    let api = Api::new(&server);
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let (tenant, tokens) = api.tenant_with(&admin, name, users, support::PASSWORD).await;
    Platform { server, api, tokens, tenant, admin, scratch, config }
}

/// Deploys asset-transfer and creates one asset; the submit path.
async fn deploy_and_create(api: &Api, token: &str, chain: &str, asset: &str) -> String {
    let deploy = format!("/api/chains/{chain}/contracts/asset-transfer?version=1.0");
    let (s, v) = put_wasm(api, token, &deploy, "application/wasm", weft_contract_wasm::ASSET_TRANSFER.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let submit = format!("/api/chains/{chain}/contracts/asset-transfer/submit");
    create_asset(api, token, &submit, asset).await;
    submit
}

async fn create_asset(api: &Api, token: &str, submit: &str, asset: &str) {
    let create = json!({"function": "CreateAsset", "args": [asset, "red", "3", "Ann", "10"]});
    let (s, v) = api.post(submit, Some(token), create).await;
    assert_eq!((s, v["code"].clone()), (StatusCode::OK, json!("VALID")), "{v}");
}

/// Issue #9 (1, 2): the monitor samples a running chain's nodes; a node
/// SIGKILLed raises a node-crashed alarm that reaches the tenant's webhook
/// signed with its secret — refused by the receiver while the BaaS server
/// restarts, so the delivery left pending is taken up by the next run —
/// the node is restarted, and the alarm resolves. The server's `/metrics`
/// counts what happened (#29).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_raises_a_signed_alarm_and_is_restarted() {
    use axum::extract::State as AxState;
    use std::sync::{Arc, Mutex};

    // The receiving end: answers 500 while refusing, else records.
    type Seen = Arc<Mutex<(bool, Vec<(axum::http::HeaderMap, String)>)>>;
    async fn receive(AxState(seen): AxState<Seen>, headers: axum::http::HeaderMap, body: String) -> StatusCode {
        let mut s = seen.lock().unwrap();
        if s.0 {
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
        s.1.push((headers, body));
        StatusCode::NO_CONTENT
    }
    let seen: Seen = Arc::new(Mutex::new((true, Vec::new())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/alarms", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/alarms", axum::routing::post(receive)).with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let users = [("ann", "tenant-admin"), ("max", "tenant-member")];
    let Platform { server, api, tokens, scratch: _scratch, config, admin, .. } =
        platform(quick_monitor(0), "hooli", &users).await;
    let (ann, max) = (tokens[0].clone(), tokens[1].clone());

    let (s, v) = api.post("/api/webhooks", Some(&ann), json!({"url": "ftp://example.invalid/x"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "not an http:// or https:// URL");
    let (s, v) = api.post("/api/webhooks", Some(&max), json!({"url": hook_url})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "tenant admins");
    let (s, hook) = api.post("/api/webhooks", Some(&ann), json!({"url": hook_url})).await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    let (_, listed) = api.get("/api/webhooks", Some(&ann)).await;
    assert!(listed[0].get("secret").is_none(), "the secret is shown once: {listed}");

    let (chain, job) = create_chain(&api, &ann, "watched", "solo-1").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let before = nodes(&api, &ann, &chain).await;
    let pid = before[0]["pid"].as_u64().unwrap() as i32;
    unsafe { libc::kill(pid, libc::SIGKILL) };

    // The first attempt is refused; the server stops with the delivery
    // pending, the receiver comes back, a new run of the server delivers.
    let deliveries_path = format!("/api/webhooks/{}/deliveries", hook["id"].as_str().unwrap());
    let pending = api
        .get_until(&deliveries_path, Some(&ann), 60, "a refused delivery", |v| {
            v.as_array().unwrap().iter().any(|d| d["status"] == "pending" && d["attempts"].as_i64() >= Some(1))
        })
        .await;
    server.stop().await.unwrap();
    seen.lock().unwrap().0 = false;
    let server = weft_baas::Server::start(config).await.expect("the server starts again");
    let api = Api::new(&server);
    // The alarm arrives, signed.
    let deadline = Instant::now() + Duration::from_secs(60);
    let fired = loop {
        let got = seen.lock().unwrap().1.iter().find(|(_, b)| b.contains("alarm.fired")).cloned();
        if let Some(g) = got {
            break g;
        }
        assert!(Instant::now() < deadline, "no alarm reached the webhook");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (headers, body) = fired;
    let timestamp: i64 = headers["x-weft-timestamp"].to_str().unwrap().parse().unwrap();
    let want = weft_baas::monitor::webhooks::signature(secret.as_bytes(), timestamp, body.as_bytes());
    assert_eq!(headers["x-weft-signature"].to_str().unwrap(), format!("sha256={want}"));
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (event["alarm"]["rule"].as_str(), event["alarm"]["node_id"].as_str()),
        (Some("node-crashed"), Some("node0.org1"))
    );

    // Restarted by the monitor, then the alarm resolves.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = nodes(&api, &max, &chain).await;
        if now[0]["up"] == true && now[0]["pid"].as_u64() != Some(pid as u64) {
            break;
        }
        assert!(Instant::now() < deadline, "the node was not restarted: {now:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let alarms = api
        .get_until(&format!("/api/chains/{chain}/alarms"), Some(&max), 30, "the alarm resolves", |v| {
            v.as_array().unwrap().iter().any(|a| a["rule"] == "node-crashed" && a["status"] == "resolved")
        })
        .await;
    assert!(alarms.as_array().unwrap().iter().all(|a| a["status"] == "resolved"), "{alarms}");
    let (_, deliveries) = api.get(&deliveries_path, Some(&ann)).await;
    let resumed = pending.as_array().unwrap().iter().find(|d| d["status"] == "pending").unwrap()["id"].clone();
    let first = deliveries.as_array().unwrap().iter().find(|d| d["id"] == resumed).expect("the same delivery");
    assert_eq!(first["status"], "delivered", "{deliveries}");
    assert!(first["attempts"].as_i64().unwrap() >= 2, "after the refused attempt: {deliveries}");

    // Samples: the node's memory and height, over time.
    let (s, samples) = api.get(&format!("/api/chains/{chain}/metrics?node=node0.org1"), Some(&max)).await;
    assert_eq!(s, StatusCode::OK, "{samples}");
    let samples = samples.as_array().unwrap();
    assert!(samples.iter().any(|x| x["up"] == false), "the crash is in the series: {samples:?}");
    assert!(samples.iter().any(|x| x["up"] == true && x["rss_bytes"].as_i64().unwrap_or(0) > 1 << 20), "{samples:?}");
    assert!(samples.iter().all(|x| x["node_id"] == "node0.org1"));

    // The server's own metrics (#29): OpenMetrics text for platform admins.
    let scrape = |token: Option<&str>| {
        let mut request = api.http.get(format!("{}/metrics", api.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        async move {
            let resp = request.send().await.unwrap();
            let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            (resp.status(), ctype, resp.text().await.unwrap())
        }
    };
    assert_eq!(scrape(None).await.0, StatusCode::UNAUTHORIZED);
    let (s, _, text) = scrape(Some(&ann)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("platform admins"), "{text}");
    let (s, ctype, text) = scrape(Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert!(ctype.unwrap().starts_with("application/openmetrics-text"));
    for series in [
        "weft_baas_webhook_deliveries_total{outcome=\"delivered\"}",
        "weft_baas_monitor_rounds_total{outcome=\"ok\"}",
        "weft_baas_jobs{kind=\"create\",status=\"succeeded\"} 1\n",
        "weft_baas_chains{status=\"running\"} 1\n",
        "weft_baas_http_requests_total{route=\"/api/chains/{chain}/alarms\",method=\"GET\",status=\"200\"}",
        "weft_baas_http_request_duration_seconds_count{route=\"/api/chains/{chain}/metrics\"}",
    ] {
        assert!(text.contains(series), "no {series} in:\n{text}");
    }
    assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with # EOF: {text}");
    server.stop().await.unwrap();
}

/// Issue #9 (3): a backup of a running chain (a peer's state snapshot and
/// the chain's keys, sealed) is verified by restoring it; restored to a new
/// peer, that peer starts from the backup and ends on the same state as the
/// node it was taken from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_backup_restores_to_a_new_peer_with_the_same_state() {
    let Platform { server, api, tokens, scratch: dir, .. } =
        platform(quick_monitor(0), "pied-piper", &[("ann", "tenant-admin")]).await;
    let ann = tokens[0].clone();
    let (chain, job) = create_chain(&api, &ann, "kept", "solo-1").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let deploy = format!("/api/chains/{chain}/contracts/asset-transfer?version=1.0");
    let (s, v) = put_wasm(&api, &ann, &deploy, "application/wasm", weft_contract_wasm::ASSET_TRANSFER.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let submit = format!("/api/chains/{chain}/contracts/asset-transfer/submit");
    let create = json!({"function": "CreateAsset", "args": ["kept1", "red", "3", "Ann", "10"]});
    assert_eq!(api.post(&submit, Some(&ann), create).await.0, StatusCode::OK);

    let backups = format!("/api/chains/{chain}/backups");
    let (s, v) = api.post(&backups, Some(&ann), json!({"node": "node9.org1"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "not one of the chain's nodes");
    let (s, accepted) = api.post(&backups, Some(&ann), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{accepted}");
    let job = wait_job(&api, &ann, accepted["job"]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["steps"][2]["detail"].as_str().unwrap().contains("state hash match"), "{job}");
    let (_, list) = api.get(&backups, Some(&ann)).await;
    let backup = list[0].clone();
    assert_eq!(backup["status"], "verified", "{list}");
    let height = backup["height"].as_i64().unwrap();
    assert!(height >= 3, "genesis, deployment, the asset: {backup}");
    let id = backup["id"].as_str().unwrap();
    let sealed = std::fs::read_to_string(dir.path().join("backups").join(&chain).join(id).join("keys.sealed")).unwrap();
    assert!(!sealed.contains("BEGIN"), "the keys are sealed, not plain PEM");

    // Restore to a new peer.
    let add = format!("/api/chains/{chain}/nodes");
    let (s, v) = api.post(&add, Some(&ann), json!({"org": "Org1", "roles": ["peer"], "from_backup": "nope"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "no backup");
    let (s, v) = api.post(&add, Some(&ann), json!({"org": "Org1", "roles": ["orderer"], "from_backup": id})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "only a peer");
    let (s, job) = api.post(&add, Some(&ann), json!({"org": "Org1", "roles": ["peer"], "from_backup": id})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let log =
        std::fs::read_to_string(dir.path().join("chains").join(&chain).join("nodes/node1.org1/node.log")).unwrap();
    assert!(log.contains("restored from the snapshot file"), "the new peer started from the backup: {log}");

    // Same height on both, same state.
    let net = support::network(&server, &chain).await;
    let node = |id: &str| net.manifest().nodes.iter().find(|n| n.id == id).unwrap().clone();
    let (original, restored) = (node("node0.org1"), node("node1.org1"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (a, b) = (net.status(&original).await.unwrap().height, net.status(&restored).await.unwrap().height);
        if a == b {
            assert!(b > height as u64, "the restored peer followed the blocks after the backup");
            break;
        }
        assert!(Instant::now() < deadline, "the restored peer stays at {b}, the chain at {a}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (a, b) = (net.snapshot(&original).await.unwrap(), net.snapshot(&restored).await.unwrap());
    assert_eq!((a.height, hex(&a.state_hash)), (b.height, hex(&b.state_hash)));

    // The chain's certificates: the org's CA, admin and client, both nodes.
    let (s, certs) = api.get(&format!("/api/chains/{chain}/certificates"), Some(&ann)).await;
    assert_eq!(s, StatusCode::OK, "{certs}");
    let kinds: Vec<&str> = certs.as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    for k in ["ca", "admin", "client", "node"] {
        assert!(kinds.contains(&k), "{certs}");
    }
    assert!(certs.as_array().unwrap().iter().all(|c| c["status"] == "valid"), "{certs}");
    let (_, soon) = api.get(&format!("/api/chains/{chain}/certificates?within_days=400"), Some(&ann)).await;
    let node_cert = soon.as_array().unwrap().iter().find(|c| c["subject"] == "node1.org1").unwrap().clone();
    assert_eq!(node_cert["status"], "expiring", "a 365-day certificate is within 400 days: {node_cert}");

    // Scheduled backups: due now, keeping one; the second prunes the first.
    let schedule = format!("/api/chains/{chain}/backup-schedule");
    let (s, v) = api.get(&schedule, Some(&ann)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "no backup schedule");
    let (s, v) = api.put(&schedule, Some(&ann), json!({"every_minutes": 0, "keep": 0})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "every_minutes: 0");
    let now_ms = || time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let mut pruned = None;
    for round in 0..2 {
        let (s, v) =
            api.put(&schedule, Some(&ann), json!({"every_minutes": 60, "keep": 1, "start_at_ms": now_ms()})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let deadline = Instant::now() + Duration::from_secs(60);
        let scheduled = loop {
            let (_, list) = api.get(&backups, Some(&ann)).await;
            let mine: Vec<Value> =
                list.as_array().unwrap().iter().filter(|b| b["created_by"] == "schedule").cloned().collect();
            if mine.len() == round + 1 && mine.iter().all(|b| b["status"] != "running") {
                break mine;
            }
            assert!(Instant::now() < deadline, "no scheduled backup finished: {list}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        assert_eq!(scheduled[0]["status"], "verified", "{scheduled:?}");
        pruned = scheduled.get(1).cloned();
    }
    let first = pruned.expect("two scheduled backups");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, list) = api.get(&backups, Some(&ann)).await;
        let now = list.as_array().unwrap().iter().find(|b| b["id"] == first["id"]).unwrap().clone();
        if now["status"] == "pruned" {
            break;
        }
        assert!(Instant::now() < deadline, "the older scheduled backup was not pruned: {list}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(!dir.path().join("backups").join(&chain).join(first["id"].as_str().unwrap()).exists());
    assert!(dir.path().join("backups").join(&chain).join(id).exists(), "an on-demand backup is never pruned");
    let (_, v) = api.get(&schedule, Some(&ann)).await;
    assert!(v["next_at_ms"].as_i64().unwrap() > now_ms() + 50 * 60_000, "the next one is an interval away: {v}");
    assert_eq!(api.delete(&schedule, Some(&ann)).await.0, StatusCode::NO_CONTENT);
    server.stop().await.unwrap();
}

/// The executable a process runs, as the kernel sees it.
fn exe_of(pid: u64) -> std::path::PathBuf {
    std::fs::read_link(format!("/proc/{pid}/exe")).unwrap()
}

/// Issue #9 (4): a platform admin registers weft-node builds; a chain is
/// upgraded to one node at a time, its raft leader last, and keeps
/// committing; a build that fails its health gate is rolled back and the
/// chain stays on the build it ran. Batch settings change through the same
/// job machinery and take effect without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_upgrade_moves_every_node_and_a_failing_build_is_rolled_back() {
    let Platform { server, api, tokens, admin, scratch: dir, .. } =
        platform(Default::default(), "globex", &[("ann", "tenant-admin")]).await;
    let ann = tokens[0].clone();

    // Two builds: a second copy of weft-node, and one that cannot start.
    let builds = dir.path().join("builds");
    std::fs::create_dir_all(&builds).unwrap();
    let v2 = builds.join("weft-node-v2");
    std::fs::copy(support::node_binary(), &v2).unwrap();
    let broken = builds.join("weft-node-v3");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then exec {} --version; fi\n\
         echo 'this build cannot open its ledger' >&2\nexit 1\n",
        v2.display()
    );
    std::fs::write(&broken, script).unwrap();
    std::fs::set_permissions(&broken, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let register = |version: &str, path: &std::path::Path| json!({"version": version, "path": path});
    let (s, v) = api.post("/api/node-builds", Some(&ann), register("v2", &v2)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "platform admin");
    let (s, v) = api.post("/api/node-builds", Some(&admin), register("true", std::path::Path::new("/bin/true"))).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "weft-node <version>");
    let (s, v) = api.post("/api/node-builds", Some(&admin), register("v2", &v2)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["reports"].as_str().unwrap().starts_with("weft-node "), "{v}");
    let (s, v) = api.post("/api/node-builds", Some(&admin), register("v3", &broken)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = api.post("/api/node-builds", Some(&admin), register("v2", &v2)).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "registered already");

    let (chain, job) = create_chain(&api, &ann, "rolling", "raft-3").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let submit = deploy_and_create(&api, &ann, &chain, "up1").await;
    let before = nodes(&api, &ann, &chain).await;
    assert!(before.iter().all(|n| n["build"] == "bundled"), "{before:?}");
    let leader = before[0]["leader"].as_str().unwrap().to_string();

    let upgrade = format!("/api/chains/{chain}/upgrade");
    let (s, v) = api.post(&upgrade, Some(&ann), json!({"build": "v9"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "no build");
    let (s, v) = api.post(&upgrade, Some(&ann), json!({"build": "v2", "gate_secs": 1})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "gate_secs");
    let (s, job) = api.post(&upgrade, Some(&ann), json!({"build": "v2"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let (s, v) = api.post(&upgrade, Some(&ann), json!({"build": "v2"})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "is running on this chain");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let steps: Vec<&str> = job["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(steps.len(), 5, "{job}");
    assert_eq!(steps[3], format!("upgrade {leader}"), "the leader goes last: {job}");
    assert_eq!(job["steps"][4]["status"], "skipped", "{job}");
    assert_eq!(job["progress"], 100, "{job}");
    let after = nodes(&api, &ann, &chain).await;
    for n in &after {
        assert_eq!((n["build"].as_str(), n["up"].as_bool()), (Some("v2"), Some(true)), "{n}");
        assert_eq!(exe_of(n["pid"].as_u64().unwrap()), v2, "{n}");
    }
    create_asset(&api, &ann, &submit, "up2").await;

    // A build that cannot start: the first node fails its gate and is put
    // back on v2; nothing else was touched.
    let (s, job) = api.post(&upgrade, Some(&ann), json!({"build": "v3", "gate_secs": 10})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(error.contains("failed its health gate on v3") && error.contains("rolled back"), "{job}");
    assert!(job["steps"][1]["detail"].as_str().unwrap().contains("cannot open its ledger"), "{job}");
    assert_eq!(
        (job["steps"][2]["status"].as_str(), job["steps"][4]["status"].as_str()),
        (Some("skipped"), Some("done"))
    );
    let after = nodes(&api, &ann, &chain).await;
    for n in &after {
        assert_eq!((n["build"].as_str(), n["up"].as_bool()), (Some("v2"), Some(true)), "{n}");
        assert_eq!(exe_of(n["pid"].as_u64().unwrap()), v2, "{n}");
    }
    create_asset(&api, &ann, &submit, "up3").await;

    // Batch settings: one transaction per block from now on.
    let settings = format!("/api/chains/{chain}/config");
    let (s, v) = api.post(&settings, Some(&ann), json!({"max_message_count": 0})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "max_message_count: 0");
    let (s, v) = api.post(&settings, Some(&ann), json!({"batch_size": 3})).await;
    assert_problem(s, &v, StatusCode::BAD_REQUEST, "unknown field `batch_size`");
    let (s, job) = api.post(&settings, Some(&ann), json!({"max_message_count": 1, "batch_timeout_ms": 1000})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["steps"][1]["detail"].as_str().unwrap().contains("every running node on sequence"), "{job}");
    let send = |i: u32| {
        let create = json!({"function": "CreateAsset", "args": [format!("one{i}"), "red", "3", "Ann", "10"]});
        let (api, ann, submit) = (&api, &ann, &submit);
        async move { api.post(submit, Some(ann), create).await }
    };
    let (a, b, c, d) = tokio::join!(send(0), send(1), send(2), send(3));
    let results = [a, b, c, d];
    let mut blocks: Vec<u64> = results
        .iter()
        .map(|(s, v)| {
            assert_eq!((*s, v["code"].as_str()), (StatusCode::OK, Some("VALID")), "{v}");
            v["block"].as_u64().unwrap()
        })
        .collect();
    blocks.sort();
    blocks.dedup();
    assert_eq!(blocks.len(), 4, "sent together, each in its own block under max_message_count 1: {results:?}");
    server.stop().await.unwrap();
}

/// Issue #9 (2, 8): a peer that stays down past the standby threshold is
/// replaced: a standby peer of its org joins from a snapshot, the failed
/// one leaves the channel configuration, and the chain keeps committing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_kept_down_is_replaced_by_a_standby() {
    let Platform { server, api, tokens, scratch: dir, .. } =
        platform(quick_monitor(6_000), "umbrella", &[("ann", "tenant-admin")]).await;
    let ann = tokens[0].clone();
    let (chain, job) = create_chain(&api, &ann, "spare", "solo-1").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let submit = deploy_and_create(&api, &ann, &chain, "sb1").await;
    let (s, job) =
        api.post(&format!("/api/chains/{chain}/nodes"), Some(&ann), json!({"org": "Org1", "roles": ["peer"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");

    // node1.org1's disk "breaks" (its config is unreadable), then it dies:
    // every restart fails, and it stays down.
    let node_dir = dir.path().join("chains").join(&chain).join("nodes/node1.org1");
    let peer = nodes(&api, &ann, &chain).await.into_iter().find(|n| n["id"] == "node1.org1").unwrap();
    std::fs::write(node_dir.join("node.toml"), "this is not a node configuration").unwrap();
    unsafe { libc::kill(peer["pid"].as_u64().unwrap() as i32, libc::SIGKILL) };

    let deadline = Instant::now() + Duration::from_secs(120);
    let replaced = loop {
        let (s, jobs) = api.get(&format!("/api/chains/{chain}/jobs"), Some(&ann)).await;
        assert_eq!(s, StatusCode::OK, "{jobs}");
        let found =
            jobs.as_array().unwrap().iter().find(|j| j["kind"] == "replace-node" && j["status"] != "running").cloned();
        if let Some(j) = found {
            break j;
        }
        assert!(Instant::now() < deadline, "no replacement finished: {jobs}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(replaced["status"], "succeeded", "{replaced}");
    assert!(replaced["steps"][1]["detail"].as_str().unwrap().contains("node1.org1 removed"), "{replaced}");

    let list = nodes(&api, &ann, &chain).await;
    let ids: Vec<&str> = list.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["node0.org1", "node2.org1"], "{list:?}");
    assert!(list.iter().all(|n| n["up"] == true), "{list:?}");
    let log =
        std::fs::read_to_string(dir.path().join("chains").join(&chain).join("nodes/node2.org1/node.log")).unwrap();
    assert!(log.contains("joining from a state snapshot"), "the standby joined from a snapshot: {log}");

    // The chain commits, and the standby follows.
    create_asset(&api, &ann, &submit, "sb2").await;
    let net = support::network(&server, &chain).await;
    let node = |id: &str| net.manifest().nodes.iter().find(|n| n.id == id).unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (a, b) = (net.status(&node("node0.org1")).await.unwrap(), net.status(&node("node2.org1")).await.unwrap());
        if a.height == b.height && a.last_block_hash == b.last_block_hash {
            break;
        }
        assert!(Instant::now() < deadline, "the standby stays at {}, the chain at {}", b.height, a.height);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, alarms) = api.get(&format!("/api/chains/{chain}/alarms"), Some(&ann)).await;
        let down = alarms.as_array().unwrap().iter().filter(|a| a["node_id"] == "node1.org1").count();
        if down > 0 && alarms.as_array().unwrap().iter().all(|a| a["status"] == "resolved") {
            break;
        }
        assert!(Instant::now() < deadline, "node1.org1's alarms did not resolve: {alarms}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    server.stop().await.unwrap();
}

/// Issue #9 (5, 2): the monitor meters a chain — node-hours by resource
/// class, storage, valid transactions — into the tenant's usage and a draft
/// invoice for this month under its price plan; a past month's invoice is
/// issued once and kept; the monthly transaction quota stops REST submits;
/// a disk over its threshold raises disk-full, and a chain user sending
/// far more than usual raises abnormal-tx-rate and a security event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metering_bills_a_chain_and_the_transaction_quota_stops_submits() {
    use weft_baas::monitor::rules::Thresholds;
    let mut monitor = quick_monitor(0);
    monitor.thresholds = Thresholds { disk_pct: 0.0, user_tx_per_min: 3, ..monitor.thresholds };
    // Raw samples for 2 s, then one row per second.
    (monitor.raw_for, monitor.bucket) = (Duration::from_secs(2), Duration::from_secs(1));
    let users = [("ann", "tenant-admin"), ("max", "tenant-member")];
    let Platform { server, api, tokens, tenant, admin, scratch: _scratch, .. } =
        platform(monitor, "initrode", &users).await;
    let (ann, max) = (tokens[0].clone(), tokens[1].clone());

    let (chain, job) = create_chain(&api, &ann, "metered", "solo-1").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let submit = deploy_and_create(&api, &ann, &chain, "m0").await;
    // The meter's first reading of the running chain (its counters are
    // the baseline for what follows): a usage row.
    let usage_path = format!("/api/tenants/{tenant}/usage");
    api.get_until(&usage_path, Some(&ann), 30, "the meter reads the chain", |u| {
        u.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    for i in 1..=5 {
        create_asset(&api, &ann, &submit, &format!("m{i}")).await;
    }

    let usage = api
        .get_until(&usage_path, Some(&ann), 30, "the meter counts the transactions", |u| {
            u[0]["transactions"].as_i64() >= Some(5)
        })
        .await[0]
        .clone();
    assert_eq!(usage["resource_class"], "1cpu-1024mb", "{usage}");
    assert!(usage["node_hours"].as_f64().unwrap() > 0.0 && usage["storage_gb_hours"].as_f64().unwrap() > 0.0);
    let (s, v) = api.get(&usage_path, Some(&max)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "billing is for the tenant's admins");

    let this_month = {
        let t = time::OffsetDateTime::now_utc();
        format!("{:04}-{:02}", t.year(), t.month() as u8)
    };
    let (s, invoice) = api.get(&format!("/api/tenants/{tenant}/invoices/{this_month}"), Some(&ann)).await;
    assert_eq!(s, StatusCode::OK, "{invoice}");
    assert_eq!((invoice["status"].as_str(), invoice["plan"].as_str()), (Some("draft"), Some("standard")));
    let lines = invoice["lines"].as_array().unwrap();
    let units: Vec<&str> = lines.iter().map(|l| l["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["node-hour", "GB-hour", "1000 transactions"], "{invoice}");
    let sum: i64 = lines.iter().map(|l| l["amount_micros"].as_i64().unwrap()).sum();
    assert_eq!(invoice["total_micros"].as_i64(), Some(sum));

    // A past month: issued once, as it was.
    let old = format!("/api/tenants/{tenant}/invoices/2020-01");
    let (_, first) = api.get(&old, Some(&ann)).await;
    assert_eq!((first["status"].as_str(), first["total"].as_str()), (Some("final"), Some("0.00")), "{first}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, again) = api.get(&old, Some(&ann)).await;
    assert_eq!(first["issued_at"], again["issued_at"]);
    let (s, v) = api.get(&format!("/api/tenants/{tenant}/invoices/2020-13"), Some(&ann)).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "YYYY-MM");

    // Plans: a platform admin's to set; the tenant's invoice follows.
    let premium = json!({"currency": "EUR", "cpu_hour_micros": 80000, "memory_gb_hour_micros": 10000,
        "storage_gb_hour_micros": 300, "per_1000_tx_micros": 20000, "monthly_base_micros": 5000000});
    let (s, v) = api.put("/api/plans/premium", Some(&ann), premium.clone()).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "platform admin");
    assert_eq!(api.put("/api/plans/premium", Some(&admin), premium).await.0, StatusCode::OK);
    let (s, v) = api.put(&format!("/api/tenants/{tenant}/plan"), Some(&admin), json!({"plan": "gold"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "no plan");
    assert_eq!(
        api.put(&format!("/api/tenants/{tenant}/plan"), Some(&admin), json!({"plan": "premium"})).await.0,
        StatusCode::OK
    );
    let (_, invoice) = api.get(&format!("/api/tenants/{tenant}/invoices/{this_month}"), Some(&ann)).await;
    assert_eq!((invoice["plan"].as_str(), invoice["currency"].as_str()), (Some("premium"), Some("EUR")));
    assert_eq!(invoice["lines"][0]["amount_micros"], 5_000_000, "the base fee: {invoice}");

    // The monthly transaction quota: at what was used, submits stop.
    let quota_path = format!("/api/tenants/{tenant}/quota");
    let (_, report) = api.get(&quota_path, Some(&ann)).await;
    let mut quota = report["quota"].clone();
    quota["max_tx_per_month"] = usage["transactions"].clone();
    let (s, v) = api.put(&quota_path, Some(&admin), quota).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api
        .post(&submit, Some(&ann), json!({"function": "CreateAsset", "args": ["m9", "red", "3", "Ann", "10"]}))
        .await;
    assert_problem(s, &v, StatusCode::TOO_MANY_REQUESTS, "monthly transaction quota is used up");

    // The disk rule, at a threshold of 0 %.
    // Both rules fire on a monitor round of their own: wait for both.
    let alarms = api
        .get_until(&format!("/api/chains/{chain}/alarms"), Some(&ann), 30, "disk and user-rate alarms", |v| {
            let rules: Vec<_> = v.as_array().unwrap().iter().map(|a| a["rule"].clone()).collect();
            rules.contains(&json!("disk-full")) && rules.contains(&json!("abnormal-tx-rate"))
        })
        .await;
    let disk = alarms.as_array().unwrap().iter().find(|a| a["rule"] == "disk-full").cloned();
    assert!(disk.is_some_and(|a| a["detail"].as_str().unwrap().contains("% full")), "{alarms}");
    // Five transactions in a minute from ann's own chain identity (the
    // REST gateway signs as the person, not a shared client), over a floor
    // of three with no history: abnormal, and a security event.
    let user = alarms.as_array().unwrap().iter().find(|a| a["rule"] == "abnormal-tx-rate").cloned();
    assert!(user.as_ref().is_some_and(|a| a["node_id"] == "ann@initrode@Org1"), "{alarms}");
    let (_, events) = api.get("/api/security/events", Some(&admin)).await;
    assert!(events.as_array().unwrap().iter().any(|e| e["kind"] == "abnormal-tx-rate"), "{events}");

    // Downsampled series for the chain's node and the host; hosts are for
    // platform admins.
    // A rollup runs once a monitor round: wait for one, not a fixed time.
    let rolled = |v: &Value| v.as_array().unwrap().iter().any(|x| x["resolution_ms"] == 1000);
    let samples = api
        .get_until(&format!("/api/chains/{chain}/metrics"), Some(&ann), 30, "older samples are rolled up", rolled)
        .await;
    // The throughput and latency counters: the node committed the six
    // transactions (and the deployment), each with a latency.
    let last = samples.as_array().unwrap().iter().rev().find(|x| x["tx_committed"].is_number()).cloned();
    let last = last.unwrap_or_else(|| panic!("no sample has the node's transaction counters: {samples}"));
    assert!(last["tx_committed"].as_i64() >= Some(6), "{last}");
    assert!(last["latency_count"].as_i64() >= Some(6) && last["latency_sum_us"].as_i64() > Some(0), "{last}");
    let (s, v) = api.get("/api/hosts", Some(&ann)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "platform admins");
    let (s, hosts) = api.get("/api/hosts", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{hosts}");
    assert_eq!((hosts[0]["host"].as_str(), hosts[0]["running_chains"].as_i64()), (Some("local"), Some(1)), "{hosts}");
    assert!(hosts[0]["latest"]["memory_total_bytes"].as_i64().unwrap() > 0, "{hosts}");
    let series = api
        .get_until("/api/hosts/local/metrics", Some(&admin), 30, "host samples are rolled up", |v| {
            v.as_array().unwrap().iter().any(|x| x["resolution_ms"] == 1000 && x["cpu_pct"].is_number())
        })
        .await;
    let series = series.as_array().unwrap();
    assert!(series.iter().all(|x| x["net_rx_bytes"].as_i64().unwrap() > 0), "loopback traffic counts: {series:?}");
    let (s, v) = api.get("/api/hosts/elsewhere/metrics", Some(&admin)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "one host");
    server.stop().await.unwrap();
}

/// Issue #9 (6) and the console's explorer: a chain's blocks decoded —
/// the genesis configuration, a contract call with its creator, arguments,
/// writes and validation code — and the chain's transactions for a time
/// range exported as JSON lines and CSV for an auditor (not a member).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_decodes_blocks_and_auditors_export_transactions() {
    let users = [("ann", "tenant-admin"), ("max", "tenant-member"), ("audrey", "auditor")];
    let Platform { server, api, tokens, scratch: _scratch, .. } =
        platform(Default::default(), "vandelay", &users).await;
    let (ann, max, audrey) = (tokens[0].clone(), tokens[1].clone(), tokens[2].clone());
    let started_ms = time::OffsetDateTime::now_utc().unix_timestamp() as u64 * 1000;
    let (chain, job) = create_chain(&api, &ann, "explored", "solo-1").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let submit = deploy_and_create(&api, &ann, &chain, "e1").await;
    create_asset(&api, &ann, &submit, "e2").await;

    let (s, page) = api.get(&format!("/api/chains/{chain}/blocks"), Some(&max)).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let height = page["height"].as_u64().unwrap();
    let blocks = page["blocks"].as_array().unwrap();
    assert_eq!(blocks.len() as u64, height, "a short chain fits one page");
    assert_eq!(blocks[0]["number"].as_u64(), Some(height - 1), "newest first");
    assert_eq!(blocks[0]["previous_hash"], blocks[1]["hash"], "{page}");
    let tx = &blocks[0]["transactions"][0];
    assert_eq!(
        (tx["kind"].as_str(), tx["contract"].as_str(), tx["function"].as_str(), tx["validation_code"].as_str()),
        (Some("endorser"), Some("asset-transfer"), Some("CreateAsset"), Some("VALID")),
        "{tx}"
    );
    assert_eq!(tx["args"][0], "e2", "{tx}");
    assert_eq!(tx["creator_org"], "Org1", "{tx}");
    assert!(tx["writes"].as_array().unwrap().iter().any(|w| w["key"] == "e2"), "{tx}");
    let (_, genesis) = api.get(&format!("/api/chains/{chain}/blocks/0"), Some(&max)).await;
    assert_eq!(genesis["transactions"][0]["kind"], "config", "{genesis}");
    let (s, v) = api.get(&format!("/api/chains/{chain}/blocks/{height}"), Some(&max)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "the chain's height is");

    let export = format!("/api/chains/{chain}/transactions?from_ms={started_ms}");
    let (s, v) = api.get(&export, Some(&max)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "admins and auditors");
    let (s, v) = api.get(&format!("{export}&format=xml"), Some(&audrey)).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "format");
    let get_text = |path: String| {
        let (api, audrey) = (&api, &audrey);
        async move {
            let resp = api.http.get(format!("{}{path}", api.base)).bearer_auth(audrey).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            resp.text().await.unwrap()
        }
    };
    let lines: Vec<Value> = get_text(export.clone()).await.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let values: Vec<&str> =
        lines.iter().flat_map(|t| t["args"].as_array().unwrap()).filter_map(Value::as_str).collect();
    assert!(values.iter().all(|v| v.len() < 5000), "long values are summarised");
    assert_eq!(lines.len() as u64, height - 1, "a transaction per block after the genesis block: {lines:?}");
    assert!(lines.iter().any(|t| t["function"] == "CreateAsset" && t["args"][0] == "e1"), "{lines:?}");
    let csv = get_text(format!("{export}&format=csv")).await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], weft_baas::api::explorer::CSV_HEADER);
    assert_eq!(rows.len() as u64, height, "{csv}");
    let later = started_ms + 3_600_000;
    assert!(get_text(format!("/api/chains/{chain}/transactions?from_ms={later}")).await.is_empty());
    server.stop().await.unwrap();
}

/// Issue #9 (3, 8): disaster on a raft-3 chain — every node killed, every
/// ledger wiped, an org's client certificate lost — and the whole chain
/// restored in place from a verified backup: the certificate comes back
/// from the sealed keys, every node imports the backup's state, a peer
/// reports the backup's height and state hash, what was committed after
/// the backup is gone, and the raft group orders on from that height.
/// A second channel (Org2 and Org3) comes back the same way, from its own
/// snapshot in the backup (#23: a backup per channel).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wiped_raft_chain_is_restored_from_a_backup() {
    // The monitor looks once an hour: it does not restart the killed nodes.
    let monitor = weft_baas::monitor::MonitorConfig { every: Duration::from_secs(3600), ..quick_monitor(0) };
    let Platform { server, api, tokens, scratch: dir, config, .. } =
        platform(monitor, "massive-dynamic", &[("ann", "tenant-admin")]).await;
    let ann = tokens[0].clone();
    let (chain, job) = create_chain(&api, &ann, "dr", "raft-3").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let submit = deploy_and_create(&api, &ann, &chain, "kept1").await;
    let (s, v) = api
        .post(&format!("/api/chains/{chain}/channels"), Some(&ann), json!({"name": "second", "orgs": ["Org2", "Org3"]}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(wait_job(&api, &ann, v["id"].as_str().unwrap()).await["status"], "succeeded");
    let deploy = format!("/api/chains/{chain}/contracts/asset-transfer?version=1.0&channel=second");
    let (s, v) = put_wasm(&api, &ann, &deploy, "application/wasm", weft_contract_wasm::ASSET_TRANSFER.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let on_second = |function: &str, args: &[&str]| json!({"function": function, "args": args, "channel": "second"});
    let (s, v) = api.post(&submit, Some(&ann), on_second("CreateAsset", &["chan1", "red", "3", "Ann", "10"])).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::OK, Some("VALID")), "{v}");

    let backups = format!("/api/chains/{chain}/backups");
    let (s, accepted) = api.post(&backups, Some(&ann), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{accepted}");
    let job = wait_job(&api, &ann, accepted["job"]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["steps"][0]["detail"].as_str().unwrap().contains("; second at height"), "{job}");
    assert!(job["steps"][2]["detail"].as_str().unwrap().contains("1 further channels'"), "{job}");
    let (_, list) = api.get(&backups, Some(&ann)).await;
    let (id, height) = (list[0]["id"].as_str().unwrap().to_string(), list[0]["height"].as_u64().unwrap());
    let second = list[0]["channels"][0].clone();
    assert_eq!(second["channel"], "second", "{list}");
    let second_height = second["height"].as_u64().unwrap();
    assert!(second_height >= 2, "the deployment and the asset are in it: {second}");
    create_asset(&api, &ann, &submit, "lost1").await;
    let (s, v) = api.post(&submit, Some(&ann), on_second("CreateAsset", &["chanlost", "red", "3", "Ann", "10"])).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::OK, Some("VALID")), "{v}");

    // The disaster.
    let chain_dir = dir.path().join("chains").join(&chain);
    for n in nodes(&api, &ann, &chain).await {
        unsafe { libc::kill(n["pid"].as_u64().unwrap() as i32, libc::SIGKILL) };
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for n in ["node0.org1", "node0.org2", "node0.org3"] {
        std::fs::remove_dir_all(chain_dir.join("nodes").join(n).join("data")).unwrap();
    }
    // And two of the chain's material rows: Org2's client certificate and
    // its admin's (sealed) key.
    let org2 = support::network(&server, &chain).await.manifest().orgs[1].clone();
    let db = support::database(&config).await;
    for path in [&org2.client_certificate, &org2.admin_key] {
        let gone = sqlx::query("DELETE FROM chain_material WHERE chain_id = $1 AND path = $2")
            .bind(&chain)
            .bind(path.to_string_lossy().as_ref())
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(gone.rows_affected(), 1, "{}", path.display());
    }
    let lost = support::network(&server, &chain).await.admin(&org2.id).err().expect("the admin key is gone");
    assert!(lost.to_string().contains("not in the material"), "{lost}");

    let restore = format!("/api/chains/{chain}/restore");
    let (s, v) = api.post(&restore, Some(&ann), json!({"backup": "nope"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "no backup");
    let (s, job) = api.post(&restore, Some(&ann), json!({"backup": id})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["steps"][0]["detail"].as_str().unwrap().starts_with("2 key and certificate files restored"), "{job}");
    let rejoined = job["steps"][4]["detail"].as_str().unwrap();
    assert!(rejoined.contains(&format!("second at height {second_height} on 2 nodes")), "{job}");
    let verified = job["steps"][5]["detail"].as_str().unwrap();
    assert!(verified.contains("as backed up") && verified.contains("second at height"), "{job}");
    server.material.certificate(&chain, &org2.client_certificate).await.expect("the lost certificate is back");
    let key = server.material.certificate(&chain, &org2.admin_key).await.expect("the lost admin key is back");
    assert!(key.contains("BEGIN WEFT SEALED PRIVATE KEY") && !key.contains("BEGIN PRIVATE KEY"), "still sealed");
    let net = support::network(&server, &chain).await;
    net.admin(&org2.id).expect("the restored admin key opens with the master key");

    let evaluate = format!("/api/chains/{chain}/contracts/asset-transfer/evaluate");
    let read = |asset: &str| json!({"function": "ReadAsset", "args": [asset]});
    assert_eq!(api.post(&evaluate, Some(&ann), read("kept1")).await.0, StatusCode::OK);
    let (s, v) = api.post(&evaluate, Some(&ann), read("lost1")).await;
    assert_ne!(s, StatusCode::OK, "what came after the backup is gone: {v}");
    let create = json!({"function": "CreateAsset", "args": ["after1", "red", "3", "Ann", "10"]});
    let (s, v) = api.post(&submit, Some(&ann), create).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::OK, Some("VALID")), "{v}");
    assert_eq!(v["block"].as_u64(), Some(height), "the raft group orders on from the restored height: {v}");

    // The second channel: its state as backed up, ordering on from there.
    let (s, v) = api.post(&evaluate, Some(&ann), on_second("ReadAsset", &["chan1"])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api.post(&evaluate, Some(&ann), on_second("ReadAsset", &["chanlost"])).await;
    assert_ne!(s, StatusCode::OK, "what came after the backup is gone on the second channel too: {v}");
    let (s, v) = api.post(&submit, Some(&ann), on_second("CreateAsset", &["chan2", "red", "3", "Ann", "10"])).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::OK, Some("VALID")), "{v}");
    assert_eq!(v["block"].as_u64(), Some(second_height), "the second channel orders on from its restored height: {v}");
    server.stop().await.unwrap();
}

/// A receiver of webhook POSTs over TLS, with a certificate for 127.0.0.1
/// from its own CA: a minimal HTTP/1.1 responder (one request per
/// connection, 204) that keeps each request's head and body.
struct TlsReceiver {
    url: String,
    ca_pem: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl TlsReceiver {
    async fn start(org: &str) -> TlsReceiver {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio_rustls::rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
        use weft_identity::{CertificateAuthority, Role, SigningKeyPair, Validity};

        let ca = CertificateAuthority::create(org, Validity::days_from_now(1)).unwrap();
        let key = SigningKeyPair::generate();
        let hosts = ["127.0.0.1".to_string()];
        let cert = ca.issue_for_hosts("receiver", Role::Peer, &key.public_key(), Validity::days_from_now(1), &hosts);
        let chain = vec![CertificateDer::from(cert.unwrap())];
        let private = PrivateKeyDer::from_pem_slice(key.to_pkcs8_pem().as_bytes()).unwrap();
        let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let tls = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(tls));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/hooks", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = seen.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, kept) = (acceptor.clone(), kept.clone());
                tokio::spawn(async move {
                    // A client that does not trust us ends the handshake.
                    let Ok(mut stream) = acceptor.accept(tcp).await else { return };
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head, body) = loop {
                        let Ok(n) = stream.read(&mut chunk).await else { return };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                            })
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        if body.len() >= length {
                            break (head.to_string(), body.to_string());
                        }
                    };
                    kept.lock().unwrap().push((head, body));
                    let _ = stream
                        .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        let ca_pem = pem::encode(&pem::Pem::new("CERTIFICATE", ca.certificate_der().to_vec()));
        TlsReceiver { url, ca_pem, seen }
    }
}

/// Issue #9 (2): https:// webhooks. A receiver whose certificate an
/// internal CA issued (trusted through --webhook-ca-file) gets the test
/// event over TLS, signed; one whose CA nobody trusts is refused, the TLS
/// failure recorded with the delivery; a bad CA file stops the server at
/// start with a sentence. No nodes: the test event goes through the same
/// path as alarms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_webhooks_trust_the_configured_ca_and_refuse_others() {
    let dir = tempfile::tempdir().unwrap();
    let (trusted, stranger) = (TlsReceiver::start("Trusted").await, TlsReceiver::start("Stranger").await);
    let ca_file = dir.path().join("webhook-ca.pem");
    std::fs::write(&ca_file, &trusted.ca_pem).unwrap();
    let db = TestDb::preferred().await;
    let base = support::config(&dir.path().join("data"), Some(ADMIN_PASSWORD), &db);
    let bad_file = dir.path().join("not-a-ca.pem");
    std::fs::write(&bad_file, "hello").unwrap();
    let refused = weft_baas::Server::start(weft_baas::Config { webhook_ca_file: Some(bad_file), ..base.clone() }).await;
    let why = refused.err().expect("a CA file without certificates stops the server").to_string();
    assert!(why.contains("--webhook-ca-file"), "{why}");

    let config = weft_baas::Config { webhook_ca_file: Some(ca_file), webhook_allow: support::loopback(), ..base };
    let users = [("ann", "tenant-admin"), ("max", "tenant-member")];
    let (server, api, tokens) = support::server_with_tenant(config, "secure", &users).await;
    let (ann, max) = (&tokens[0], &tokens[1]);

    let (s, hook) = api.post("/api/webhooks", Some(ann), json!({"url": trusted.url})).await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let (id, secret) = (hook["id"].as_str().unwrap().to_string(), hook["secret"].as_str().unwrap().to_string());
    let (s, v) = api.post(&format!("/api/webhooks/{id}/test"), Some(max), json!({})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "tenant admins");
    let (s, v) = api.post("/api/webhooks/nope/test", Some(ann), json!({})).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "no webhook");
    let (s, sent) = api.post(&format!("/api/webhooks/{id}/test"), Some(ann), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{sent}");

    let deliveries = api
        .get_until(&format!("/api/webhooks/{id}/deliveries"), Some(ann), 30, "the test event is delivered", |v| {
            v.as_array().unwrap().iter().any(|d| d["id"] == sent["delivery"] && d["status"] == "delivered")
        })
        .await;
    assert_eq!(deliveries[0]["alarm_id"], "test", "{deliveries}");
    let (head, body) = trusted.seen.lock().unwrap()[0].clone();
    let header = |name: &str| {
        head.lines().find_map(|l| l.split_once(": ").filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
    };
    let timestamp: i64 = header("x-weft-timestamp").unwrap().parse().unwrap();
    let want = weft_baas::monitor::webhooks::signature(secret.as_bytes(), timestamp, body.as_bytes());
    assert_eq!(header("x-weft-signature"), Some(format!("sha256={want}").as_str()), "{head}");
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((event["event"].as_str(), event["webhook_id"].as_str()), (Some("webhook.test"), Some(id.as_str())));

    // A receiver whose CA is not trusted: refused at the handshake, said so.
    let (_, other) = api.post("/api/webhooks", Some(ann), json!({"url": stranger.url})).await;
    let other = other["id"].as_str().unwrap().to_string();
    api.post(&format!("/api/webhooks/{other}/test"), Some(ann), json!({})).await;
    let deliveries = api
        .get_until(&format!("/api/webhooks/{other}/deliveries"), Some(ann), 30, "a refused attempt", |v| {
            v.as_array().unwrap().iter().any(|d| d["attempts"].as_i64() >= Some(1))
        })
        .await;
    assert_eq!(deliveries[0]["status"], "pending", "retried later: {deliveries}");
    let error = deliveries[0]["last_error"].as_str().unwrap();
    assert!(error.contains(&stranger.url), "the error names the receiver: {error}");
    assert!(error.contains("certificate"), "and says what was wrong: {error}");
    assert!(stranger.seen.lock().unwrap().is_empty(), "nothing was sent to an untrusted receiver");
    server.stop().await.unwrap();
}
