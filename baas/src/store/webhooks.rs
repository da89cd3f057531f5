//! The `webhooks` and `webhook_deliveries` tables: a tenant's alarm
//! receivers (their HMAC secret sealed with the master key) and every
//! delivery made to them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub created_by: String,
    pub created_at: i64,
    /// The HMAC key; shown only in the answer that made the webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[sqlx(skip)]
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Delivery {
    pub id: String,
    pub alarm_id: String,
    /// pending | delivered | failed
    pub status: String,
    pub attempts: i64,
    pub last_error: String,
    pub updated_at_ms: i64,
}

/// Where a webhook's deliveries go, with its secret still sealed.
#[derive(Debug, sqlx::FromRow)]
pub struct Sealed {
    pub id: String,
    pub url: String,
    pub secret_sealed: String,
}

/// A delivery a stopped server left pending, with its webhook.
#[derive(Debug, sqlx::FromRow)]
pub struct Pending {
    pub delivery: String,
    pub alarm_id: String,
    pub event: String,
    pub attempts: i64,
    #[sqlx(flatten)]
    pub webhook: Sealed,
}

/// The webhook `id` of `tenant`, if there is one.
pub async fn find(db: &Db, id: &str, tenant: &str) -> Result<Option<Sealed>, sqlx::Error> {
    sqlx::query_as("SELECT id, url, secret_sealed FROM webhooks WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(tenant)
        .fetch_optional(db)
        .await
}

/// Every webhook of `tenant`, for a delivery.
pub async fn sealed_of_tenant(db: &Db, tenant: &str) -> Result<Vec<Sealed>, sqlx::Error> {
    sqlx::query_as("SELECT id, url, secret_sealed FROM webhooks WHERE tenant_id = $1").bind(tenant).fetch_all(db).await
}

pub async fn insert(
    db: &Db,
    id: &str,
    tenant: &str,
    url: &str,
    secret_sealed: &str,
    by: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhooks (id, tenant_id, url, secret_sealed, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(tenant)
    .bind(url)
    .bind(secret_sealed)
    .bind(by)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// `tenant`'s webhooks, oldest first, without their secrets.
pub async fn of_tenant(db: &Db, tenant: &str) -> Result<Vec<Webhook>, sqlx::Error> {
    sqlx::query_as("SELECT id, url, created_by, created_at FROM webhooks WHERE tenant_id = $1 ORDER BY created_at")
        .bind(tenant)
        .fetch_all(db)
        .await
}

/// The webhook's deliveries, oldest update first.
pub async fn deliveries_of(db: &Db, webhook: &str) -> Result<Vec<Delivery>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, alarm_id, status, attempts, last_error, updated_at_ms FROM webhook_deliveries \
         WHERE webhook_id = $1 ORDER BY updated_at_ms",
    )
    .bind(webhook)
    .fetch_all(db)
    .await
}

/// Removes the webhook and its delivery records.
pub async fn remove(db: &Db, webhook: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1").bind(webhook).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(webhook).execute(&mut *tx).await?;
    tx.commit().await
}

/// The deliveries still pending, with their webhooks.
pub async fn pending(db: &Db) -> Result<Vec<Pending>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.id AS delivery, d.alarm_id, d.event, d.attempts, w.id, w.url, w.secret_sealed \
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending'",
    )
    .fetch_all(db)
    .await
}

/// One delivery of `event` about `alarm` to `webhook`, as it stands.
pub struct DeliveryState<'a> {
    pub delivery: &'a str,
    pub webhook: &'a str,
    pub alarm: &'a str,
    pub event: &'a str,
    pub status: &'a str,
    pub attempts: u32,
    pub error: &'a str,
    pub at_ms: i64,
}

/// Records where a delivery stands: its row is made by the first record.
pub async fn record_delivery(db: &Db, d: &DeliveryState<'_>) -> Result<(), sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = $2, last_error = $3, updated_at_ms = $4 WHERE id = $5",
    )
    .bind(d.status)
    .bind(i64::from(d.attempts))
    .bind(d.error)
    .bind(d.at_ms)
    .bind(d.delivery)
    .execute(db)
    .await?;
    if updated.rows_affected() > 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, webhook_id, alarm_id, event, status, attempts, last_error, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(d.delivery)
    .bind(d.webhook)
    .bind(d.alarm)
    .bind(d.event)
    .bind(d.status)
    .bind(i64::from(d.attempts))
    .bind(d.error)
    .bind(d.at_ms)
    .execute(db)
    .await?;
    Ok(())
}
