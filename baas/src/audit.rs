//! The audit log: every mutating API call — who, what (method and route),
//! on which path, and the status answered — appended to a hash chain in the
//! database. Each entry's hash covers the previous entry's hash and its own
//! fields, so editing, deleting or reordering a row is found by
//! `GET /api/audit/verify`, which names the first entry that does not hold.
//! Platform admins and auditors read and export it (`GET /api/audit` with a
//! time range); a tenant's auditor sees that tenant's entries.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::db::Db;
use crate::problem::{ApiResult, Problem};
use crate::role::{Caller, Role};
use crate::AppState;

/// The previous hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Most entries one list call returns, and the page size of a verification.
pub const PAGE: i64 = 1000;

pub use crate::store::audit_log::AuditEntry;

impl AuditEntry {
    /// SHA-256 of the previous hash and this entry's fields, in a fixed
    /// order (a JSON array, so no field can run into the next).
    pub fn compute_hash(&self) -> String {
        let fields = serde_json::json!([
            self.seq,
            self.at_ms,
            self.actor,
            self.tenant_id,
            self.action,
            self.target,
            self.status
        ]);
        hex::encode(Sha256::new().chain_update(self.prev_hash.as_bytes()).chain_update(fields.to_string()).finalize())
    }
}

/// The first entry of a chain that does not hold, and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Tampered {
    pub seq: i64,
    pub reason: String,
}

/// Walks entries in seq order after `last` (seq and hash of the entry
/// before them; (0, GENESIS) at the start): each must follow the one before
/// it and hash to what it says.
pub fn check(last: (i64, &str), entries: &[AuditEntry]) -> Result<(), Tampered> {
    let (mut seq, mut hash) = (last.0, last.1.to_string());
    for e in entries {
        let fail = |reason: String| Err(Tampered { seq: e.seq, reason });
        if e.seq != seq + 1 {
            return fail(format!("entry {} follows entry {seq}: entries in between were deleted", e.seq));
        }
        if e.prev_hash != hash {
            return fail(format!("its previous hash is not entry {seq}'s hash: entry {seq} was changed or replaced"));
        }
        if e.compute_hash() != e.hash {
            return fail("its fields do not hash to its hash: the entry was edited".into());
        }
        (seq, hash) = (e.seq, e.hash.clone());
    }
    Ok(())
}

