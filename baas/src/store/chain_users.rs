//! The `chain_users` table: identities the BaaS enrolled in a chain's orgs,
//! their certificates, sealed keys (custody "kept") and revocations.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainUser {
    pub id: String,
    pub chain_id: String,
    pub org: String,
    pub name: String,
    /// client | admin
    pub role: String,
    /// Certificate serial, hex.
    pub serial: String,
    pub certificate_pem: String,
    /// kept (sealed under the master key) | download (handed out once)
    pub custody: String,
    pub not_after: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The BaaS user this identity signs for in the REST gateway (enrolled
    /// on their first transaction); null for identities enrolled by hand.
    pub person_id: Option<String>,
}

const COLUMNS: &str = "id, chain_id, org_id, name, role, serial, certificate_pem, sealed_key, not_after, created_at, \
                       revoked_at, person_id";

pub fn user_of(row: &AnyRow) -> Result<ChainUser, Problem> {
    let sealed: Option<String> = row.try_get("sealed_key")?;
    Ok(ChainUser {
        id: row.try_get("id")?,
        chain_id: row.try_get("chain_id")?,
        org: row.try_get("org_id")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        serial: row.try_get("serial")?,
        certificate_pem: row.try_get("certificate_pem")?,
        custody: if sealed.is_some() { "kept" } else { "download" }.into(),
        not_after: row.try_get("not_after")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
        person_id: row.try_get("person_id")?,
    })
}

/// The chain user `id` of `chain` and its sealed key (None: custody
/// "download").
pub async fn find(db: &Db, chain: &str, id: &str) -> Result<(ChainUser, Option<String>), Problem> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM chain_users WHERE id = $1 AND chain_id = $2"))
        .bind(id)
        .bind(chain)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no chain user {id} in chain {chain}")))?;
    Ok((user_of(&row)?, row.try_get("sealed_key")?))
}

/// A chain user to record, its certificate issued.
pub struct NewChainUser<'a> {
    pub id: &'a str,
    pub chain: &'a str,
    pub org: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub serial: &'a str,
    pub certificate_pem: &'a str,
    pub sealed_key: Option<&'a str>,
    pub not_after: i64,
    pub person: Option<&'a str>,
}

pub async fn insert(db: &Db, u: NewChainUser<'_>) -> Result<(), Problem> {
    sqlx::query(
        "INSERT INTO chain_users (id, chain_id, org_id, name, role, serial, certificate_pem, sealed_key, not_after, \
         created_at, person_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(u.id)
    .bind(u.chain)
    .bind(u.org)
    .bind(u.name)
    .bind(u.role)
    .bind(u.serial)
    .bind(u.certificate_pem)
    .bind(u.sealed_key)
    .bind(u.not_after)
    .bind(crate::db::now())
    .bind(u.person)
    .execute(db)
    .await?;
    Ok(())
}

/// `person`'s newest kept chain user in `org` of `chain` that is not
/// revoked and is valid past `valid_after`.
pub async fn current_personal(
    db: &Db,
    person: &str,
    chain: &str,
    org: &str,
    valid_after: i64,
) -> Result<Option<String>, Problem> {
    let row = sqlx::query(
        "SELECT id FROM chain_users WHERE person_id = $1 AND chain_id = $2 AND org_id = $3 AND revoked_at IS NULL \
         AND sealed_key IS NOT NULL AND not_after > $4 ORDER BY created_at DESC, id LIMIT 1",
    )
    .bind(person)
    .bind(chain)
    .bind(org)
    .bind(valid_after)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// `chain`'s chain users, oldest first.
pub async fn of_chain(db: &Db, chain: &str) -> Result<Vec<ChainUser>, Problem> {
    let query = format!("SELECT {COLUMNS} FROM chain_users WHERE chain_id = $1 ORDER BY created_at, id");
    sqlx::query(&query).bind(chain).fetch_all(db).await?.iter().map(user_of).collect()
}

/// The serials (hex) and revocation times of `org`'s revoked chain users in
/// `chain`: what its CRL lists.
pub async fn revoked_in_org(db: &Db, chain: &str, org: &str) -> Result<Vec<(String, i64)>, Problem> {
    let rows = sqlx::query(
        "SELECT serial, revoked_at FROM chain_users WHERE chain_id = $1 AND org_id = $2 AND revoked_at IS NOT NULL",
    )
    .bind(chain)
    .bind(org)
    .fetch_all(db)
    .await?;
    Ok(rows.iter().map(|r| Ok((r.try_get("serial")?, r.try_get("revoked_at")?))).collect::<Result<_, sqlx::Error>>()?)
}

pub async fn mark_revoked(db: &Db, id: &str, at: i64) -> Result<(), Problem> {
    sqlx::query("UPDATE chain_users SET revoked_at = $1 WHERE id = $2").bind(at).bind(id).execute(db).await?;
    Ok(())
}
