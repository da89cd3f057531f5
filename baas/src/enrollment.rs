//! Enrolling chain users: certificates issued by the org CA the BaaS runs
//! (from the chain's material), recorded in `chain_users`, their keys
//! handed out once or kept sealed under the master key; a person's own
//! chain user for the REST gateway, enrolled on first use; and the
//! identity a token bound to a kept chain user signs with.

use weft_identity::{ParsedCertificate, Role as CertRole, SigningKeyPair, Validity};
use weft_proto::SerializedIdentity;
use weft_provision::network::NetworkDir;
use weft_sdk::ClientIdentity;

use crate::db::now;
use crate::problem::Problem;
use crate::role::Caller;
use crate::secrets::new_id;
use crate::store::chain_users::NewChainUser;
use crate::store::chains::Chain;
use crate::AppState;

/// `chain`'s network, if it runs: users are enrolled and revoked only then.
pub async fn running_network(state: &AppState, chain: &Chain) -> Result<NetworkDir, Problem> {
    if chain.status != crate::store::chains::ChainStatus::Running {
        return Err(Problem::conflict(format!(
            "chain {} is {}; users are managed on running chains",
            chain.id, chain.status
        )));
    }
    state.material.network(&chain.id).await.map_err(Problem::internal)
}

/// `org`, else the chain's first org.
pub fn org_or_first(net: &NetworkDir, org: Option<&str>) -> Result<String, Problem> {
    match org {
        Some(o) => Ok(o.to_string()),
        None => {
            net.manifest().orgs.first().map(|o| o.id.clone()).ok_or_else(|| Problem::internal("the chain has no orgs"))
        }
    }
}

/// Who a new chain user is.
pub struct Identity<'a> {
    pub name: &'a str,
    pub role: CertRole,
    /// The key sealed under the master key (else handed out once).
    pub keep: bool,
    pub days: i64,
    /// The BaaS user it signs for in the REST gateway.
    pub person: Option<&'a str>,
}

/// Issues a certificate from `org`'s CA and records the chain user; its id
/// and private key (PEM).
pub async fn issue(
    state: &AppState,
    net: &NetworkDir,
    chain: &Chain,
    org: &str,
    who: Identity<'_>,
) -> Result<(String, String), Problem> {
    let ca = net.ca(org).map_err(Problem::unprocessable)?;
    let (key, cert) = ca.issue_new(who.name, who.role, Validity::days_from_now(who.days)).map_err(Problem::internal)?;
    let parsed = ParsedCertificate::parse(&cert).map_err(Problem::internal)?;
    let id = new_id();
    let key_pem = key.to_pkcs8_pem();
    let sealed = who.keep.then(|| state.master_key.seal(key_pem.as_bytes(), &id));
    let certificate_pem = pem::encode(&pem::Pem::new("CERTIFICATE", cert));
    let serial = hex::encode(&parsed.serial);
    let row = NewChainUser {
        id: &id,
        chain: &chain.id,
        org,
        name: who.name,
        role: who.role.as_str(),
        serial: &serial,
        certificate_pem: &certificate_pem,
        sealed_key: sealed.as_deref(),
        not_after: parsed.not_after,
        person: who.person,
    };
    crate::store::chain_users::insert(&state.db, row).await?;
    Ok((id, key_pem))
}

/// How long a person's own chain user is valid; a new one is enrolled when
/// less than `RENEW_BEFORE_SECS` is left.
const PERSONAL_DAYS: i64 = 365;

const RENEW_BEFORE_SECS: i64 = 24 * 3600;

/// The caller's own identity in `org` (default: the chain's first org) of
/// a running chain, for the REST gateway: their kept chain user, enrolled
/// on first use with their username as the certificate's common name. A
/// revoked or nearly expired one is replaced by a new one.
pub async fn personal(
    state: &AppState,
    caller: &Caller,
    chain: &Chain,
    org: Option<&str>,
) -> Result<(String, ClientIdentity), Problem> {
    let net = running_network(state, chain).await?;
    let org = org_or_first(&net, org)?;
    // One enrollment at a time, so a person's first requests arriving
    // together do not each enroll an identity.
    static ENROLLING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ENROLLING.lock().await;
    let valid_after = now() + RENEW_BEFORE_SECS;
    let current =
        crate::store::chain_users::current_personal(&state.db, &caller.user_id, &chain.id, &org, valid_after).await?;
    let id = match current {
        Some(id) => id,
        None => {
            let who = Identity {
                name: &caller.username,
                role: CertRole::Client,
                keep: true,
                days: PERSONAL_DAYS,
                person: Some(&caller.user_id),
            };
            let (id, _) = issue(state, &net, chain, &org, who).await?;
            tracing::info!(chain = %chain.id, %org, person = %caller.username, "own chain user enrolled for the REST gateway");
            id
        }
    };
    identity(state, &chain.id, &id).await
}

/// The identity of the chain user a token is bound to, for the gateway:
/// it must belong to `chain`, not be revoked, and have its key kept.
pub async fn identity(state: &AppState, chain: &str, user: &str) -> Result<(String, ClientIdentity), Problem> {
    let (u, sealed) = crate::store::chain_users::find(&state.db, chain, user)
        .await
        .map_err(|_| Problem::forbidden("this token is bound to a chain user of another chain"))?;
    if u.revoked_at.is_some() {
        return Err(Problem::forbidden(format!("chain user {} was revoked; this token no longer transacts", u.name)));
    }
    let sealed = sealed.ok_or_else(|| Problem::internal("a bound chain user without a kept key"))?;
    let pem = state.master_key.open(&sealed, &u.id).map_err(Problem::internal)?;
    let key = SigningKeyPair::from_pkcs8_pem(std::str::from_utf8(&pem).map_err(Problem::internal)?)
        .map_err(Problem::internal)?;
    let der = pem::parse(&u.certificate_pem).map_err(Problem::internal)?.into_contents();
    Ok((u.org.clone(), ClientIdentity { identity: SerializedIdentity { org_id: u.org, certificate_der: der }, key }))
}
