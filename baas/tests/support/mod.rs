//! Shared by the BaaS's HTTP tests: a real server on a free port and a
//! small client for its API.
#![allow(dead_code)] // each test binary uses part of it

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use weft_baas::{Config, Server};

pub const ADMIN_PASSWORD: &str = "first admin password";

pub async fn start(dir: &std::path::Path, admin_password: Option<&str>) -> Server {
    Server::start(config(dir, admin_password)).await.expect("server starts")
}

/// A server on a free port of 127.0.0.1 with its data in `dir`; the
/// database is WEFT_TEST_DATABASE_URL when set (CI's PostgreSQL), else
/// SQLite in `dir`. Nodes run the weft-node that cargo built.
pub fn config(dir: &std::path::Path, admin_password: Option<&str>) -> Config {
    Config {
        admin_password: admin_password.map(str::to_string),
        database_url: std::env::var("WEFT_TEST_DATABASE_URL").ok(),
        node_binary: Some(node_binary()),
        ..Config::new("127.0.0.1:0".parse().unwrap(), dir.to_path_buf())
    }
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
