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