/// Appends one entry; entries are serialised by the state's audit lock.
pub async fn append(
    state: &AppState,
    actor: Option<&Caller>,
    action: String,
    target: String,
    status: u16,
) -> ApiResult<()> {
    let _guard = state.audit_lock.lock().await;
    let (seq, prev_hash) = match crate::store::audit_log::last(&state.db).await? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let mut entry = AuditEntry {
        seq,
        at_ms: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
        actor: actor.map_or_else(|| "-".to_string(), |c| c.username.clone()),
        tenant_id: actor.and_then(|c| c.tenant_id.clone()),
        action,
        target,
        status: i32::from(status),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    crate::store::audit_log::insert(&state.db, &entry).await?;
    Ok(())
}

/// Middleware: records every call that may change something (any method
/// but GET, HEAD and OPTIONS), answered or refused, after it is answered.
/// The caller is looked up before the handler runs (a logout revokes the
/// token it came with).
pub async fn record(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let route = request.extensions().get::<MatchedPath>().map_or("(no route)", |m| m.as_str()).to_string();
    let action = format!("{} {route}", request.method());
    let target = request.uri().path().to_string();
    let token = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let caller = match token {
        Some(t) => crate::auth::caller_of(&state.db, &t).await.ok(),
        None => None,
    };
    if let Some(c) = &caller {
        request.extensions_mut().insert(crate::auth::Resolved(c.clone()));
    }
    let response = next.run(request).await;
    if let Err(e) = append(&state, caller.as_ref(), action.clone(), target, response.status().as_u16()).await {
        // The call has happened; the gap shows as a missing entry to
        // nobody, so say it loudly.
        tracing::error!(%action, error = %e.detail, "could not append to the audit log");
    }
    response
}

pub fn may_read(caller: &Caller) -> Result<(), Problem> {
    match caller.role {
        Role::PlatformAdmin | Role::Auditor => Ok(()),
        _ => Err(Problem::forbidden("the audit log is for platform admins and auditors")),
    }
}

/// A tenant's auditor reads its tenant's entries; platform admins and
/// platform auditors every entry.
pub fn tenant_filter(caller: &Caller) -> Option<String> {
    match caller.role {
        Role::PlatformAdmin => None,
        _ => caller.tenant_id.clone(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// From this time (milliseconds since the epoch, inclusive).
    pub from_ms: Option<i64>,
    /// Until this time (exclusive).
    pub to_ms: Option<i64>,
    /// Entries after this seq (to page through a range).
    pub after_seq: Option<i64>,
    /// At most this many (default and most 1000).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// The hash of the last entry checked (note it down: a later
    /// verification that does not reach it means the tail was cut).
    pub last_hash: String,
    /// The first entry that does not hold; null when the chain is whole.
    pub first_tampered: Option<Tampered>,
}

/// The entries `range` asks for, only `tenant`'s when one is given.
pub async fn page(db: &Db, range: &Range, tenant: Option<&str>) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let page = crate::store::audit_log::Page {
        after_seq: range.after_seq.unwrap_or(0),
        from_ms: range.from_ms.unwrap_or(0),
        to_ms: range.to_ms.unwrap_or(i64::MAX),
        limit: range.limit.unwrap_or(PAGE).clamp(1, PAGE),
        tenant,
    };
    crate::store::audit_log::page(db, &page).await
}

/// Walks the whole chain from the first entry.
pub async fn verify_chain(db: &Db) -> ApiResult<Verification> {
    let (mut seq, mut hash) = (0i64, GENESIS.to_string());
    loop {
        let entries = crate::store::audit_log::after(db, seq, PAGE).await?;
        if let Err(t) = check((seq, &hash), &entries) {
            return Ok(Verification { entries: t.seq - 1, last_hash: hash, first_tampered: Some(t) });
        }
        let Some(last) = entries.last() else {
            return Ok(Verification { entries: seq, last_hash: hash, first_tampered: None });
        };
        (seq, hash) = (last.seq, last.hash.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for seq in 1..=n {
            let mut e = AuditEntry {
                seq,
                at_ms: 1000 + seq,
                actor: "ann".into(),
                tenant_id: Some("t1".into()),
                action: "POST /api/chains".into(),
                target: "/api/chains".into(),
                status: 202,
                prev_hash: out.last().map_or(GENESIS.to_string(), |p| p.hash.clone()),
                hash: String::new(),
            };
            e.hash = e.compute_hash();
            out.push(e);
        }
        out
    }

    #[test]
    fn an_edit_a_deletion_or_a_rehash_is_found_at_its_entry() {
        assert_eq!(check((0, GENESIS), &chain(5)), Ok(()));
        let mut edited = chain(5);
        edited[2].status = 200;
        assert_eq!(check((0, GENESIS), &edited).unwrap_err().seq, 3);
        let mut deleted = chain(5);
        deleted.remove(1);
        let t = check((0, GENESIS), &deleted).unwrap_err();
        assert_eq!((t.seq, t.reason.contains("deleted")), (3, true));
        // Edited and re-hashed: the next entry no longer follows it.
        let mut rehashed = chain(5);
        rehashed[1].actor = "mallory".into();
        rehashed[1].hash = rehashed[1].compute_hash();
        let t = check((0, GENESIS), &rehashed).unwrap_err();
        assert_eq!((t.seq, t.reason.contains("entry 2 was changed")), (3, true));
        // Fields cannot run into each other.
        let mut a = chain(1);
        let mut b = chain(1);
        a[0].actor = "an".into();
        a[0].action = "nPOST /api/chains".into();
        b[0].action = "POST /api/chains".into();
        assert_ne!(a[0].compute_hash(), b[0].compute_hash());
    }
}
