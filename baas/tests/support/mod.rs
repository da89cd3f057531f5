//! Shared by the BaaS's HTTP tests: a real server on a free port and a
//! small client for its API.
#![allow(dead_code)] // each test binary uses part of it

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use weft_baas::{Config, Server};

pub const ADMIN_PASSWORD: &str = "first admin password";
pub const PASSWORD: &str = "a long enough password";

/// Which database a test's server uses.
#[derive(Debug, Clone)]
pub struct TestDb {
    /// None: SQLite in the server's data directory.
    pub url: Option<String>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        TestDb { url: None }
    }

    /// A new, empty database on the PostgreSQL server WEFT_TEST_DATABASE_URL
    /// names (`scripts/with-postgres.sh` starts one; `make test` uses it);
    /// None when there is none.
    pub async fn postgres() -> Option<TestDb> {
        use sqlx::Connection;
        let server = std::env::var("WEFT_TEST_DATABASE_URL").ok()?;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&server).await.expect("connect to WEFT_TEST_DATABASE_URL");
        let name = format!("weft_test_{:016x}", rand_u64());
        sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create a test database");
        let base = server.rsplit_once('/').map(|(b, _)| b).expect("URL with a database path");
        Some(TestDb { url: Some(format!("{base}/{name}")) })
    }

    /// PostgreSQL when there is one, else SQLite.
    pub async fn preferred() -> TestDb {
        TestDb::postgres().await.unwrap_or_else(TestDb::sqlite)
    }

    pub fn name(&self) -> &'static str {
        if self.url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish()
}

pub async fn start(dir: &std::path::Path, admin_password: Option<&str>, db: &TestDb) -> Server {
    Server::start(config(dir, admin_password, db)).await.expect("server starts")
}

/// A server on a free port of 127.0.0.1 with its data in `dir` and its
/// records in `db`. Nodes run the weft-node that cargo built.
pub fn config(dir: &std::path::Path, admin_password: Option<&str>, db: &TestDb) -> Config {
    Config {
        admin_password: admin_password.map(str::to_string),
        database_url: db.url.clone(),
        node_binary: Some(node_binary()),
        ..Config::new("127.0.0.1:0".parse().unwrap(), dir.to_path_buf())
    }
}

/// Loopback as networks webhooks may reach (`--webhook-allow`): where the
/// tests' receivers listen.
pub fn loopback() -> Vec<ipnet::IpNet> {
    vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]
}

/// target/debug/weft-node, built by `cargo build --workspace`.
pub fn node_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe.parent().and_then(|d| d.parent()).expect("target/debug").join("weft-node");
    assert!(
        bin.exists(),
        "{} not built; run `cargo build --workspace --all-targets` (or `make test`) first",
        bin.display()
    );
    bin
}

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(server: &Server) -> Api {
        Api { base: format!("http://{}", server.addr), http: reqwest::Client::new() }
    }

    /// (status, body as JSON or Null, content type)
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, String) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null), ctype)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let (s, v, _) = self.call(Method::GET, path, token, None).await;
        (s, v)
    }

    /// GETs `path` until `done` holds for the body (200 each time), for
    /// what the server does on its own clock (monitor rounds, rollups);
    /// fails saying `what` with the last body after `secs`.
    pub async fn get_until(
        &self,
        path: &str,
        token: Option<&str>,
        secs: u64,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let (s, body) = self.get(path, token).await;
            assert_eq!(s, StatusCode::OK, "{path}: {body}");
            if done(&body) {
                return body;
            }
            assert!(std::time::Instant::now() < deadline, "{what}, within {secs} s: {body}");
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let (s, v, _) = self.call(Method::DELETE, path, token, None).await;
        (s, v)
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let (s, v, _) = self.call(Method::PUT, path, token, Some(body)).await;
        (s, v)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let (s, v, _) = self.call(Method::POST, path, token, Some(body)).await;
        (s, v)
    }

    /// A new tenant (made by the platform admin `admin`) with `users`
    /// (username, role), all with `password`; returns the tenant id and
    /// each user's session token, in order.
    pub async fn tenant_with(
        &self,
        admin: &str,
        name: &str,
        users: &[(&str, &str)],
        password: &str,
    ) -> (String, Vec<String>) {
        let (s, tenant) = self.post("/api/tenants", Some(admin), json!({"name": name})).await;
        assert_eq!(s, StatusCode::CREATED, "{tenant}");
        let id = tenant["id"].as_str().unwrap().to_string();
        let mut tokens = Vec::new();
        for (username, role) in users {
            let user = json!({"username": username, "password": password, "role": role});
            let (s, v) = self.post(&format!("/api/tenants/{id}/users"), Some(admin), user).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            assert_eq!(v["username"], format!("{username}@{name}"), "a tenant's users sign in as name@tenant");
            tokens.push(self.login(v["username"].as_str().unwrap(), password).await);
        }
        (id, tokens)
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (s, v) = self.post("/api/auth/login", None, json!({"username": username, "password": password})).await;
        assert_eq!(s, StatusCode::OK, "login {username}: {v}");
        v["token"].as_str().unwrap().to_string()
    }
}

