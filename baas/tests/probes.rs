//! `scripts/security-probes.py` — what an operator runs against their own
//! server — run against a real weft-baas with real nodes: it must find no
//! hole (issue #25's must-show).

mod support;
use support::{start, Scratch, TestDb, ADMIN_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_probes_find_no_hole() {
    let dir = Scratch::new();
    let server = start(dir.path(), Some(ADMIN_PASSWORD), &TestDb::preferred().await).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/security-probes.py");
    let base = format!("http://{}", server.addr);
    let out = tokio::process::Command::new("python3")
        .args([script, "--base", &base, "--admin-password", ADMIN_PASSWORD])
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the probes found holes:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    assert!(!stdout.contains("HOLE"), "{stdout}");
    server.stop().await.unwrap();
}
