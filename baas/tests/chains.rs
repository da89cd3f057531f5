//! Chains on demand with real `weft-node` processes: templates and
//! quotas, creating solo-1, raft-3 and pbft-4 chains as jobs with visible steps,
//! node status from Admin gRPC, stop/start, a creation that fails and is
//! rolled back, who may see and change what, contracts and the REST
//! gateway, chain users, adding and removing a node, a server restart that
//! re-attaches to running nodes, and deleting (nodes stopped, data
//! archived). On PostgreSQL when WEFT_TEST_DATABASE_URL names a server (as
//! under `make test`), else SQLite.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

mod support;
use support::{
    assert_problem, create_chain, nodes, pids, put_wasm, server_with_tenant, start, wait_job, Api, TestDb,
    ADMIN_PASSWORD, PASSWORD,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chains_are_created_run_restarted_and_deleted_with_real_nodes() {
    let dir = support::Scratch::new();
    let db = TestDb::preferred().await;
    eprintln!("BaaS database: {}", db.name());
    let mut server = start(dir.path(), Some(ADMIN_PASSWORD), &db).await;
    let mut api = Api::new(&server);
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let (_, acme) = api.post("/api/tenants", Some(&admin), json!({"name": "acme"})).await;
    let (_, globex) = api.post("/api/tenants", Some(&admin), json!({"name": "globex"})).await;
    let acme = acme["id"].as_str().unwrap().to_string();
    let globex = globex["id"].as_str().unwrap().to_string();
    for (tenant, name, role) in
        [(&acme, "ann", "tenant-admin"), (&acme, "max", "tenant-member"), (&globex, "gus", "tenant-admin")]
    {
        let (s, v) = api
            .post(
                &format!("/api/tenants/{tenant}/users"),
                Some(&admin),
                json!({"username": name, "password": PASSWORD, "role": role}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let ann = api.login("ann@acme", PASSWORD).await;
    let max = api.login("max@acme", PASSWORD).await;
    let gus = api.login("gus@globex", PASSWORD).await;

    // Templates: the built-in ones, and one a tenant defines for itself.
    let (_, list) = api.get("/api/templates", Some(&ann)).await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for t in ["solo-1", "raft-3", "raft-5"] {
        assert!(names.contains(&t), "{names:?}");
    }
    let tiny = include_str!("../../config/templates/solo-1.toml")
        .replace("name = \"solo-1\"", "name = \"tiny\"")
        .replace("memory_mb = 1024", "memory_mb = 4");
    let (s, v) = api.post("/api/templates", Some(&ann), json!({"toml": tiny})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["source"], "tenant");
    assert_eq!(api.get("/api/templates/tiny", Some(&gus)).await.0, StatusCode::NOT_FOUND, "another tenant's");
    let (s, v) = api.post("/api/templates", Some(&ann), json!({"toml": "name = 'x'\nchannel = 'Bad Channel'"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "toml");
    let (s, v) = api.post("/api/templates", Some(&max), json!({"toml": tiny})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "tenant admin");

    // Quotas: a platform admin sets them; a chain that would pass one is refused.
    let quota = json!({"max_chains": 3, "max_nodes": 4, "max_cpu": 4.0, "max_memory_mb": 8192, "max_disk_gb": 100});
    let (s, v) = api.put(&format!("/api/tenants/{acme}/quota"), Some(&ann), quota.clone()).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "platform admin");
    let (s, v) = api.put(&format!("/api/tenants/{acme}/quota"), Some(&admin), quota).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api.post("/api/chains", Some(&ann), json!({"name": "big", "template": "raft-5"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "nodes 0 + 5 > 4");
    assert!(v["type"].as_str().unwrap().ends_with("quota-exceeded"), "{v}");
    let (s, v) = api.post("/api/chains", Some(&ann), json!({"name": "x", "template": "no-such"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "solo-1");
    let (s, v) = api.post("/api/chains", Some(&ann), json!({"name": "Bad Name", "template": "solo-1"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "name");
    let (s, v) = api.post("/api/chains", Some(&max), json!({"name": "m", "template": "solo-1"})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "admins");

    // solo-1: every step done, the node up with a height.
    let (solo, job) = create_chain(&api, &ann, "ledger", "solo-1").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["progress"], 100);
    assert!(job["steps"].as_array().unwrap().iter().all(|s| s["status"] == "done"), "{job}");
    assert!(job["steps"][2]["detail"].as_str().unwrap().contains("limits"), "{job}");
    let (_, chain) = api.get(&format!("/api/chains/{solo}"), Some(&max)).await;
    assert_eq!(chain["status"], "running", "{chain}");
    let solo_nodes = nodes(&api, &max, &solo).await;
    assert_eq!(solo_nodes.len(), 1);
    assert_eq!(solo_nodes[0]["up"], true, "{solo_nodes:?}");
    assert!(solo_nodes[0]["height"].as_u64().unwrap() >= 1);
    assert!(!solo_nodes[0]["limits"].as_str().unwrap().is_empty());
    let node = solo_nodes[0]["id"].as_str().unwrap().to_string();
    material_kept_apart(&server, &solo, &dir.path().join("chains").join(&solo)).await;
    let (s, log) = api.get(&format!("/api/chains/{solo}/nodes/{node}/log?lines=5"), Some(&max)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!log["lines"].as_array().unwrap().is_empty(), "{log}");

    authorization_matrix(&api, &max, &gus, &acme, &solo, &node, job["id"].as_str().unwrap()).await;

    // Another tenant cannot see it; a member cannot change it; no token, no entry.
    for path in [format!("/api/chains/{solo}"), format!("/api/chains/{solo}/nodes"), format!("/api/chains/{solo}/jobs")]
    {
        let (s, v) = api.get(&path, Some(&gus)).await;
        assert_problem(s, &v, StatusCode::NOT_FOUND, "no chain");
        assert_eq!(api.get(&path, None).await.0, StatusCode::UNAUTHORIZED);
    }
    let (_, gus_chains) = api.get("/api/chains", Some(&gus)).await;
    assert_eq!(gus_chains, json!([]));
    assert_eq!(api.delete(&format!("/api/chains/{solo}"), Some(&gus)).await.0, StatusCode::NOT_FOUND);
    let (s, v) = api.delete(&format!("/api/chains/{solo}"), Some(&max)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "admins");
    let stop = format!("/api/chains/{solo}/nodes/{node}/stop");
    assert_eq!(api.post(&stop, Some(&max), json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(api.post(&stop, Some(&gus), json!({})).await.0, StatusCode::NOT_FOUND);
    let (s, v) = api.post(&format!("/api/chains/{solo}/nodes/node9.nope/stop"), Some(&ann), json!({})).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "node0.org1");

    // Stop and start a node.
    let (s, v) = api.post(&stop, Some(&ann), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["up"].clone(), v["pid"].clone(), v["desired"].clone()),
        (json!(false), Value::Null, json!("stopped"))
    );
    let (s, v) = api.post(&format!("/api/chains/{solo}/nodes/{node}/start"), Some(&ann), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["up"].clone(), v["desired"].clone()), (json!(true), json!("running")), "{v}");

    // A creation that fails (the node stops at its 4 MiB memory limit) is
    // rolled back: the failed step says why, nothing is left running or on disk.
    let (bad, job) = create_chain(&api, &ann, "tiny", "tiny").await;
    assert_eq!(job["status"], "failed", "{job}");
    let failed: Vec<&Value> = job["steps"].as_array().unwrap().iter().filter(|s| s["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{job}");
    assert!(job["error"].as_str().unwrap().contains("rolled back"), "{job}");
    assert!(job["error"].as_str().unwrap().contains("memory limit exceeded"), "{job}");
    let (_, chain) = api.get(&format!("/api/chains/{bad}"), Some(&ann)).await;
    assert_eq!(chain["status"], "failed");
    assert!(!dir.path().join("chains").join(&bad).exists(), "the failed chain's files were removed");
    assert!(server.material.files(&bad).await.is_err(), "and its material");

    // raft-3 next to it (4 nodes in all: exactly the quota).
    let (raft, job) = create_chain(&api, &ann, "shared", "raft-3").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let raft_nodes = nodes(&api, &ann, &raft).await;
    assert_eq!(raft_nodes.len(), 3);
    assert!(raft_nodes.iter().all(|n| n["up"] == true), "{raft_nodes:?}");
    assert!(raft_nodes.iter().any(|n| n["consensus"] == "leader"), "{raft_nodes:?}");
    let (s, report) = api.get(&format!("/api/tenants/{acme}/quota"), Some(&ann)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(report["usage"]["nodes"], 4, "{report}");
    assert_eq!(report["usage"]["chains"], 2, "the failed chain does not count: {report}");

    contracts_and_rest_gateway(&api, &ann, &max, &gus, &raft).await;
    benchmarks(&api, &ann, &max, &raft).await;
    let material = server.material.files(&raft).await.unwrap();
    chain_users(&api, &ann, &max, &gus, &raft, &material).await;

    // Add a peer (from a snapshot) to the running raft chain: refused at the
    // node quota first, then admitted by a configuration update, started,
    // caught up; then removed again.
    let add = format!("/api/chains/{raft}/nodes");
    let peer = json!({"org": "Org2", "roles": ["peer"], "from_snapshot": true});
    let (s, v) = api.post(&add, Some(&ann), peer.clone()).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "nodes 4 + 1 > 4");
    let (s, v) = api.post(&add, Some(&ann), json!({"org": "Org9", "roles": ["peer"]})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "Org1, Org2, Org3");
    let (s, v) = api.post(&add, Some(&max), peer.clone()).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "admins");
    let more = json!({"max_chains": 3, "max_nodes": 5, "max_cpu": 8.0, "max_memory_mb": 8192, "max_disk_gb": 200});
    assert_eq!(api.put(&format!("/api/tenants/{acme}/quota"), Some(&admin), more).await.0, StatusCode::OK);
    let (s, job) = api.post(&add, Some(&ann), peer).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["steps"][1]["detail"].as_str().unwrap().contains("configuration sequence"), "{job}");
    let grown = nodes(&api, &ann, &raft).await;
    assert_eq!(grown.len(), 4, "{grown:?}");
    let added = grown.iter().find(|n| n["id"] == "node1.org2").expect("the new node, named after its org");
    assert_eq!((added["up"].clone(), added["roles"].clone()), (json!(true), json!(["peer"])), "{added}");
    assert!(added["height"].as_u64().unwrap() >= 2, "caught up: {added}");
    let (_, report) = api.get(&format!("/api/tenants/{acme}/quota"), Some(&ann)).await;
    assert_eq!(report["usage"]["nodes"], 5, "{report}");
    let (s, v) = api
        .post(
            &format!("/api/chains/{raft}/contracts/asset-transfer/submit"),
            Some(&max),
            json!({
            "function": "CreateAsset", "args": ["asset5", "green", "2", "Eve", "5"], "org": "Org2"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the grown chain commits: {v}");
    let (s, job) = api.delete(&format!("/api/chains/{raft}/nodes/node1.org2"), Some(&ann)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(nodes(&api, &ann, &raft).await.len(), 3);
    let (_, report) = api.get(&format!("/api/tenants/{acme}/quota"), Some(&ann)).await;
    assert_eq!(report["usage"]["nodes"], 4, "{report}");

    // A new org: admitted by a configuration update, which every node
    // applies and so trusts its CA, none restarted; then a peer of it joins
    // and serves the org's clients.
    let running = pids(&nodes(&api, &ann, &raft).await);
    assert_eq!(running.len(), 3, "three nodes run before Org4 comes");
    let orgs = format!("/api/chains/{raft}/orgs");
    let (s, v) = api.post(&orgs, Some(&ann), json!({"org": "org1"})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "already");
    let (s, job) = api.post(&orgs, Some(&ann), json!({"org": "Org4"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["steps"][2]["detail"].as_str().unwrap_or_default().contains("none restarted"), "{job}");
    assert_eq!(pids(&nodes(&api, &ann, &raft).await), running, "no node restarted for Org4's CA");
    let (s, job) = api.post(&add, Some(&ann), json!({"org": "Org4", "roles": ["peer"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let (s, v) = api
        .post(
            &format!("/api/chains/{raft}/contracts/asset-transfer/submit"),
            Some(&max),
            json!({
            "function": "CreateAsset", "args": ["asset4", "gold", "4", "Org4", "4"], "org": "Org4"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "Org4's client through Org4's peer: {v}");
    assert_eq!(nodes(&api, &ann, &raft).await.len(), 4);

    // Restart the server: nodes keep running and are found again.
    let before = pids(&nodes(&api, &ann, &raft).await);
    // An open event stream (a console's, say) does not hold the stop up.
    let listening = api
        .http
        .get(format!("{}/api/chains/{raft}/contracts/asset-transfer/events", api.base))
        .bearer_auth(&max)
        .send()
        .await
        .unwrap();
    assert_eq!(listening.status(), StatusCode::OK);
    tokio::time::timeout(Duration::from_secs(30), server.stop())
        .await
        .expect("the server stops with an event stream open")
        .unwrap();
    drop(listening);
    server = start(dir.path(), None, &db).await;
    api = Api::new(&server);
    let after = nodes(&api, &ann, &raft).await;
    assert_eq!(pids(&after), before, "the same processes");
    assert!(after.iter().all(|n| n["up"] == true), "{after:?}");
    let (s, v) =
        api.post(&format!("/api/chains/{raft}/contracts/asset-transfer/evaluate"), Some(&max), read_asset()).await;
    assert_eq!(s, StatusCode::OK, "state kept across the server restart: {v}");

    // Delete both: nodes stopped, data archived, quota freed.
    let mut all_pids = before.clone();
    all_pids.extend(pids(&nodes(&api, &ann, &solo).await));
    for chain in [&solo, &raft] {
        let (s, job) = api.delete(&format!("/api/chains/{chain}"), Some(&ann)).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{job}");
        let job = wait_job(&api, &ann, job["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let (_, c) = api.get(&format!("/api/chains/{chain}"), Some(&ann)).await;
        assert_eq!(c["status"], "deleted");
        assert!(c["detail"].as_str().unwrap().contains("archive"), "{c}");
        let (s, v) = api.get(&format!("/api/chains/{chain}/nodes"), Some(&ann)).await;
        assert_problem(s, &v, StatusCode::CONFLICT, "deleted");
    }
    for pid in all_pids {
        assert!(!weft_provision::local::alive(pid), "pid {pid} still runs after its chain was deleted");
    }
    assert_eq!(std::fs::read_dir(dir.path().join("archive")).unwrap().count(), 2);
    let (_, report) = api.get(&format!("/api/tenants/{acme}/quota"), Some(&ann)).await;
    assert_eq!(report["usage"]["nodes"], 0, "{report}");
    server.stop().await.unwrap();
}

/// Every org's CA, admin and client key is sealed with the master key and
/// owner-only; each node's own key is owner-only (the node reads it).
/// Issue #23: the chain's material (manifest, org certificates and keys)
/// is in the BaaS's database, org keys sealed; the runtime's directory for
/// the chain holds only node homes, and a home holds no private key but
/// its node's own (owner-only).
async fn material_kept_apart(server: &weft_baas::Server, chain: &str, chain_dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let files = server.material.files(chain).await.unwrap();
    let manifest = server.material.manifest(chain).await.unwrap();
    for org in &manifest.orgs {
        for rel in org.private_keys() {
            let text = String::from_utf8(files[rel.as_path()].clone()).unwrap();
            assert!(
                text.contains("BEGIN WEFT SEALED PRIVATE KEY") && !text.contains("BEGIN PRIVATE KEY"),
                "{}",
                rel.display()
            );
        }
    }
    let left: Vec<_> = std::fs::read_dir(chain_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["nodes"], "only node homes beside the nodes");
    for node in &manifest.nodes {
        let home = chain_dir.join("nodes").join(&node.id);
        assert_eq!(std::fs::metadata(home.join("key.pem")).unwrap().permissions().mode() & 0o777, 0o600, "{}", node.id);
        let keys = weft_provision::read_tree(&home, &|rel| !rel.starts_with("data")).unwrap();
        let private: Vec<_> =
            keys.iter().filter(|(_, b)| String::from_utf8_lossy(b).contains("PRIVATE KEY")).map(|(p, _)| p).collect();
        assert_eq!(private, [std::path::Path::new("key.pem")], "{}: only its own key", node.id);
    }
}

fn read_asset() -> Value {
    json!({"function": "ReadAsset", "args": ["asset1"]})
}

/// Deploy and upgrade asset-transfer, transact through REST, and receive
/// its events as server-sent events.
/// A small kv workload the BaaS runs against the raft chain: one at a time,
/// the job's steps follow the rounds, the report (with the ceiling) is kept
/// as JSON and as a page, and the tenant's members can read it.
async fn benchmarks(api: &Api, ann: &str, max: &str, chain: &str) {
    let path = format!("/api/chains/{chain}/benchmarks");
    let (s, v) = api.post(&path, Some(ann), json!({"workload": "nope"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "asset-transfer, kv, notary");
    let huge = "name = 'w'\ncontract = 'kv'\n[[rounds]]\nlabel = 'r'\nfunction = 'get'\nduration_secs = 3600\n\
                rate = { kind = 'fixed-rate', tps = 1 }";
    let (s, v) = api.post(&path, Some(ann), json!({"workload_toml": huge})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "seconds per round");
    let small = "name = 'kv-small'\ncontract = 'kv'\ndeploy = 'kv'\n\
                 [[rounds]]\nlabel = 'put'\nfunction = 'put'\nargs = ['b-{run}-{i}', 'v']\ntxs = 30\nworkers = 2\n\
                 rate = { kind = 'fixed-backlog', unfinished = 8 }\n\
                 [[rounds]]\nlabel = 'get'\nfunction = 'get'\nargs = ['b-{run}-{i}']\nkind = 'evaluate'\ntxs = 20\n\
                 rate = { kind = 'fixed-rate', tps = 50 }";
    let (s, v) = api.post(&path, Some(ann), json!({"workload_toml": small})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let id = v["benchmark"]["id"].as_str().unwrap().to_string();
    let job = v["job"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["benchmark"]["status"], "running");
    // The ceiling alone takes seconds: a second one now finds it running.
    let (s, v) = api.post(&path, Some(ann), json!({"workload": "kv"})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, &id);
    let done = wait_job(api, ann, &job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(done["steps"][1]["detail"].as_str().unwrap().contains("put"), "{done}");

    let (s, b) = api.get(&format!("{path}/{id}"), Some(max)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!((b["status"].clone(), b["workload"].clone()), (json!("succeeded"), json!("kv-small")), "{b}");
    let rounds = b["report"]["rounds"].as_array().unwrap();
    let put = &rounds[0]["outcome"];
    assert_eq!((put["succeeded"].as_u64(), put["failed"].as_u64()), (Some(30), Some(0)), "{put}");
    assert_eq!(rounds[1]["outcome"]["succeeded"].as_u64(), Some(20), "{b}");
    assert!(b["report"]["ceiling"]["tx_per_sec"].as_f64().unwrap() > 0.0, "{b}");
    assert_eq!(b["report"]["ceiling"]["shape"]["nodes"].as_u64(), Some(3), "raft-3's nodes run here: {b}");
    let (_, list) = api.get(&path, Some(max)).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], id.as_str());

    let page = api.http.get(format!("{}{path}/{id}/report.html", api.base)).bearer_auth(max).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = page.text().await.unwrap();
    assert!(page.contains("kv-small") && page.contains("<svg") && page.contains("Ceiling"), "{page}");
    let (s, v) = api.get(&format!("{path}/nope"), Some(max)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "no benchmark");
}

async fn contracts_and_rest_gateway(api: &Api, ann: &str, max: &str, gus: &str, chain: &str) {
    let wasm = weft_contract_wasm::ASSET_TRANSFER.to_vec();
    let deploy = format!("/api/chains/{chain}/contracts/asset-transfer?version=1.0");
    let (s, v) = put_wasm(api, ann, &deploy, "application/octet-stream", wasm.clone()).await;
    assert_problem(s, &v, StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/wasm");
    let (s, v) = put_wasm(api, ann, &deploy, "application/wasm", b"not wasm".to_vec()).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "WebAssembly");
    let (s, v) = put_wasm(api, max, &deploy, "application/wasm", wasm.clone()).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "admins");
    let (s, _) = put_wasm(api, gus, &deploy, "application/wasm", wasm.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = put_wasm(api, ann, &deploy, "application/wasm", wasm.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((v["action"].clone(), v["sequence"].clone()), (json!("deploy"), json!(1)), "{v}");

    // Follow its events before transacting.
    let events = api
        .http
        .get(format!("{}/api/chains/{chain}/contracts/asset-transfer/events", api.base))
        .bearer_auth(max)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    assert!(events.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));

    let submit = format!("/api/chains/{chain}/contracts/asset-transfer/submit");
    let evaluate = format!("/api/chains/{chain}/contracts/asset-transfer/evaluate");
    let create = json!({"function": "CreateAsset", "args": ["asset1", "blue", "5", "Tom", "100"]});
    let (s, v) = api.post(&submit, Some(max), create.clone()).await;
    assert_eq!(s, StatusCode::OK, "a tenant member submits: {v}");
    assert_eq!(v["code"], "VALID", "{v}");
    let tx_id = v["tx_id"].as_str().unwrap().to_string();
    let tx_block = v["block"].as_u64().unwrap();
    assert!(tx_block > 0);
    let (s, v) = api.post(&evaluate, Some(max), read_asset()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let asset: Value = serde_json::from_str(v["result"].as_str().unwrap()).unwrap();
    assert_eq!(asset["Owner"], "Tom");
    personal_identities(api, ann, max, chain, (tx_block, &tx_id), &submit).await;

    let event = next_sse_event(events).await;
    assert!(event.contains("event: contract"), "{event}");
    assert!(event.contains(&tx_id) && event.contains("CreateAsset"), "{event}");

    // Bad calls: a contract error, a duplicate, no such chain for another tenant.
    let (s, v) = api.post(&submit, Some(max), json!({"function": "CreateAsset", "args": ["a2", "red"]})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "CreateAsset");
    let (s, v) = api.post(&submit, Some(max), json!({"function": ""})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "function");
    let (s, v) = api.post(&submit, Some(gus), create).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "no chain");
    let (s, v) = api.post(&evaluate, None, read_asset()).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "bearer");

    // Upgrade to a new version: the next sequence, state kept.
    let upgrade = format!("/api/chains/{chain}/contracts/asset-transfer?version=1.1");
    let (s, v) = put_wasm(api, ann, &upgrade, "application/wasm", wasm).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["action"].clone(), v["sequence"].clone()), (json!("upgrade"), json!(2)), "{v}");
    let (s, list) = api.get(&format!("/api/chains/{chain}/contracts"), Some(max)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let listed = list.as_array().unwrap().iter().find(|c| c["name"] == "asset-transfer").unwrap();
    assert_eq!((listed["version"].clone(), listed["sequence"].clone()), (json!("1.1"), json!(2)));
    assert_eq!(api.post(&evaluate, Some(max), read_asset()).await.0, StatusCode::OK);
}

/// Who signed transaction `tx_id` (the creator's certificate name), as
/// the chain's explorer reads it from the block.
async fn creator_of(api: &Api, token: &str, chain: &str, block: u64, tx_id: &str) -> String {
    let (s, v) = api.get(&format!("/api/chains/{chain}/blocks/{block}"), Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let tx = v["transactions"].as_array().unwrap().iter().find(|t| t["tx_id"] == tx_id).expect("the tx in its block");
    tx["creator"].as_str().unwrap().to_string()
}

/// Every person's transactions through the REST gateway are signed by
/// their own chain user, enrolled on first use — never a shared org
/// client (#25, 12). Revoking it ends that identity; the next transaction
/// enrolls a fresh one.
async fn personal_identities(api: &Api, ann: &str, max: &str, chain: &str, max_tx: (u64, &str), submit: &str) {
    assert_eq!(creator_of(api, ann, chain, max_tx.0, max_tx.1).await, "max@acme");
    let (s, v) = api
        .post(submit, Some(ann), json!({"function": "CreateAsset", "args": ["asset-ann", "red", "1", "Ann", "1"]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ann_tx = (v["tx_id"].as_str().unwrap().to_string(), v["block"].as_u64().unwrap());
    assert_eq!(creator_of(api, ann, chain, ann_tx.1, &ann_tx.0).await, "ann@acme");
    let (_, me) = api.get("/api/me", Some(max)).await;
    let (_, users) = api.get(&format!("/api/chains/{chain}/users"), Some(ann)).await;
    let mine: Vec<&Value> = users.as_array().unwrap().iter().filter(|u| u["person_id"] == me["id"]).collect();
    assert_eq!(mine.len(), 1, "one identity for max, however many calls: {users}");
    assert_eq!((mine[0]["name"].clone(), mine[0]["custody"].clone()), (json!("max@acme"), json!("kept")));
    let (s, v) = api
        .post(&format!("/api/chains/{chain}/users/{}/revoke", mine[0]["id"].as_str().unwrap()), Some(ann), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api
        .post(submit, Some(max), json!({"function": "CreateAsset", "args": ["asset-max", "red", "1", "Max", "1"]}))
        .await;
    assert_eq!(s, StatusCode::OK, "a fresh identity after the revocation: {v}");
    assert_eq!(
        creator_of(api, ann, chain, v["block"].as_u64().unwrap(), v["tx_id"].as_str().unwrap()).await,
        "max@acme"
    );
    let (_, users) = api.get(&format!("/api/chains/{chain}/users"), Some(ann)).await;
    let live = users.as_array().unwrap().iter().filter(|u| u["person_id"] == me["id"] && u["revoked_at"].is_null());
    assert_eq!(live.count(), 1, "{users}");
}

/// The first complete server-sent event with data (skipping keep-alives).
async fn next_sse_event(mut resp: reqwest::Response) -> String {
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let chunk = tokio::time::timeout(Duration::from_secs(30), resp.chunk()).await.expect("an event in 30 s");
        let Some(chunk) = chunk.unwrap() else { break };
        text.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(end) = text.find("\n\n") {
            let event = text[..end].to_string();
            if event.contains("data:") {
                return event;
            }
            text.drain(..end + 2);
        }
    }
    panic!("no event; got {text:?}");
}

/// A gateway straight to `org`'s first peer as `cert_pem`/`key_pem`,
/// bypassing the BaaS: what the chain itself thinks of the identity.
fn direct_gateway(material: &weft_provision::Tree, org: &str, cert_pem: &str, key_pem: &str) -> weft_sdk::Gateway {
    let text = |rel: &std::path::Path| String::from_utf8(material[rel].clone()).unwrap();
    let manifest =
        weft_provision::Manifest::parse(&text(std::path::Path::new("network.toml")), "network.toml".as_ref()).unwrap();
    let pems: Vec<String> = manifest.orgs.iter().map(|o| text(&o.ca_certificate)).collect();
    let peer = manifest.nodes.iter().find(|n| n.org == org).unwrap().grpc.clone();
    let client = weft_sdk::ClientIdentity {
        identity: weft_proto::SerializedIdentity {
            org_id: org.into(),
            certificate_der: pem::parse(cert_pem).unwrap().into_contents(),
        },
        key: weft_identity::SigningKeyPair::from_pkcs8_pem(key_pem).unwrap(),
    };
    weft_sdk::Gateway::connect(client, &manifest.channel, &[peer], &weft_sdk::TrustRoots::from_pems(&pems)).unwrap()
}

/// Enroll chain users (key handed out, key kept), bind an API token to
/// one, transact as it, revoke both: the chain itself refuses the revoked
/// certificate, and the bound token stops transacting.
async fn chain_users(api: &Api, ann: &str, max: &str, gus: &str, chain: &str, material: &weft_provision::Tree) {
    let users = format!("/api/chains/{chain}/users");
    let (s, v) = api.post(&users, Some(max), json!({"name": "x"})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "admins");
    assert_eq!(api.post(&users, Some(gus), json!({"name": "x"})).await.0, StatusCode::NOT_FOUND);
    let (s, v) = api.post(&users, Some(ann), json!({"name": "x", "custody": "paper"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "custody");
    let (s, v) = api.post(&users, Some(ann), json!({"name": "x", "org": "Org9"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "Org9");

    // Custody "download": the key comes once, the chain accepts the identity.
    let (s, carol) = api.post(&users, Some(ann), json!({"name": "carol", "org": "Org1", "custody": "download"})).await;
    assert_eq!(s, StatusCode::CREATED, "{carol}");
    let key_pem = carol["private_key_pem"].as_str().expect("the key, once").to_string();
    let cert_pem = carol["user"]["certificate_pem"].as_str().unwrap().to_string();
    let read = weft_sdk::Call::new("asset-transfer", "ReadAsset", &[b"asset1"]);
    let direct = direct_gateway(material, "Org1", &cert_pem, &key_pem);
    direct.evaluate(&read).await.expect("the chain accepts a freshly enrolled identity");

    // Custody "kept": an API token bound to it transacts as it.
    let (s, app) = api.post(&users, Some(ann), json!({"name": "app1", "org": "Org2"})).await;
    assert_eq!(s, StatusCode::CREATED, "{app}");
    assert!(app["private_key_pem"].is_null(), "{app}");
    assert_eq!(app["user"]["custody"], "kept");
    let app_id = app["user"]["id"].as_str().unwrap().to_string();
    let carol_id = carol["user"]["id"].as_str().unwrap().to_string();
    let (s, v) = api.post(&format!("{users}/{carol_id}/tokens"), Some(ann), json!({"name": "t"})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "download");
    let (s, bound) = api.post(&format!("{users}/{app_id}/tokens"), Some(ann), json!({"name": "shop"})).await;
    assert_eq!(s, StatusCode::CREATED, "{bound}");
    let token = bound["token"].as_str().unwrap().to_string();
    let submit = format!("/api/chains/{chain}/contracts/asset-transfer/submit");
    let (s, v) = api
        .post(&submit, Some(&token), json!({"function": "CreateAsset", "args": ["asset9", "red", "1", "App", "9"]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(bound["expires_at"].as_i64().unwrap() > 0, "a bound token expires too: {bound}");
    // An application's token transacts; it manages nothing, and cannot mint
    // an unbound token with its issuer's role (the escalation of #25).
    let (s, v) = api.post("/api/tokens", Some(&token), json!({"name": "escalate"})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "bound to a chain user");
    let (s, v) = api.delete(&format!("/api/chains/{chain}"), Some(&token)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "bound to a chain user");
    let (s, v) = api.post(&users, Some(&token), json!({"name": "y"})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "bound to a chain user");
    let (_, me) = api.get("/api/me", Some(ann)).await;
    bound_token_matrix(api, &token, me["tenant_id"].as_str().unwrap(), chain).await;
    let (_, listed) = api.get(&users, Some(max)).await;
    let by_hand = listed.as_array().unwrap().iter().filter(|u| u["person_id"].is_null());
    assert_eq!(by_hand.count(), 2, "{listed}");

    // Revoke both: the org CRLs go on the chain.
    let (s, v) = api.post(&format!("{users}/{carol_id}/revoke"), Some(max), json!({})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "admins");
    let (s, v) = api.post(&format!("{users}/{carol_id}/revoke"), Some(ann), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["config_sequence"].as_u64().unwrap() >= 1 && v["user"]["revoked_at"].is_i64(), "{v}");
    let err = direct.evaluate(&read).await.expect_err("the chain refuses a revoked certificate");
    assert!(err.to_string().contains("revoked"), "{err}");
    let (s, v) = api.post(&format!("{users}/{carol_id}/revoke"), Some(ann), json!({})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "already");
    let (s, v) = api.post(&format!("{users}/{app_id}/revoke"), Some(ann), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The revoked user's token is dead everywhere, before any gateway work.
    let (s, v) = api.post(&submit, Some(&token), json!({"function": "ReadAsset", "args": ["asset9"]})).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "revoked");
}

/// One operation of the OpenAPI document, made concrete for a tenant,
/// chain, node and job, with a well-formed body.
struct Operation {
    method: reqwest::Method,
    /// As the document names it: /api/chains/{chain}/…
    path: String,
    url: String,
    body: Vec<u8>,
    ctype: &'static str,
}

impl Operation {
    async fn call(&self, api: &Api, token: Option<&str>) -> reqwest::Response {
        let mut req = api.http.request(self.method.clone(), &self.url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.header("content-type", self.ctype).body(self.body.clone()).send().await.unwrap()
    }

    fn what(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Every operation in the document but the public ones, so a new route
/// cannot be missed by a matrix built on it.
async fn operations(api: &Api, tenant: &str, chain: &str, node: &str, job: &str) -> Vec<Operation> {
    let (_, doc) = api.get("/api/openapi.json", None).await;
    let public = ["/api/health", "/api/openapi.json", "/api/auth/login"];
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if public.contains(&path.as_str()) {
            continue;
        }
        for (method, _) in item.as_object().unwrap() {
            let concrete = path
                .replace("{tenant}", tenant)
                .replace("{chain}", chain)
                .replace("{node}", node)
                .replace("{job}", job)
                .replace("{name}", "asset-transfer")
                .replace("{user}", "0000000000000000")
                .replace("{token}", "0000000000000000")
                .replace("{webhook}", "0000000000000000")
                .replace("{number}", "0")
                .replace("{channel}", "weft")
                .replace("{month}", "2026-01");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (body, ctype, query) = body_for(&m, path, tenant);
            let url = format!("{}{concrete}{query}", api.base);
            out.push(Operation { method: m, path: path.clone(), url, body, ctype });
        }
    }
    out
}

/// Every operation: without a token or with an unknown one, 401; as
/// another tenant's admin, 404 for anything naming this tenant, its chain
/// or its job (no telling it exists); as a tenant member, 403 for every
/// change to the chain.
async fn authorization_matrix(api: &Api, member: &str, other: &str, tenant: &str, chain: &str, node: &str, job: &str) {
    let ops = operations(api, tenant, chain, node, job).await;
    for op in &ops {
        let what = op.what();
        assert_eq!(op.call(api, None).await.status(), StatusCode::UNAUTHORIZED, "{what} without a token");
        assert_eq!(op.call(api, Some("wft_nope")).await.status(), StatusCode::UNAUTHORIZED, "{what}");
        let scoped = ["{tenant}", "{chain}", "{job}"].iter().any(|p| op.path.contains(p));
        if scoped {
            let r = op.call(api, Some(other)).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{what} as another tenant's admin: {:?}", r.text().await);
        }
        let reads_or_transacts =
            op.method == reqwest::Method::GET || op.path.ends_with("/submit") || op.path.ends_with("/evaluate");
        if op.path.contains("{chain}") && !reads_or_transacts {
            let r = op.call(api, Some(member)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what} as a tenant member: {:?}", r.text().await);
        }
    }
    assert!(ops.len() >= 35, "only {} operations in the document", ops.len());
}

/// Issue #25 (1): an application's token bound to a chain user may
/// evaluate, submit and follow events on its own chain and call nothing
/// else — not its issuer's routes (minting an unbound token with the
/// issuer's role was the escalation), not the tenant's records. Each
/// operation answers 403 naming the binding.
async fn bound_token_matrix(api: &Api, bound: &str, tenant: &str, chain: &str) {
    let allowed = ["/evaluate", "/submit", "/events"];
    let ops = operations(api, tenant, chain, "node0.org1", "0000000000000000").await;
    for op in ops.iter().filter(|op| !(op.path.contains("{chain}") && allowed.iter().any(|a| op.path.ends_with(a)))) {
        let r = op.call(api, Some(bound)).await;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::FORBIDDEN, "{} with a bound token: {body}", op.what());
        assert!(body["detail"].as_str().unwrap_or("").contains("bound to a chain user"), "{}: {body}", op.what());
    }
    // Its own chain's contracts, but through another chain's path: refused.
    let elsewhere = "/api/chains/0000000000000000/contracts/asset-transfer/evaluate";
    let (s, v) = api.post(elsewhere, Some(bound), json!({"function": "ReadAsset", "args": ["a"]})).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "bound to a chain user");
}

/// A well-formed request body for an operation, so that what answers is
/// the authorization check, not body validation.
fn body_for(m: &reqwest::Method, path: &str, tenant: &str) -> (Vec<u8>, &'static str, &'static str) {
    let json = |v: Value| (serde_json::to_vec(&v).unwrap(), "application/json", "");
    if m == reqwest::Method::PUT && path.ends_with("/contracts/{name}") {
        return (weft_contract_wasm::ASSET_TRANSFER.to_vec(), "application/wasm", "?version=9.9");
    }
    match path {
        "/api/chains/{chain}/transactions" => (Vec::new(), "application/json", "?from_ms=0"),
        "/api/chains" => json(json!({"name": "m", "template": "solo-1", "tenant_id": tenant})),
        "/api/chains/{chain}/nodes" => json(json!({"org": "Org1", "roles": ["peer"]})),
        "/api/chains/{chain}/orgs" => json(json!({"org": "OrgM"})),
        "/api/chains/{chain}/channels" => json(json!({"name": "m", "orgs": ["Org1"]})),
        "/api/chains/{chain}/channels/{channel}/orgs" => json(json!({"org": "Org2"})),
        "/api/chains/{chain}/users" => json(json!({"name": "m"})),
        "/api/chains/{chain}/benchmarks" => json(json!({"workload": "kv"})),
        "/api/chains/{chain}/upgrade" => json(json!({"build": "bundled"})),
        "/api/chains/{chain}/restore" => json(json!({"backup": "m"})),
        "/api/chains/{chain}/backup-schedule" => json(json!({"every_minutes": 60, "keep": 1})),
        "/api/chains/{chain}/config" => json(json!({"max_message_count": 10})),
        "/api/node-builds" => json(json!({"version": "m", "path": "/bin/true"})),
        "/api/tenants/{tenant}/plan" => json(json!({"plan": "standard"})),
        "/api/plans/{name}" => json(json!({"currency": "USD", "cpu_hour_micros": 1, "memory_gb_hour_micros": 1,
            "storage_gb_hour_micros": 1, "per_1000_tx_micros": 1, "monthly_base_micros": 0})),
        "/api/chains/{chain}/users/{user}/tokens" | "/api/tokens" => json(json!({"name": "m"})),
        "/api/users/{user}/password" => json(json!({"new": "a long enough password"})),
        p if p.ends_with("/submit") || p.ends_with("/evaluate") => {
            json(json!({"function": "ReadAsset", "args": ["a"]}))
        }
        "/api/tenants/{tenant}/users" => {
            json(json!({"username": "mm1", "password": "a long enough password", "role": "tenant-member"}))
        }
        "/api/tenants/{tenant}/quota" => json(json!({"max_chains": 1, "max_nodes": 1, "max_cpu": 1.0,
            "max_memory_mb": 1, "max_disk_gb": 1})),
        _ => json(json!({})),
    }
}

/// A pbft-4 chain works like a raft one: created as a job, its nodes report
/// the primary and the backups, a contract deploys and a transaction
/// commits; its orderers are fixed, so adding or removing one is refused
/// up front with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pbft_chain_runs_and_keeps_its_orderers() {
    let dir = support::Scratch::new();
    let db = TestDb::preferred().await;
    let config = support::config(dir.path(), Some(ADMIN_PASSWORD), &db);
    let (_server, api, tokens) = server_with_tenant(config, "initech", &[("ann", "tenant-admin")]).await;
    let ann = tokens[0].clone();

    let (chain, job) = create_chain(&api, &ann, "bft", "pbft-4").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let list = nodes(&api, &ann, &chain).await;
    let mut roles: Vec<&str> = list.iter().map(|n| n["consensus"].as_str().unwrap()).collect();
    roles.sort();
    assert_eq!(roles, ["backup", "backup", "backup", "primary"], "{list:?}");

    let deploy = format!("/api/chains/{chain}/contracts/asset-transfer?version=1.0");
    let (s, v) = put_wasm(&api, &ann, &deploy, "application/wasm", weft_contract_wasm::ASSET_TRANSFER.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let submit = format!("/api/chains/{chain}/contracts/asset-transfer/submit");
    let create = json!({"function": "CreateAsset", "args": ["bft1", "blue", "5", "Tom", "100"]});
    let (s, v) = api.post(&submit, Some(&ann), create).await;
    assert_eq!((s, v["code"].clone()), (StatusCode::OK, json!("VALID")), "{v}");

    let add = format!("/api/chains/{chain}/nodes");
    let (s, v) = api.post(&add, Some(&ann), json!({"org": "Org2", "roles": ["peer", "orderer"]})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "orderers are fixed at genesis");
    let (s, v) = api.delete(&format!("/api/chains/{chain}/nodes/node0.org4"), Some(&ann)).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "orderers are fixed at genesis");
    assert_eq!(nodes(&api, &ann, &chain).await.len(), 4);
}

/// Issue #23 (2): a raft-3 chain gets two more channels, `first` of Org1
/// and Org2 and `second` of Org2 and Org3; their nodes are joined over
/// Admin. Org3's client reads the second channel's blocks and is refused
/// the first's, by Org1's peer (not a member) and by its own (not in it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_with_a_subset_of_the_orgs() {
    let dir = support::Scratch::new();
    let db = TestDb::preferred().await;
    let config = support::config(dir.path(), Some(ADMIN_PASSWORD), &db);
    let (server, api, tokens) = server_with_tenant(config, "initech", &[("ann", "tenant-admin")]).await;
    let ann = tokens[0].clone();
    let (chain, job) = create_chain(&api, &ann, "multi", "raft-3").await;
    assert_eq!(job["status"], "succeeded", "{job}");

    let channels = format!("/api/chains/{chain}/channels");
    let (s, v) = api.post(&channels, Some(&ann), json!({"name": "first", "orgs": ["Org1", "Org9"]})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "\"Org9\" is not an org of this chain");
    let (s, v) = api.post(&channels, Some(&ann), json!({"name": "weft", "orgs": ["Org1"]})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "has a channel weft already");
    for (name, orgs) in [("first", ["Org1", "Org2"]), ("second", ["Org3", "Org2"])] {
        let (s, v) = api.post(&channels, Some(&ann), json!({"name": name, "orgs": orgs})).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let job = wait_job(&api, &ann, v["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert!(job["steps"][1]["detail"].as_str().unwrap().contains("peer+orderer"), "{job}");
    }
    let (s, v) = api.get(&channels, Some(&ann)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let listed: Vec<(&str, Value)> =
        v.as_array().unwrap().iter().map(|c| (c["name"].as_str().unwrap(), c["orgs"].clone())).collect();
    assert_eq!(
        listed,
        [
            ("weft", json!(["Org1", "Org2", "Org3"])),
            ("first", json!(["Org1", "Org2"])),
            ("second", json!(["Org2", "Org3"]))
        ]
    );

    let (s, v) = api.get(&format!("/api/chains/{chain}/blocks?channel=second"), Some(&ann)).await;
    assert_eq!((s, v["height"].as_u64()), (StatusCode::OK, Some(1)), "the explorer reads a channel: {v}");
    assert_eq!(v["blocks"][0]["number"], 0, "{v}");
    let (s, v) = api.get(&format!("/api/chains/{chain}/blocks/0?channel=nope"), Some(&ann)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "no channel \"nope\"; its channels: weft, first, second");

    // A contract deployed on one channel is on that one only.
    let deploy = format!("/api/chains/{chain}/contracts/asset-transfer?version=1.0&channel=second");
    let (s, v) = put_wasm(&api, &ann, &deploy, "application/wasm", weft_contract_wasm::ASSET_TRANSFER.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let contracts = |channel: &str| format!("/api/chains/{chain}/contracts?channel={channel}");
    let (_, v) = api.get(&contracts("second"), Some(&ann)).await;
    assert_eq!(v[0]["name"], "asset-transfer", "{v}");
    assert_eq!(api.get(&contracts("first"), Some(&ann)).await.1, json!([]));

    // The REST gateway on a channel signs as a member org's chain user
    // (Org1, the chain's first org, is none of second's).
    let gateway = |verb: &str| format!("/api/chains/{chain}/contracts/asset-transfer/{verb}");
    let create =
        json!({"function": "CreateAsset", "args": ["on-second", "blue", "5", "Tom", "100"], "channel": "second"});
    let (s, v) = api.post(&gateway("submit"), Some(&ann), create).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::OK, Some("VALID")), "{v}");
    let read = |org: Option<&str>, channel: Option<&str>| json!({"function": "ReadAsset", "args": ["on-second"], "org": org, "channel": channel});
    let (s, v) = api.post(&gateway("evaluate"), Some(&ann), read(None, Some("second"))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["result"].as_str().unwrap().contains("Tom"), "{v}");
    let (s, v) = api.post(&gateway("evaluate"), Some(&ann), read(Some("Org1"), Some("second"))).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "Org1, whose chain user signs, is not a member of channel second");
    let (s, v) = api.post(&gateway("evaluate"), Some(&ann), read(None, None)).await;
    assert_ne!(s, StatusCode::OK, "the main channel has no such contract: {v}");

    let net = support::network(&server, &chain).await;
    let org3 = || net.client("Org3").unwrap();
    let first_block = |gateway: weft_sdk::Gateway| async move {
        let blocks = gateway.blocks(Some(0), Some(0)).await;
        match blocks {
            Err(e) => Err(e.to_string()),
            Ok(stream) => {
                let mut stream = Box::pin(stream);
                match tokio_stream::StreamExt::next(&mut stream).await {
                    Some(Ok(block)) => Ok(block),
                    Some(Err(e)) => Err(e.to_string()),
                    None => Err("no block".into()),
                }
            }
        }
    };
    let second = first_block(net.gateway_on("second", "Org3", org3()).unwrap()).await;
    assert_eq!(second.map(|b| b.header.unwrap().number), Ok(0), "Org3 reads its channel");
    let refused = first_block(net.gateway_on("first", "Org1", org3()).unwrap()).await.unwrap_err();
    assert!(refused.contains("identity rejected"), "{refused}");
    let refused = first_block(net.gateway_on("first", "Org3", org3()).unwrap()).await.unwrap_err();
    assert!(refused.contains("serves no channel \"first\""), "{refused}");
    let admin1 = net.client("Org1").unwrap();
    assert!(first_block(net.gateway_on("first", "Org1", admin1).unwrap()).await.is_ok(), "Org1 reads the first");

    // Org3 added to the first channel: a configuration update, then its
    // peer joins from the block that admitted it and a member's snapshot.
    let add = |channel: &str| format!("/api/chains/{chain}/channels/{channel}/orgs");
    let (s, v) = api.post(&add("weft"), Some(&ann), json!({"org": "Org3"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "main channel");
    let (s, v) = api.post(&add("first"), Some(&ann), json!({"org": "Org2"})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "Org2 is a member of first already");
    let (s, v) = api.post(&add("first"), Some(&ann), json!({"org": "Org3"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = wait_job(&api, &ann, v["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["steps"][1]["detail"].as_str().unwrap().contains("node0.org3"), "{job}");
    let (_, v) = api.get(&channels, Some(&ann)).await;
    assert_eq!(v[1]["orgs"], json!(["Org1", "Org2", "Org3"]), "{v}");
    let second = first_block(net.gateway_on("first", "Org1", org3()).unwrap()).await;
    assert_eq!(second.map(|b| b.header.unwrap().number), Ok(0), "Org3 reads the first channel now");
    let height = net.channel_height("Org3", "first").await.unwrap();
    assert!(height >= 2, "Org3's peer serves the first channel past the update: {height}");

    // A peer added to Org3 later joins Org3's other channels too.
    let peer = json!({"org": "Org3", "roles": ["peer"]});
    let (s, v) = api.post(&format!("/api/chains/{chain}/nodes"), Some(&ann), peer).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = wait_job(&api, &ann, v["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["steps"][4]["detail"], "joined first, second from a snapshot", "{job}");
    let net = support::network(&server, &chain).await;
    let added = net.manifest().nodes.iter().find(|n| n.id == "node1.org3").expect("the new peer").clone();
    let served: Vec<String> = net.channels(&added).await.unwrap().into_iter().map(|c| c.channel_id).collect();
    assert_eq!(served, ["first", "second", "weft"]);

    // Removed again: out of every channel's configuration.
    let (s, v) = api.delete(&format!("/api/chains/{chain}/nodes/node1.org3"), Some(&ann)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = wait_job(&api, &ann, v["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(!job["steps"][0]["detail"].as_str().unwrap().contains("still in"), "{job}");
    let gateway = net.gateway_on("second", "Org2", net.admin("Org2").unwrap()).unwrap();
    let height = net.channel_height("Org2", "second").await.unwrap();
    let config = weft_sdk::config::current(&gateway, height).await.unwrap();
    assert!(!config.nodes.iter().any(|n| n.node_id == "node1.org3"), "{:?}", config.nodes);

    // An orderer added to Org2 later orders Org2's other channels too: each
    // admits it by a configuration update, and it joins over Admin from
    // that block, its state from a snapshot and its raft group the
    // channel's own.
    let orderer = json!({"org": "Org2", "roles": ["orderer"]});
    let (s, v) = api.post(&format!("/api/chains/{chain}/nodes"), Some(&ann), orderer).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = wait_job(&api, &ann, v["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["steps"][4]["detail"], "joined first, second from a snapshot", "{job}");
    let net = support::network(&server, &chain).await;
    let added = net.manifest().nodes.iter().find(|n| n.id == "node1.org2").expect("the new orderer").clone();
    let served = net.channels(&added).await.unwrap();
    let second = served.iter().find(|c| c.channel_id == "second").expect("it serves second");
    assert_eq!(second.roles, ["orderer"], "{served:?}");
    let create =
        json!({"function": "CreateAsset", "args": ["after-orderer", "blue", "5", "Tom", "100"], "channel": "second"});
    let submit = format!("/api/chains/{chain}/contracts/asset-transfer/submit");
    let (s, v) = api.post(&submit, Some(&ann), create).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::OK, Some("VALID")), "{v}");
    let block = v["block"].as_u64().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let listed = net.channels(&added).await.unwrap();
        let height = listed.iter().find(|c| c.channel_id == "second").map_or(0, |c| c.height);
        if height > block {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the new orderer stays at {height} on second, below {block}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
