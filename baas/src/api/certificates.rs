//! The certificates of a chain and when they stop being valid: each org's
//! CA, admin and client, each node's, and every chain user the BaaS
//! enrolled (with its revocation). `GET /api/chains/{chain}/certificates`
//! reports them; the monitor raises `certificate-expiring` for a node
//! whose certificate ends within the warning window.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::Caller;
use crate::store::chains::readable;
use crate::AppState;

const DAY: i64 = 24 * 3600;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificateView {
    /// The org, node or chain user it belongs to.
    pub subject: String,
    /// ca | admin | client | node | chain-user
    pub kind: String,
    pub org: String,
    /// Unix seconds.
    pub not_after: i64,
    /// Whole days left (negative once expired).
    pub days_left: i64,
    pub revoked_at: Option<i64>,
    /// valid | expiring | expired | revoked
    pub status: String,
}

/// valid, expiring (within `warn_days`), expired or revoked, at `now`.
pub fn status(not_after: i64, revoked_at: Option<i64>, now: i64, warn_days: i64) -> &'static str {
    if revoked_at.is_some() {
        "revoked"
    } else if not_after <= now {
        "expired"
    } else if not_after.saturating_sub(now) <= warn_days.saturating_mul(DAY) {
        "expiring"
    } else {
        "valid"
    }
}

fn view(
    subject: String,
    kind: &str,
    org: String,
    not_after: i64,
    revoked_at: Option<i64>,
    now: i64,
    warn: i64,
) -> CertificateView {
    CertificateView {
        status: status(not_after, revoked_at, now, warn).to_string(),
        days_left: (not_after - now).div_euclid(DAY),
        subject,
        kind: kind.to_string(),
        org,
        not_after,
        revoked_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificatesQuery {
    /// Certificates ending within this many days are "expiring" (default
    /// 30, 0 to 3650).
    #[param(minimum = 0, maximum = 3650)]
    pub within_days: Option<i64>,
}

/// The widest "expiring" window asked for: ten years (its seconds fit an
/// i64 many times over).
const MAX_WITHIN_DAYS: i64 = 3650;

/// Every certificate of the chain, soonest to end first.
#[utoipa::path(get, path = "/api/chains/{chain}/certificates", tag = "security", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), CertificatesQuery),
    responses((status = 200, body = [CertificateView]), (status = 401, body = Problem), (status = 404, body = Problem),
               (status = 409, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiQuery(q): ApiQuery<CertificatesQuery>,
) -> ApiResult<Json<Vec<CertificateView>>> {
    let warn = q.within_days.unwrap_or(30);
    if !(0..=MAX_WITHIN_DAYS).contains(&warn) {
        return Err(Problem::unprocessable(format!("within_days: {warn} is not between 0 and {MAX_WITHIN_DAYS}")));
    }
    let chain = readable(&state.db, &caller, &chain).await?;
    let manifest = state
        .material
        .manifest(&chain.id)
        .await
        .map_err(|e| Problem::conflict(format!("chain {} has no network to read ({e})", chain.id)))?;
    let now = crate::db::now();
    let mut out = Vec::new();
    for org in &manifest.orgs {
        for (kind, path) in
            [("ca", &org.ca_certificate), ("admin", &org.admin_certificate), ("client", &org.client_certificate)]
        {
            if let Some(t) = state.material.certificate_not_after(&chain.id, path).await {
                out.push(view(org.id.clone(), kind, org.id.clone(), t, None, now, warn));
            }
        }
    }
    for node in &manifest.nodes {
        if let Some(t) = state.driver.node_certificate_not_after(&chain.id, &node.id) {
            out.push(view(node.id.clone(), "node", node.org.clone(), t, None, now, warn));
        }
    }
    for u in crate::store::chain_users::of_chain(&state.db, &chain.id).await? {
        out.push(view(u.name, "chain-user", u.org, u.not_after, u.revoked_at, now, warn));
    }
    out.sort_by_key(|c| c.not_after);
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_expiring_within_the_window_and_revoked_above_all() {
        let now = 1_000 * DAY;
        assert_eq!(status(now + 31 * DAY, None, now, 30), "valid");
        assert_eq!(status(now + 30 * DAY, None, now, 30), "expiring");
        assert_eq!(status(now, None, now, 30), "expired");
        assert_eq!(status(now + 400 * DAY, Some(now - 1), now, 30), "revoked");
    }
}