pub fn assert_problem(status: StatusCode, body: &Value, want: StatusCode, detail_has: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["status"], want.as_u16(), "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(detail_has), "detail {detail:?} should mention {detail_has:?}");
}

/// Kills, when dropped, every `weft-node` whose config lies under `dir`:
/// a test that fails half-way leaves no nodes running (the server, by
/// design, leaves them running when it stops).
pub struct NodeReaper(pub std::path::PathBuf);

impl Drop for NodeReaper {
    fn drop(&mut self) {
        let Ok(procs) = std::fs::read_dir("/proc") else { return };
        let dir = self.0.display().to_string();
        for p in procs.flatten() {
            let Ok(pid) = p.file_name().to_string_lossy().parse::<i32>() else { continue };
            let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            if cmdline.contains("weft-node") && cmdline.contains(&dir) {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

/// A test's data directory and the reaper of the nodes started in it, as
/// one value that the test keeps bound while its server runs. Dropped, it
/// kills those nodes first, then deletes the directory (fields drop in
/// declaration order), so nodes never run in a deleted directory, and a
/// test cannot keep one without the other.
pub struct Scratch {
    reaper: NodeReaper,
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        Scratch { reaper: NodeReaper(dir.path().to_path_buf()), dir }
    }

    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// A chain's network as `server` reaches it: from the material in its
/// database, org keys unsealed with its master key.
pub async fn network(server: &Server, chain: &str) -> weft_provision::network::NetworkDir {
    server.material.network(chain).await.unwrap()
}

/// The database of the server started with `config`.
pub async fn database(config: &Config) -> weft_baas::db::Db {
    let url = config.database_url.clone().unwrap_or_else(|| weft_baas::db::sqlite_url(&config.data_dir));
    weft_baas::db::open(&url).await.unwrap()
}

/// Polls the job until it finishes; returns its final record.
pub async fn wait_job(api: &Api, token: &str, job: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen_running = false;
    loop {
        let (s, v) = api.get(&format!("/api/jobs/{job}"), Some(token)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if v["status"] != "running" {
            return v;
        }
        seen_running = seen_running || v["steps"].as_array().unwrap().iter().any(|s| s["status"] == "running");
        assert!(Instant::now() < deadline, "job still running after 120 s: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn create_chain(api: &Api, token: &str, name: &str, template: &str) -> (String, Value) {
    let (s, v) = api.post("/api/chains", Some(token), json!({"name": name, "template": template})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["chain"]["status"], "creating", "{v}");
    let steps: Vec<&str> = v["job"]["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(steps, ["crypto", "genesis", "start nodes", "health"]);
    let id = v["chain"]["id"].as_str().unwrap().to_string();
    let job = wait_job(api, token, v["job"]["id"].as_str().unwrap()).await;
    (id, job)
}

pub async fn nodes(api: &Api, token: &str, chain: &str) -> Vec<Value> {
    let (s, v) = api.get(&format!("/api/chains/{chain}/nodes"), Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

pub fn pids(nodes: &[Value]) -> Vec<u32> {
    nodes.iter().filter_map(|n| n["pid"].as_u64()).map(|p| p as u32).collect()
}

/// PUTs a contract (or anything) with a content type.
pub async fn put_wasm(api: &Api, token: &str, path: &str, ctype: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let resp = api
        .http
        .put(format!("{}{path}", api.base))
        .bearer_auth(token)
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A server on `dir` with `config`'s settings and a tenant `name` whose
/// `users` (username, role) are signed in; their tokens in order.
pub async fn server_with_tenant(
    config: weft_baas::Config,
    name: &str,
    users: &[(&str, &str)],
) -> (weft_baas::Server, Api, Vec<String>) {
    let server = weft_baas::Server::start(config).await.expect("server starts");
    let api = Api::new(&server);
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let (_, tokens) = api.tenant_with(&admin, name, users, PASSWORD).await;
    (server, api, tokens)
}
