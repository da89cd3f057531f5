//! The routes of weft-node builds: a platform admin registers one, anyone
//! lists them (which build a node runs: `ops::builds`).

use std::path::PathBuf;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::ops::builds::{find, reports, sha256_file, NodeBuild, BUNDLED};
use crate::problem::{ApiResult, Problem};
use crate::role::{Caller, Role};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBuild {
    /// A name for the build (letters, digits, '.', '-', '_'), e.g. "0.2.0".
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub version: String,
    /// Absolute path of the weft-node executable on the BaaS host.
    #[schema(min_length = 1, pattern = "^/")]
    pub path: String,
}

#[utoipa::path(post, path = "/api/node-builds", tag = "upgrades", security(("bearer" = [])), request_body = NewBuild,
    responses((status = 201, body = NodeBuild), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewBuild>,
) -> ApiResult<(StatusCode, Json<NodeBuild>)> {
    if caller.role != Role::PlatformAdmin {
        return Err(Problem::forbidden("only a platform admin registers weft-node builds"));
    }
    if !crate::names::word(&req.version, 1) || req.version == BUNDLED {
        return Err(Problem::unprocessable(format!(
            "version: {:?} must be 1–64 letters, digits, '.', '-' or '_', and not {BUNDLED:?}",
            req.version
        )));
    }
    let path = PathBuf::from(&req.path);
    if !path.is_absolute() || !path.is_file() {
        return Err(Problem::unprocessable(format!("path: {} is not an absolute path to a file", req.path)));
    }
    let reports = reports(&path).await.map_err(Problem::unprocessable)?;
    let sha256 = sha256_file(&path).map_err(Problem::unprocessable)?;
    let inserted =
        crate::store::node_builds::insert(&state.db, &req.version, &req.path, &sha256, &reports, &caller.username)
            .await;
    if inserted.is_err() {
        return Err(Problem::conflict(format!("a build {:?} is registered already", req.version)));
    }
    tracing::info!(version = %req.version, path = %req.path, %reports, by = %caller.username, "weft-node build registered");
    let build = find(&state, &req.version).await?.expect("just inserted");
    Ok((StatusCode::CREATED, Json(build)))
}

#[utoipa::path(get, path = "/api/node-builds", tag = "upgrades", security(("bearer" = [])),
    responses((status = 200, body = [NodeBuild]), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<Vec<NodeBuild>>> {
    Ok(Json(crate::store::node_builds::all(&state.db).await?))
}
