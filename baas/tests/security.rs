//! Issue #25's BaaS holes, probed as an attacker would against a real
//! weft-baas on 127.0.0.1 (SQLite, or PostgreSQL under `make test`): API
//! tokens that expire, are listed and revoked; a password change or reset
//! that ends sessions; lockouts per username *and* source address that an
//! admin can lift; per-address login limits; webhooks that cannot reach
//! inside; absurd numbers refused by name instead of overflowing; and
//! templates and webhooks that can be deleted. (Bound tokens are probed
//! in chains.rs, which has a chain user to bind to.)

use std::net::IpAddr;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use weft_baas::Config;

mod support;
use support::{assert_problem, server_with_tenant, Api, TestDb, ADMIN_PASSWORD, PASSWORD};

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// An API client whose connections come from `source` (any 127.0.0.0/8
/// address is this machine's loopback), to act as another address.
fn from(api: &Api, source: &str) -> Api {
    let ip: IpAddr = source.parse().unwrap();
    Api { base: api.base.clone(), http: reqwest::Client::builder().local_address(ip).build().unwrap() }
}

/// The server's own database, for what no API shows (a token's expiry
/// reached, a template stored before today's rules).
async fn database(dir: &std::path::Path, db: &TestDb) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = db.url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.join("baas.db").display()));
    sqlx::AnyPool::connect(&url).await.unwrap()
}

