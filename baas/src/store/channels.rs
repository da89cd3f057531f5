//! The `channels` table: the channels a chain has besides its main one,
//! with their member orgs.

use sqlx::Row;

use crate::problem::Problem;

/// The channels recorded for `chain` besides its main one.
pub async fn recorded(db: &crate::db::Db, chain: &str) -> Result<Vec<(String, Vec<String>, i64)>, Problem> {
    let rows = sqlx::query("SELECT name, orgs, created_at FROM channels WHERE chain_id = $1 ORDER BY name")
        .bind(chain)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            let orgs: String = r.try_get("orgs")?;
            let orgs = serde_json::from_str(&orgs).map_err(|e| Problem::internal(format!("channel orgs: {e}")))?;
            Ok((r.try_get("name")?, orgs, r.try_get("created_at")?))
        })
        .collect()
}

/// Records channel `name` of `chain` with its member orgs and genesis
/// block.
pub async fn insert(
    db: &crate::db::Db,
    chain: &str,
    name: &str,
    orgs: &[String],
    genesis: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO channels (chain_id, name, orgs, genesis_hex, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(chain)
        .bind(name)
        .bind(serde_json::to_string(orgs).expect("strings serialise"))
        .bind(hex::encode(genesis))
        .bind(crate::db::now())
        .execute(db)
        .await?;
    Ok(())
}

/// Records channel `name`'s member orgs now.
pub async fn set_orgs(db: &crate::db::Db, chain: &str, name: &str, orgs: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE channels SET orgs = $1 WHERE chain_id = $2 AND name = $3")
        .bind(serde_json::to_string(orgs).expect("strings serialise"))
        .bind(chain)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets channel `name` of `chain`.
pub async fn remove(db: &crate::db::Db, chain: &str, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM channels WHERE chain_id = $1 AND name = $2").bind(chain).bind(name).execute(db).await?;
    Ok(())
}

/// The genesis block of channel `name` of `chain`, as it was cut.
pub async fn genesis(db: &crate::db::Db, chain: &str, name: &str) -> Result<Option<Vec<u8>>, Problem> {
    let hex: Option<String> = sqlx::query_scalar("SELECT genesis_hex FROM channels WHERE chain_id = $1 AND name = $2")
        .bind(chain)
        .bind(name)
        .fetch_optional(db)
        .await?;
    hex.map(|h| hex::decode(h).map_err(|e| Problem::internal(format!("channel {name}'s genesis block: {e}"))))
        .transpose()
}
