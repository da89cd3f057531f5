//! The `chain_material` table: a chain's material files (manifest, genesis
//! block, org certificates and sealed keys) by their path in a network
//! directory. Text is stored as it is, anything else as hex.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sqlx::Row;

use crate::db::Db;

/// Files by path relative to the network directory.
pub type Files = BTreeMap<PathBuf, Vec<u8>>;

fn encode(bytes: &[u8]) -> (&'static str, String) {
    match std::str::from_utf8(bytes) {
        Ok(text) => ("text", text.to_string()),
        Err(_) => ("hex", hex::encode(bytes)),
    }
}

fn decode(path: &str, encoding: &str, content: String) -> Result<Vec<u8>, sqlx::Error> {
    match encoding {
        "text" => Ok(content.into_bytes()),
        "hex" => hex::decode(content).map_err(|e| sqlx::Error::Decode(format!("{path}: not hex: {e}").into())),
        other => Err(sqlx::Error::Decode(format!("{path}: unknown encoding {other:?}").into())),
    }
}

/// Every file of `chain`'s material; empty if it has none.
pub async fn files(db: &Db, chain: &str) -> Result<Files, sqlx::Error> {
    let rows = sqlx::query("SELECT path, encoding, content FROM chain_material WHERE chain_id = $1")
        .bind(chain)
        .fetch_all(db)
        .await?;
    let mut out = Files::new();
    for row in rows {
        let path: String = row.try_get("path")?;
        let bytes = decode(&path, &row.try_get::<String, _>("encoding")?, row.try_get("content")?)?;
        out.insert(PathBuf::from(path), bytes);
    }
    Ok(out)
}

/// One file, if `chain` has it.
pub async fn file(db: &Db, chain: &str, path: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let row = sqlx::query("SELECT encoding, content FROM chain_material WHERE chain_id = $1 AND path = $2")
        .bind(chain)
        .bind(path)
        .fetch_optional(db)
        .await?;
    row.map(|r| decode(path, &r.try_get::<String, _>("encoding")?, r.try_get("content")?)).transpose()
}

/// Writes `files` (replacing the ones at the same paths) and removes the
/// paths in `gone`, all or nothing.
pub async fn put(db: &Db, chain: &str, files: &Files, gone: &[PathBuf]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for (path, bytes) in files {
        let path = path.to_string_lossy();
        let (encoding, content) = encode(bytes);
        sqlx::query(
            "INSERT INTO chain_material (chain_id, path, encoding, content) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (chain_id, path) DO UPDATE SET encoding = excluded.encoding, content = excluded.content",
        )
        .bind(chain)
        .bind(path.as_ref())
        .bind(encoding)
        .bind(content)
        .execute(&mut *tx)
        .await?;
    }
    for path in gone {
        sqlx::query("DELETE FROM chain_material WHERE chain_id = $1 AND path = $2")
            .bind(chain)
            .bind(path.to_string_lossy().as_ref())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Whether `chain` has any material here.
pub async fn exists(db: &Db, chain: &str) -> Result<bool, sqlx::Error> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM chain_material WHERE chain_id = $1").bind(chain).fetch_one(db).await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Removes all of `chain`'s material (a creation that failed).
pub async fn remove(db: &Db, chain: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM chain_material WHERE chain_id = $1").bind(chain).execute(db).await?;
    Ok(())
}
