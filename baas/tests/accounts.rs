//! weft-baas as a client sees it: a real server on a free port of
//! 127.0.0.1, on SQLite in a temp dir and on PostgreSQL (when
//! WEFT_TEST_DATABASE_URL names a server, as under `make test`). Accounts,
//! tenants, the authorization matrix over these routes, problem JSON for bad
//! input, and every record surviving a restart.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use weft_baas::{Config, Server};

mod support;
use support::{assert_problem, start, Api, TestDb, ADMIN_PASSWORD};

/// (who, their token, method, path, body, expected status)
type Case<'a> = (&'a str, &'a str, Method, &'a str, Option<Value>, StatusCode);

#[tokio::test]
async fn accounts_on_sqlite() {
    accounts_tenants_and_who_may_do_what_survive_a_restart(TestDb::sqlite()).await;
}

#[tokio::test]
async fn accounts_on_postgres() {
    match TestDb::postgres().await {
        Some(db) => accounts_tenants_and_who_may_do_what_survive_a_restart(db).await,
        None => eprintln!("SKIPPED: no WEFT_TEST_DATABASE_URL (run under scripts/with-postgres.sh, as make test does)"),
    }
}

async fn accounts_tenants_and_who_may_do_what_survive_a_restart(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), Some(ADMIN_PASSWORD), &db).await;
    let api = Api::new(&server);

    // Open routes, and the document describing the rest.
    let (s, health) = api.get("/api/health", None).await;
    assert_eq!(s, StatusCode::OK, "{health}");
    assert_eq!((health["status"].as_str(), health["database"].as_str()), (Some("ok"), Some("ok")), "{health}");
    assert!(health["monitor"].as_str().unwrap().starts_with("ok: "), "the monitor loop goes round: {health}");
    let (s, doc) = api.get("/api/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["paths"]["/api/tenants/{tenant}/users"]["post"].is_object(), "{doc}");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let page = api.http.get(format!("{}/api/docs", api.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("fetch(\"/api/openapi.json\")"), "the page reads the document");

    // No token, a made-up token, a wrong password: 401 problem JSON.
    let (s, body, ctype) = api.call(Method::GET, "/api/tenants", None, None).await;
    assert_problem(s, &body, StatusCode::UNAUTHORIZED, "POST /api/auth/login");
    assert_eq!(ctype, "application/problem+json");
    let (s, body) = api.get("/api/me", Some("wft_0000")).await;
    assert_problem(s, &body, StatusCode::UNAUTHORIZED, "not known");
    let (s, body) = api.post("/api/auth/login", None, json!({"username": "admin", "password": "nope"})).await;
    assert_problem(s, &body, StatusCode::UNAUTHORIZED, "wrong username or password");

    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let (_, a) = api.post("/api/tenants", Some(&admin), json!({"name": "acme"})).await;
    let (_, b) = api.post("/api/tenants", Some(&admin), json!({"name": "globex"})).await;
    let (a, b) = (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string());
    let users_a = format!("/api/tenants/{a}/users");
    let users_b = format!("/api/tenants/{b}/users");
    for (path, name, role) in [
        (&users_a, "alice", "tenant-admin"),
        (&users_a, "mel", "tenant-member"),
        (&users_a, "audrey", "auditor"),
        (&users_b, "bob", "tenant-admin"),
    ] {
        let (s, v) =
            api.post(path, Some(&admin), json!({"username": name, "password": "a long password", "role": role})).await;
        assert_eq!(s, StatusCode::CREATED, "{name}: {v}");
    }
    let alice = api.login("alice@acme", "a long password").await;
    let mel = api.login("mel@acme", "a long password").await;
    let audrey = api.login("audrey@acme", "a long password").await;
    let bob = api.login("bob@globex", "a long password").await;

    // The matrix: (who, method, path, body, expected status).
    let new_user = |name: &str| json!({"username": name, "password": "a long password", "role": "tenant-member"});
    let tenant_a = format!("/api/tenants/{a}");
    let tenant_b = format!("/api/tenants/{b}");
    let cases: Vec<Case> = vec![
        ("alice", &alice, Method::POST, "/api/tenants", Some(json!({"name": "x"})), StatusCode::FORBIDDEN),
        ("alice", &alice, Method::GET, &tenant_a, None, StatusCode::OK),
        ("alice", &alice, Method::GET, &tenant_b, None, StatusCode::NOT_FOUND),
        ("alice", &alice, Method::GET, &users_b, None, StatusCode::NOT_FOUND),
        ("alice", &alice, Method::POST, &users_b, Some(new_user("eve1")), StatusCode::NOT_FOUND),
        ("alice", &alice, Method::POST, &users_a, Some(new_user("carol")), StatusCode::CREATED),
        ("mel", &mel, Method::GET, &tenant_a, None, StatusCode::OK),
        ("mel", &mel, Method::GET, &users_a, None, StatusCode::FORBIDDEN),
        ("mel", &mel, Method::POST, &users_a, Some(new_user("eve2")), StatusCode::FORBIDDEN),
        ("audrey", &audrey, Method::GET, &users_a, None, StatusCode::OK),
        ("audrey", &audrey, Method::POST, &users_a, Some(new_user("eve3")), StatusCode::FORBIDDEN),
        ("audrey", &audrey, Method::POST, "/api/tokens", Some(json!({"name": "x"})), StatusCode::FORBIDDEN),
        ("audrey", &audrey, Method::GET, &tenant_b, None, StatusCode::NOT_FOUND),
        ("bob", &bob, Method::GET, &users_a, None, StatusCode::NOT_FOUND),
        ("bob", &bob, Method::POST, &users_a, Some(new_user("eve4")), StatusCode::NOT_FOUND),
        ("admin", &admin, Method::GET, &users_b, None, StatusCode::OK),
    ];
    for (who, token, method, path, body, want) in cases {
        let (s, v, _) = api.call(method.clone(), path, Some(token), body).await;
        assert_eq!(s, want, "{who} {method} {path}: {v}");
        if !s.is_success() {
            assert_eq!(v["status"], s.as_u16(), "{who} {method} {path}: problem JSON expected, got {v}");
        }
    }
    let (_, listed) = api.get("/api/tenants", Some(&alice)).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "alice sees only her tenant: {listed}");
    let (_, listed) = api.get("/api/tenants", Some(&admin)).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // Bad input: 4xx problem JSON saying what to fix.
    let (s, v, _) = api.call(Method::POST, &users_a, Some(&alice), None).await;
    assert_problem(s, &v, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type: application/json");
    let raw = api
        .http
        .post(format!("{}{users_a}", api.base))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let v: Value = raw.json().await.unwrap();
    assert!(v["detail"].as_str().unwrap().contains("JSON body"), "{v}");
    let (s, v) = api
        .post(&users_a, Some(&alice), json!({"username": "dan", "password": "short", "role": "tenant-member"}))
        .await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "password: a password needs at least 12");
    let (s, v) = api
        .post(
            &users_a,
            Some(&alice),
            json!({"username": "dan", "password": "a long password", "role": "platform-admin"}),
        )
        .await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "role:");
    let (s, v) = api.post(&users_a, Some(&alice), new_user("carol")).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "\"carol@acme\" is taken");
    // Usernames are per tenant: another tenant's admin makes a "carol" of
    // their own and learns nothing of acme's (#25, 13d). Her sign-in name
    // says which tenant she is in.
    let (s, v) = api.post(&users_b, Some(&bob), new_user("carol")).await;
    assert_eq!((s, v["username"].clone()), (StatusCode::CREATED, json!("carol@globex")), "{v}");
    let (s, v) = api.post(&users_b, Some(&bob), new_user("mel@acme")).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "name@globex");
    let (s, v) = api.post(&users_b, Some(&bob), new_user("gil@globex")).await;
    assert_eq!((s, v["username"].clone()), (StatusCode::CREATED, json!("gil@globex")), "{v}");
    let (s, _) = api.post("/api/auth/login", None, json!({"username": "carol", "password": "a long password"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a tenant's user signs in as name@tenant");
    let (s, v) = api.post("/api/tenants", Some(&admin), json!({"name": "Not Valid"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "name:");
    let (s, v) = api.get("/api/no/such/route", Some(&admin)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "/api/openapi.json");

    // An API token acts as its user; logging out ends only the session.
    let (s, issued) = api.post("/api/tokens", Some(&alice), json!({"name": "ci"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let api_token = issued["token"].as_str().unwrap().to_string();
    assert_eq!(api.get("/api/me", Some(&api_token)).await.1["username"], "alice@acme");
    let (s, _, _) = api.call(Method::POST, "/api/auth/logout", Some(&alice), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(api.get("/api/me", Some(&alice)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/api/me", Some(&api_token)).await.0, StatusCode::OK);

    // Restart on the same data directory: everything is still there, and
    // no second admin is made.
    server.stop().await.unwrap();
    let server = start(dir.path(), None, &db).await;
    let api = Api::new(&server);
    assert_eq!(api.get("/api/me", Some(&api_token)).await.1["username"], "alice@acme");
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let (_, listed) = api.get("/api/tenants", Some(&admin)).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let (_, users) = api.get(&users_a, Some(&admin)).await;
    assert_eq!(users.as_array().unwrap().len(), 4, "{users}");
    let carol = api.login("carol@acme", "a long password").await;

    // Removing a person: their sessions end with them; only the tenant's
    // admins remove, and not themselves.
    let id_of = |name: &str| {
        users.as_array().unwrap().iter().find(|u| u["username"] == format!("{name}@acme")).unwrap()["id"].clone()
    };
    let (carol_id, alice_id) =
        (id_of("carol").as_str().unwrap().to_string(), id_of("alice").as_str().unwrap().to_string());
    let alice = api.login("alice@acme", "a long password").await;
    let (mel, bob) = (api.login("mel@acme", "a long password").await, api.login("bob@globex", "a long password").await);
    let remove = |who: &str| format!("{users_a}/{who}");
    let (s, v) = api.delete(&remove(&carol_id), Some(&mel)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "only a tenant admin");
    let (s, v) = api.delete(&remove(&carol_id), Some(&bob)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another tenant's admin does not see the tenant: {v}");
    let (s, v) = api.delete(&remove(&alice_id), Some(&alice)).await;
    assert_problem(s, &v, StatusCode::CONFLICT, "cannot remove yourself");
    let (s, v) = api.delete(&format!("/api/tenants/{b}/users/{carol_id}"), Some(&admin)).await;
    assert_problem(s, &v, StatusCode::NOT_FOUND, "has no user");
    assert_eq!(api.delete(&remove(&carol_id), Some(&alice)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.get("/api/me", Some(&carol)).await.0, StatusCode::UNAUTHORIZED, "her session ended");
    let (s, _) =
        api.post("/api/auth/login", None, json!({"username": "carol@acme", "password": "a long password"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, users) = api.get(&users_a, Some(&alice)).await;
    assert_eq!(users.as_array().unwrap().len(), 3, "{users}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_first_admin_gets_a_one_time_password_when_none_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), None, &TestDb::preferred().await).await;
    let api = Api::new(&server);
    // The password went to stdout only; a guess does not log in.
    let (s, _) = api.post("/api/auth/login", None, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    server.stop().await.unwrap();
    // A weak password in the environment is refused at start.
    let dir = tempfile::tempdir().unwrap();
    let err = Server::start(Config {
        admin_password: Some("short".into()),
        ..Config::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf())
    })
    .await
    .err()
    .expect("a weak first password is refused");
    assert!(format!("{err:#}").contains("WEFT_BAAS_ADMIN_PASSWORD"), "{err:#}");
}

#[tokio::test]
async fn audit_on_sqlite() {
    every_change_is_audited_and_tampering_is_found(TestDb::sqlite()).await;
}

#[tokio::test]
async fn audit_on_postgres() {
    match TestDb::postgres().await {
        Some(db) => every_change_is_audited_and_tampering_is_found(db).await,
        None => eprintln!("SKIPPED: no WEFT_TEST_DATABASE_URL (run under scripts/with-postgres.sh, as make test does)"),
    }
}

/// Every mutating call (accepted or refused) lands in the hash-chained audit
/// log; platform admins and auditors read it by time range (a tenant's
/// auditor only its tenant's); editing or deleting a row in the database
/// is found by /api/audit/verify at that row.
async fn every_change_is_audited_and_tampering_is_found(db: TestDb) {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), Some(ADMIN_PASSWORD), &db).await;
    let api = Api::new(&server);
    let started_ms = now_ms();
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let users = [("ann", "tenant-admin"), ("aud", "auditor"), ("max", "tenant-member")];
    let (tenant, tokens) = api.tenant_with(&admin, "umbrella", &users, "a long enough password").await;
    let (ann, aud, max) = (tokens[0].clone(), tokens[1].clone(), tokens[2].clone());
    let (s, _) = api.post("/api/auth/login", None, json!({"username": "ann@umbrella", "password": "wrong"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = api.post("/api/tokens", Some(&ann), json!({"name": "ci"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = api.post("/api/tenants", Some(&ann), json!({"name": "not-allowed"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    assert_problem_status(api.get("/api/audit", Some(&max)).await, StatusCode::FORBIDDEN);
    assert_problem_status(api.get("/api/audit/verify", Some(&ann)).await, StatusCode::FORBIDDEN);
    let (s, all) = api.get(&format!("/api/audit?from_ms={started_ms}"), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let all = all.as_array().unwrap().clone();
    let find = |action: &str, actor: &str, status: u64| {
        all.iter().any(|e| e["action"] == action && e["actor"] == actor && e["status"].as_u64() == Some(status))
    };
    assert!(find("POST /api/tenants", "admin", 201), "{all:?}");
    assert!(find("POST /api/tenants/{tenant}/users", "admin", 201), "{all:?}");
    assert!(find("POST /api/auth/login", "-", 401), "a failed login: {all:?}");
    assert!(find("POST /api/tokens", "ann@umbrella", 201), "{all:?}");
    assert!(find("POST /api/tenants", "ann@umbrella", 403), "a refused call too: {all:?}");
    assert!(all.iter().all(|e| !e["action"].as_str().unwrap().starts_with("GET")), "reads are not audited");
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");

    // A tenant's auditor: its tenant's entries only; a time range in the future: none.
    let (_, mine) = api.get("/api/audit", Some(&aud)).await;
    let mine = mine.as_array().unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|e| e["tenant_id"] == tenant.as_str()), "{mine:?}");
    let (_, later) = api.get(&format!("/api/audit?from_ms={}", now_ms() + 60_000), Some(&admin)).await;
    assert_eq!(later, json!([]));
    let (_, page) = api.get("/api/audit?after_seq=2&limit=2", Some(&admin)).await;
    let page: Vec<i64> = page.as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(page, [3, 4]);

    let (s, v) = api.get("/api/audit/verify", Some(&aud)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["first_tampered"], Value::Null, "{v}");
    let whole = v["entries"].as_i64().unwrap();
    assert!(whole >= all.len() as i64, "{v}");

    // Someone with the database's password edits a row, then deletes one.
    let url = db.url.clone().unwrap_or_else(|| weft_baas::db::sqlite_url(dir.path()));
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'nobody' WHERE seq = 4").execute(&mut conn).await.unwrap();
    let (_, v) = api.get("/api/audit/verify", Some(&admin)).await;
    assert_eq!(v["first_tampered"]["seq"], 4, "{v}");
    assert!(v["first_tampered"]["reason"].as_str().unwrap().contains("edited"), "{v}");
    assert_eq!(v["entries"], 3, "{v}");
    sqlx::query("DELETE FROM audit_log WHERE seq = 4").execute(&mut conn).await.unwrap();
    let (_, v) = api.get("/api/audit/verify", Some(&admin)).await;
    assert_eq!(v["first_tampered"]["seq"], 5, "{v}");
    assert!(v["first_tampered"]["reason"].as_str().unwrap().contains("deleted"), "{v}");
    server.stop().await.unwrap();
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn assert_problem_status((status, body): (StatusCode, Value), want: StatusCode) {
    assert_eq!(status, want, "{body}");
}

/// Five failed logins in a row lock an account (a known one or not: the
/// answers do not tell them apart), even the right password then gets 429
/// with Retry-After; a token over its request rate gets 429; platform
/// admins read both as security events.
#[tokio::test]
async fn failed_logins_lock_an_account_and_tokens_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let token_rate = weft_baas::security::RateLimit { per_sec: 2.0, burst: 4.0 };
    let server =
        Server::start(Config { token_rate, ..support::config(dir.path(), Some(ADMIN_PASSWORD), &db) }).await.unwrap();
    let api = Api::new(&server);
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let users = [("mal", "tenant-member"), ("eve", "tenant-member")];
    let (_, tokens) = api.tenant_with(&admin, "initrode", &users, "a long enough password").await;
    let mal = tokens[0].clone();

    for who in ["eve@initrode", "ghost@initrode"] {
        for _ in 0..5 {
            let (s, v) = api.post("/api/auth/login", None, json!({"username": who, "password": "wrong guess"})).await;
            assert_problem(s, &v, StatusCode::UNAUTHORIZED, "wrong username or password");
        }
        let resp = api
            .http
            .post(format!("{}/api/auth/login", api.base))
            .json(&json!({"username": who, "password": "a long enough password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "{who}");
        let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=30).contains(&retry), "{retry}");
        let v: Value = resp.json().await.unwrap();
        assert!(v["detail"].as_str().unwrap().contains("after 5 failed logins in a row"), "{v}");
    }

    // One token, many requests at once: past the burst, 429.
    let mut limited = None;
    for _ in 0..20 {
        let resp = api.http.get(format!("{}/api/me", api.base)).bearer_auth(&admin).send().await.unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(resp.headers()["retry-after"].to_str().unwrap().to_string());
            break;
        }
        assert_eq!(resp.status(), StatusCode::OK);
    }
    assert_eq!(limited.as_deref(), Some("1"), "the token was never limited");

    // A new session has a bucket of its own.
    let admin = api.login("admin", ADMIN_PASSWORD).await;
    let (s, events) = api.get("/api/security/events", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{events}");
    let count = |kind: &str, subject: &str| {
        events.as_array().unwrap().iter().filter(|e| e["kind"] == kind && e["subject"] == subject).count()
    };
    assert_eq!((count("failed-login", "eve@initrode"), count("lockout", "eve@initrode")), (5, 1), "{events}");
    assert_eq!(count("failed-login", "ghost@initrode"), 5, "{events}");
    assert!(events.as_array().unwrap().iter().any(|e| e["kind"] == "rate-limited"), "{events}");
    let (s, v) = api.get("/api/security/events", Some(&mal)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "platform admins");
    server.stop().await.unwrap();
}
