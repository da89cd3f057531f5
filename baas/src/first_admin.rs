//! The first platform admin, made on the first start: user `admin` with
//! the password in WEFT_BAAS_ADMIN_PASSWORD, or else a one-time password
//! printed once on standard output (never logged).

use crate::db::Db;
use crate::role::Role;
use crate::secrets::{one_time_password, weak_password};
use crate::store::users::create_user;

pub const ADMIN_USERNAME: &str = "admin";
pub const PASSWORD_ENV: &str = "WEFT_BAAS_ADMIN_PASSWORD";

/// Creates the admin if there are no users yet; returns whether it did.
pub async fn ensure(db: &Db, from_env: Option<String>) -> anyhow::Result<bool> {
    let users = crate::store::users::count(db).await?;
    if users > 0 {
        return Ok(false);
    }
    let (password, printed) = match from_env {
        Some(p) => {
            if let Some(why) = weak_password(&p) {
                anyhow::bail!("{PASSWORD_ENV}: {why}");
            }
            (p, false)
        }
        None => (one_time_password(), true),
    };
    create_user(db, ADMIN_USERNAME, &password, Role::PlatformAdmin, None)
        .await
        .map_err(|p| anyhow::anyhow!("creating the first admin: {}", p.detail))?;
    if printed {
        println!(
            "first start: platform admin {ADMIN_USERNAME:?} created with the one-time password {password}\n\
             it is shown only now; change it with POST /api/me/password (or set {PASSWORD_ENV} before the first start)"
        );
    }
    tracing::info!(user = ADMIN_USERNAME, from_env = !printed, "first platform admin created");
    Ok(true)
}
