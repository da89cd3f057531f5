//! weft-node builds: the server's own (`--node-binary`, shown as
//! "bundled") and the ones a platform admin registers for rolling upgrades
//! (`POST /api/node-builds`). Which build a node starts on comes from the
//! database (the node's, else its chain's, else bundled), so every start —
//! API, monitor restart, membership change, upgrade — agrees.

use std::path::{Path as FsPath, PathBuf};

use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::AppState;

/// The name of the server's own weft-node build.
pub const BUNDLED: &str = "bundled";

pub use crate::store::node_builds::NodeBuild;

/// Hex SHA-256 of a file.
pub fn sha256_file(path: &FsPath) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Runs `<path> --version`; a weft-node answers "weft-node <version>".
pub async fn reports(path: &FsPath) -> Result<String, String> {
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::process::Command::new(path).arg("--version").kill_on_drop(true).output(),
    )
    .await
    .map_err(|_| format!("{} --version did not answer within 10 s", path.display()))?
    .map_err(|e| format!("running {} --version: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !text.starts_with("weft-node ") {
        return Err(format!(
            "{} --version printed {text:?} ({}); a weft-node build prints \"weft-node <version>\"",
            path.display(),
            out.status
        ));
    }
    Ok(text)
}

/// The build `version` names, or None for the bundled one.
pub async fn find(state: &AppState, version: &str) -> Result<Option<NodeBuild>, Problem> {
    if version == BUNDLED {
        return Ok(None);
    }
    let build = crate::store::node_builds::load(&state.db, version).await?;
    let build = build.ok_or_else(|| {
        Problem::unprocessable(format!("build: no build {version:?}; GET /api/node-builds lists them"))
    })?;
    Ok(Some(build))
}

/// The build `node` of `chain` runs (or would start on): its own, else
/// its chain's, else bundled.
pub async fn build_of_node(state: &AppState, chain: &str, node: &str) -> Result<String, String> {
    let build = crate::store::nodes::build(&state.db, chain, node).await.map_err(|e| e.to_string())?;
    Ok(build.unwrap_or_else(|| BUNDLED.to_string()))
}

/// The executable `node` of `chain` starts on.
pub async fn binary_for(state: &AppState, chain: &str, node: &str) -> Result<PathBuf, String> {
    let version = build_of_node(state, chain, node).await?;
    if version == BUNDLED {
        return Ok(state.driver.node_binary());
    }
    let build = crate::store::node_builds::load(&state.db, &version).await.map_err(|e| e.to_string())?;
    let build = build.ok_or_else(|| format!("{node} runs build {version:?}, which is not registered any more"))?;
    Ok(PathBuf::from(build.path))
}

/// Starts `node` on its build (off the reactor); its pid and how its
/// limits are enforced.
pub async fn start_node(
    state: &AppState,
    chain: &str,
    node: &weft_provision::ManifestNode,
) -> Result<(u32, crate::runtime::Limits), String> {
    let binary = binary_for(state, chain, &node.id).await?;
    let (driver, c, n) = (state.driver.clone(), chain.to_string(), node.clone());
    tokio::task::spawn_blocking(move || driver.start(&c, &n, &binary))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("starting {}: {e}", node.id))
}

/// Stops `node` and starts it again on its build, under the node lock so
/// the monitor does not take it for crashed and start it in between (two
/// processes on one data directory: one exits, and the step that waits for
/// it fails).
pub async fn restart_node(
    state: &AppState,
    chain: &str,
    node: &weft_provision::ManifestNode,
) -> Result<(u32, crate::runtime::Limits), String> {
    let _ops = state.node_ops.lock().await;
    let (driver, c, n) = (state.driver.clone(), chain.to_string(), node.clone());
    tokio::task::spawn_blocking(move || driver.stop(&c, &n))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("stopping {}: {e}", node.id))?;
    start_node(state, chain, node).await
}
