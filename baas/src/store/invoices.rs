//! The `invoices` table: each past month's invoice as it was issued.

use crate::db::Db;
use crate::problem::Problem;

/// The invoice issued for `tenant`'s `month` (its JSON), if one was.
pub async fn issued_invoice(db: &Db, tenant: &str, month: &str) -> Result<Option<String>, Problem> {
    Ok(sqlx::query_scalar("SELECT body FROM invoices WHERE tenant_id = $1 AND month = $2")
        .bind(tenant)
        .bind(month)
        .fetch_optional(db)
        .await?)
}

/// Keeps a past month's invoice as issued; an error when one was issued
/// already (a concurrent first request: both computed the same).
pub async fn issue_invoice(db: &Db, tenant: &str, month: &str, body: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO invoices (tenant_id, month, body, issued_at) VALUES ($1, $2, $3, $4)")
        .bind(tenant)
        .bind(month)
        .bind(body)
        .bind(crate::db::now())
        .execute(db)
        .await?;
    Ok(())
}
