//! Compiles the example and fixture contracts to wasm32 with a nested cargo
//! run, so `cargo build`/`cargo test` always use modules built from the
//! current source (no checked-in binaries).
//!
//! The nested build uses its own target directory next to the outer one:
//! sharing it would deadlock on cargo's lock. The outer build's wrapper and
//! flags (clippy, coverage) are not passed on: they are for host code.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (package, crate file stem, file name in OUT_DIR)
const CONTRACTS: [(&str, &str, &str); 4] = [
    ("weft-example-kv", "weft_example_kv", "kv.wasm"),
    ("weft-example-asset-transfer", "weft_example_asset_transfer", "asset_transfer.wasm"),
    ("weft-example-notary", "weft_example_notary", "notary.wasm"),
    ("weft-fixture-testbed", "weft_fixture_testbed", "testbed.wasm"),
];

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "contract";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let contracts_dir = manifest_dir.parent().expect("contracts/wasm has a parent");
    let workspace = contracts_dir.parent().expect("contracts/ has a parent");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out.
    let target_dir = out_dir.ancestors().nth(4).unwrap_or(&out_dir).join("wasm-contracts");

    for dir in ["sdk", "examples", "fixtures"] {
        println!("cargo:rerun-if-changed={}", contracts_dir.join(dir).display());
    }
    println!("cargo:rerun-if-changed={}", workspace.join("Cargo.lock").display());
    println!("cargo:rerun-if-changed={}", workspace.join("Cargo.toml").display());

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--quiet", "--target", TARGET, "--profile", PROFILE])
        .env("CARGO_TARGET_DIR", &target_dir);
    for (package, _, _) in CONTRACTS {
        cmd.args(["-p", package]);
    }
    for var in [
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CLIPPY_ARGS",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().unwrap_or_else(|e| panic!("could not run cargo to build the contracts: {e}"));
    if !status.success() {
        panic!(
            "building the contracts for {TARGET} failed (see the errors above). If the target is missing, \
             run `rustup target add {TARGET}` or `bash scripts/bootstrap.sh`."
        );
    }

    let built = target_dir.join(TARGET).join(PROFILE);
    for (_, stem, file) in CONTRACTS {
        copy(&built.join(format!("{stem}.wasm")), &out_dir.join(file));
    }
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
}