#[tokio::test]
async fn tokens_expire_are_listed_and_revoked_and_passwords_end_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::preferred().await;
    let config = support::config(dir.path(), Some(ADMIN_PASSWORD), &db);
    let users = [("alice", "tenant-admin"), ("mel", "tenant-member")];
    let (server, api, tokens) = server_with_tenant(config, "acme", &users).await;
    let (alice, mel) = (tokens[0].clone(), tokens[1].clone());

    // Expiry: a default, a maximum, and nothing outside 1..=365 days.
    for days in [0, 366, -1] {
        let (s, v) = api.post("/api/tokens", Some(&alice), json!({"name": "ci", "expires_in_days": days})).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "expires_in_days");
    }
    let (s, ci) = api.post("/api/tokens", Some(&alice), json!({"name": "ci"})).await;
    assert_eq!(s, StatusCode::CREATED, "{ci}");
    let expires = ci["expires_at"].as_i64().unwrap();
    assert!((now() + 89 * 86_400..=now() + 91 * 86_400).contains(&expires), "90 days by default: {ci}");
    let (_, year) = api.post("/api/tokens", Some(&alice), json!({"name": "yearly", "expires_in_days": 365})).await;
    let ci_token = ci["token"].as_str().unwrap().to_string();
    let year_token = year["token"].as_str().unwrap().to_string();

    // Listing: her session (the current one) and both tokens, with when
    // each was last used; never the secrets, never someone else's.
    assert_eq!(api.get("/api/me", Some(&ci_token)).await.0, StatusCode::OK);
    let (s, listed) = api.get("/api/tokens", Some(&alice)).await;
    assert_eq!(s, StatusCode::OK, "{listed}");
    let list = listed.as_array().unwrap();
    assert_eq!(list.len(), 3, "{listed}");
    assert!(!listed.to_string().contains(&ci_token), "no secret in a listing");
    let by_name = |n: &str| list.iter().find(|t| t["name"] == n).unwrap().clone();
    assert_eq!(
        (by_name("login")["kind"].as_str(), by_name("login")["current"].as_bool()),
        (Some("session"), Some(true))
    );
    assert!(by_name("ci")["last_used_at"].as_i64().unwrap() >= now() - 60, "{listed}");
    assert!(by_name("yearly")["last_used_at"].is_null(), "{listed}");
    assert_eq!(by_name("ci")["id"], ci["id"]);
    let (_, mels) = api.get("/api/tokens", Some(&mel)).await;
    assert_eq!(mels.as_array().unwrap().len(), 1, "{mels}");

    // Revoking by id: only one's own; the token stops at once.
    let revoke = format!("/api/tokens/{}", ci["id"].as_str().unwrap());
    let (s, v) = api.delete(&revoke, Some(&mel)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "no token");
    assert_eq!(api.delete(&revoke, Some(&alice)).await.0, StatusCode::NO_CONTENT);
    let (s, v) = api.get("/api/me", Some(&ci_token)).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "not known");
    assert_eq!(api.delete(&revoke, Some(&alice)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.delete("/api/tokens/nothex!", Some(&alice)).await.0, StatusCode::NOT_FOUND);

    // An expired token is refused, saying so.
    let pool = database(dir.path(), &db).await;
    sqlx::query("UPDATE tokens SET expires_at = $1 WHERE name = 'yearly'")
        .bind(now() - 1)
        .execute(&pool)
        .await
        .unwrap();
    let (s, v) = api.get("/api/me", Some(&year_token)).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "expired");

    // A password change ends the user's other sessions, not this one nor
    // their API tokens.
    let other_session = api.login("mel@acme", PASSWORD).await;
    let (_, mel_api) = api.post("/api/tokens", Some(&mel), json!({"name": "mine"})).await;
    let mel_api = mel_api["token"].as_str().unwrap().to_string();
    let change = json!({"current": PASSWORD, "new": "another long password"});
    let (s, v) = api.post("/api/me/password", Some(&mel), change).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(api.get("/api/me", Some(&mel)).await.0, StatusCode::OK, "the session that changed it stays");
    assert_eq!(api.get("/api/me", Some(&mel_api)).await.0, StatusCode::OK, "API tokens stay");
    assert_eq!(api.get("/api/me", Some(&other_session)).await.0, StatusCode::UNAUTHORIZED, "others end");

    // An admin resets another user's password: all their tokens end. Only
    // for users they manage; their own goes through /api/me/password.
    let (_, me) = api.get("/api/me", Some(&mel)).await;
    let (mel_id, tenant) = (me["id"].as_str().unwrap().to_string(), me["tenant_id"].as_str().unwrap().to_string());
    let (_, alice_me) = api.get("/api/me", Some(&alice)).await;
    let reset = |id: &str| format!("/api/users/{id}/password");
    let (s, v) = api.post(&reset(alice_me["id"].as_str().unwrap()), Some(&mel), json!({"new": "x".repeat(12)})).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "no user");
    let (s, v) = api.post(&reset(alice_me["id"].as_str().unwrap()), Some(&alice), json!({"new": "x".repeat(12)})).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "/api/me/password");
    let (s, v) = api.post(&reset(&mel_id), Some(&alice), json!({"new": "short"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "new:");
    let (s, v) = api.post(&reset(&mel_id), Some(&alice), json!({"new": "a reset password!"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(api.get("/api/me", Some(&mel)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/api/me", Some(&mel_api)).await.0, StatusCode::UNAUTHORIZED);
    api.login("mel@acme", "a reset password!").await;

    // Another tenant's admin cannot reach this tenant's users.
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let (_, others) = api.tenant_with(&admin, "globex", &[("gus", "tenant-admin")], PASSWORD).await;
    let (s, v) = api.post(&format!("/api/users/{mel_id}/unlock"), Some(&others[0]), json!({})).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "no user");
    assert!(!tenant.is_empty());
    server.stop().await.unwrap();
}

/// A stranger's failed logins lock an account only for the stranger's
/// address (the owner signs in from theirs), an admin lifts a lockout, and
/// a username that could never exist is refused before anything is
/// stored or hashed.
#[tokio::test]
async fn lockouts_are_per_source_and_an_admin_lifts_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::preferred().await;
    let config = support::config(dir.path(), Some(ADMIN_PASSWORD), &db);
    let (server, api, tokens) = server_with_tenant(config, "acme", &[("alice", "tenant-admin")]).await;
    let stranger = from(&api, "127.0.0.2");
    for _ in 0..6 {
        stranger.post("/api/auth/login", None, json!({"username": "admin", "password": "guess"})).await;
    }
    let (s, v) = stranger.post("/api/auth/login", None, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    assert_problem(s, &v, StatusCode::TOO_MANY_REQUESTS, "from 127.0.0.2");
    // The owner, from another address, is not locked out.
    let admin = api.login("admin", ADMIN_PASSWORD).await;

    // Alice locks herself out from her own address; her admin lifts it.
    for _ in 0..5 {
        api.post("/api/auth/login", None, json!({"username": "alice@acme", "password": "forgotten"})).await;
    }
    let (s, v) = api.post("/api/auth/login", None, json!({"username": "alice@acme", "password": PASSWORD})).await;
    assert_problem(s, &v, StatusCode::TOO_MANY_REQUESTS, "an admin can unlock");
    let (_, users) =
        api.get(&format!("/api/tenants/{}/users", alice_tenant(&api, &tokens[0]).await), Some(&admin)).await;
    let alice_id = users[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.post(&format!("/api/users/{alice_id}/unlock"), Some(&admin), json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    api.login("alice@acme", PASSWORD).await;

    // Junk usernames: refused by shape, nothing stored.
    let junk = "x".repeat(10_000);
    let (s, v) = api.post("/api/auth/login", None, json!({"username": junk, "password": "p"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "username");
    let (s, v) = api.post("/api/auth/login", None, json!({"username": "a b", "password": "p"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "username");
    let (_, events) = api.get("/api/security/events", Some(&admin)).await;
    assert!(!events.to_string().contains("xxxxxxxxxx"), "a junk username was recorded: {events}");
    assert!(events.to_string().contains("from 127.0.0.2"), "events say where failures came from: {events}");
    server.stop().await.unwrap();
}

async fn alice_tenant(api: &Api, alice: &str) -> String {
    api.get("/api/me", Some(alice)).await.1["tenant_id"].as_str().unwrap().to_string()
}

/// Logins are limited per source address before any password is hashed.
#[tokio::test]
async fn logins_are_rate_limited_per_source_address() {
    let dir = tempfile::tempdir().unwrap();
    let login_rate = weft_baas::login_guard::LoginRate { burst: 3, every: Duration::from_secs(60) };
    let config = Config { login_rate, ..support::config(dir.path(), Some(ADMIN_PASSWORD), &TestDb::sqlite()) };
    let server = weft_baas::Server::start(config).await.unwrap();
    let api = Api::new(&server);
    let flood = from(&api, "127.0.0.3");
    for _ in 0..3 {
        let (s, _) = flood.post("/api/auth/login", None, json!({"username": "ghost", "password": "guess"})).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let resp = flood
        .http
        .post(format!("{}/api/auth/login", api.base))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let v: Value = resp.json().await.unwrap();
    assert!(v["detail"].as_str().unwrap().contains("too many logins from 127.0.0.3"), "{v}");
    api.login("admin", ADMIN_PASSWORD).await;
    server.stop().await.unwrap();
}

/// Webhooks cannot be pointed inside: loopback, private, link-local and
/// cloud-metadata addresses, names resolving to them, and URLs carrying
/// credentials are refused when registered; a receiver's redirect is not
/// followed (it could send the request anywhere). Templates and webhooks
/// can be deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_cannot_reach_inside_and_can_be_deleted() {
    use std::sync::{Arc, Mutex};
    // The inside: a receiver on 127.0.0.1 that must never be reached, and
    // an allowed receiver on 127.0.0.2 that redirects to it.
    let hits = Arc::new(Mutex::new(0));
    let inside = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let inside_url = format!("http://{}/admin", inside.local_addr().unwrap());
    let counted = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        async move {
            *counted.lock().unwrap() += 1;
            "secret"
        }
    });
    tokio::spawn(async move { axum::serve(inside, app).await });
    let outside = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let outside_url = format!("http://{}/hook", outside.local_addr().unwrap());
    let to = inside_url.clone();
    let redirector = axum::Router::new().fallback(move || {
        let to = to.clone();
        async move { (StatusCode::FOUND, [("location", to)], "") }
    });
    tokio::spawn(async move { axum::serve(outside, redirector).await });

    let dir = tempfile::tempdir().unwrap();
    let webhook_allow = vec!["127.0.0.2/32".parse().unwrap()];
    let config = Config { webhook_allow, ..support::config(dir.path(), Some(ADMIN_PASSWORD), &TestDb::sqlite()) };
    let (server, api, tokens) = server_with_tenant(config, "acme", &[("ann", "tenant-admin")]).await;
    let ann = &tokens[0];

    let port = inside_url.split(':').nth(2).unwrap().split('/').next().unwrap().to_string();
    let refused = [
        (inside_url.clone(), "loopback"),
        (format!("http://localhost:{port}/"), "loopback"),
        (format!("http://[::1]:{port}/"), "loopback"),
        (format!("http://2130706433:{port}/"), "loopback"),
        ("http://169.254.169.254/latest/meta-data/".to_string(), "link-local"),
        ("http://10.0.0.1/hook".to_string(), "private"),
        ("http://192.168.1.1/hook".to_string(), "private"),
        ("http://[fd00::1]/hook".to_string(), "private"),
        ("http://0.0.0.0:7080/".to_string(), "unspecified"),
        ("https://user:pw@hooks.example.com/x".to_string(), "credentials"),
    ];
    for (url, why) in refused {
        let (s, v) = api.post("/api/webhooks", Some(ann), json!({"url": url})).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, why);
    }

    // Allowed by the operator, but the receiver redirects inside: not followed.
    let (s, hook) = api.post("/api/webhooks", Some(ann), json!({"url": outside_url})).await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let id = hook["id"].as_str().unwrap().to_string();
    api.post(&format!("/api/webhooks/{id}/test"), Some(ann), json!({})).await;
    let deliveries = api
        .get_until(&format!("/api/webhooks/{id}/deliveries"), Some(ann), 30, "an attempt", |v| {
            v.as_array().unwrap().iter().any(|d| d["attempts"].as_i64() >= Some(1))
        })
        .await;
    let error = deliveries[0]["last_error"].as_str().unwrap();
    assert!(error.contains("302") && error.contains("redirects are not followed"), "{error}");
    assert_eq!(*hits.lock().unwrap(), 0, "the inside was reached");

    // Deleting a webhook: its deliveries go with it; another's is 404.
    assert_eq!(api.delete(&format!("/api/webhooks/{id}"), Some(ann)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.get("/api/webhooks", Some(ann)).await.1, json!([]));
    let (s, v) = api.delete(&format!("/api/webhooks/{id}"), Some(ann)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "no webhook");
    server.stop().await.unwrap();
}

/// Numbers no real network has are refused with the field named, before
/// any arithmetic: they overflowed (a panic per request) and a stored
/// template poisoned its tenant's list and chain creation for good.
#[tokio::test]
async fn absurd_numbers_are_refused_by_name_and_bad_templates_can_go() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::preferred().await;
    let config = support::config(dir.path(), Some(ADMIN_PASSWORD), &db);
    let users = [("ann", "tenant-admin"), ("max", "tenant-member")];
    let (server, api, tokens) = server_with_tenant(config, "acme", &users).await;
    let (ann, max) = (&tokens[0], &tokens[1]);
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let solo = include_str!("../../config/templates/solo-1.toml").replace("name = \"solo-1\"", "name = \"huge\"");

    let huge = [
        (solo.replace("memory_mb = 1024", "memory_mb = 18446744073709551615"), "memory_mb is more than"),
        (solo.replace("nodes = 1", "nodes = 4294967295"), "is more than"),
        (solo.replace("cpu = 1.0", "cpu = 1e308"), "cpu is more than"),
    ];
    for (toml, why) in huge {
        let (s, v) = api.post("/api/templates", Some(ann), json!({"toml": toml})).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, why);
    }
    let (s, v) = api.get("/api/chains/0000000000000000/certificates?within_days=9223372036854775806", Some(ann)).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "within_days");
    let tenant = alice_tenant(&api, ann).await;
    let quota = |field: &str, value: Value| {
        let mut q = json!({"max_chains": 1, "max_nodes": 1, "max_cpu": 1.0, "max_memory_mb": 1, "max_disk_gb": 1});
        q[field] = value;
        q
    };
    for (field, value) in [("max_nodes", json!(i64::MAX)), ("max_cpu", json!(1e300)), ("max_disk_gb", json!(-1))] {
        let (s, v) = api.put(&format!("/api/tenants/{tenant}/quota"), Some(&admin), quota(field, value)).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, field);
    }

    // A template stored before these rules (written to the database as an
    // older server would have) is left out of the list, not a failure of
    // it, and its owner deletes it.
    let pool = database(dir.path(), &db).await;
    let poisoned = solo.replace("memory_mb = 1024", "memory_mb = 18446744073709551615");
    sqlx::query("INSERT INTO templates (id, tenant_id, name, body, created_at) VALUES ('old', $1, 'huge', $2, 0)")
        .bind(&tenant)
        .bind(&poisoned)
        .execute(&pool)
        .await
        .unwrap();
    let (s, list) = api.get("/api/templates", Some(ann)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert!(!list.to_string().contains("\"huge\""), "{list}");
    let (s, v) = api.delete("/api/templates/huge", Some(max)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "tenant admin");
    assert_eq!(api.delete("/api/templates/huge", Some(ann)).await.0, StatusCode::NO_CONTENT);
    let (s, v) = api.delete("/api/templates/solo-1", Some(ann)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "built-in");
    let (s, v) = api.post("/api/chains", Some(ann), json!({"name": "c", "template": "huge"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "no template");
    server.stop().await.unwrap();
}

/// HTTPS by default: a certificate the server makes on its first start
/// (its key owner-only) and keeps; HSTS and the browser headers on every
/// answer; plain HTTP refused off loopback. axum's own errors are problem
/// JSON too.
#[tokio::test]
async fn the_server_speaks_https_and_plain_http_only_on_loopback() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let base = support::config(dir.path(), Some(ADMIN_PASSWORD), &TestDb::sqlite());
    let open = Config { listen: "0.0.0.0:0".parse().unwrap(), ..base.clone() };
    let why = weft_baas::Server::start(open).await.err().expect("plain HTTP on every address is refused").to_string();
    assert!(why.contains("loopback") && why.contains("--plain-http"), "{why}");

    let config = Config { tls: weft_baas::tls::Tls::SelfMade, ..base };
    let server = weft_baas::Server::start(config.clone()).await.unwrap();
    assert_eq!(server.scheme, "https");
    let (cert, key) = weft_baas::tls::self_made_paths(dir.path());
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let pem = std::fs::read(&cert).unwrap();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let port = server.addr.port();
    let resp = client.get(format!("https://127.0.0.1:{port}/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert!(h["strict-transport-security"].to_str().unwrap().starts_with("max-age="), "{h:?}");
    assert_eq!(
        (h["x-content-type-options"].to_str().unwrap(), h["x-frame-options"].to_str().unwrap()),
        ("nosniff", "DENY")
    );
    assert!(h["content-security-policy"].to_str().unwrap().contains("default-src 'self'"), "{h:?}");
    let resp = client.delete(format!("https://localhost:{port}/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let v: Value = resp.json().await.unwrap();
    assert!(v["detail"].as_str().unwrap().contains("does not take DELETE"), "{v}");
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/api/health")).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success(), "plain HTTP is not served on the TLS port");
    server.stop().await.unwrap();

    // The next start keeps the certificate clients were given.
    let server = weft_baas::Server::start(config).await.unwrap();
    assert_eq!(std::fs::read(&cert).unwrap(), pem);
    server.stop().await.unwrap();
}
