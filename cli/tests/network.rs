//! The `weft` binary as a user runs it.

use std::path::Path;
use std::process::Command;

fn weft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weft"));
    cmd.env("WEFT_TEMPLATES", Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/templates"));
    cmd
}

#[test]
fn init_by_template_name_then_show_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let run =
        weft().args(["network", "init", "--template", "raft-3", "--free-ports", "--out"]).arg(&out).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = String::from_utf8(run.stdout).unwrap();
    assert!(text.contains("node0.org1") && text.contains("node0.org3"), "{text}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("generating raft-3 (3 orgs, 3 nodes)"));

    let show = weft().args(["network", "show", "--output", "json"]).arg(&out).output().unwrap();
    assert!(show.status.success());
    let manifest: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(manifest["template"], "raft-3");
    assert_eq!(manifest["nodes"].as_array().unwrap().len(), 3);
}

#[test]
fn failures_exit_non_zero_and_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let run = weft().args(["network", "init", "--template", "raft-4", "--out"]).arg(dir.path()).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8(run.stderr).unwrap();
    assert!(err.contains(r#"no template "raft-4""#) && err.contains("pbft-4, pbft-7, raft-3, raft-5, solo-1"), "{err}");

    std::fs::write(dir.path().join("x"), "").unwrap();
    let run = weft()
        .args(["--output", "json", "network", "init", "--template", "solo-1", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(json["error"].as_str().unwrap().contains("choose another --out"), "{json}");
}

#[test]
fn help_is_enough_to_start() {
    let run = weft().args(["network", "init", "--help"]).output().unwrap();
    let help = String::from_utf8(run.stdout).unwrap();
    for flag in ["--template", "--out", "--base-port", "--free-ports", "--output"] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}
