//! Who may do what: the four roles and the tenant a user belongs to.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Runs the platform: every tenant, quotas, hosts.
    PlatformAdmin,
    /// Manages one tenant's chains, users and tokens.
    TenantAdmin,
    /// Uses one tenant's chains.
    TenantMember,
    /// Reads (one tenant's, or with no tenant every) records; changes nothing.
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform-admin",
            Role::TenantAdmin => "tenant-admin",
            Role::TenantMember => "tenant-member",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::PlatformAdmin, Role::TenantAdmin, Role::TenantMember, Role::Auditor]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The roles a tenant's user may be given, as the OpenAPI document's
/// pattern (utoipa takes a literal: `NewUser` repeats it).
pub const TENANT_ROLE_PATTERN: &str = "^(tenant-admin|tenant-member|auditor)$";

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub tenant_id: Option<String>,
    /// Set when the token is an application's, bound to a chain user: the
    /// REST gateway signs as that user, and the token reaches nothing but
    /// its chain's contracts (`auth::bound_scope`).
    pub bound: Option<Binding>,
}

/// The chain user an application's token acts as, and that user's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub chain_user_id: String,
    pub chain_id: String,
}

impl Caller {
    /// May read the records of `tenant`.
    pub fn can_read_tenant(&self, tenant: &str) -> bool {
        match self.role {
            Role::PlatformAdmin => true,
            Role::Auditor if self.tenant_id.is_none() => true,
            _ => self.tenant_id.as_deref() == Some(tenant),
        }
    }

    /// May change `tenant`'s users and settings.
    pub fn can_manage_tenant(&self, tenant: &str) -> bool {
        match self.role {
            Role::PlatformAdmin => true,
            Role::TenantAdmin => self.tenant_id.as_deref() == Some(tenant),
            _ => false,
        }
    }
}

/// The `role` column of a users row.
/// A role name the database holds that no role has.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?} in the database")]
pub struct UnknownRole(String);

impl TryFrom<String> for Role {
    type Error = UnknownRole;

    fn try_from(name: String) -> Result<Role, UnknownRole> {
        Role::parse(&name).ok_or(UnknownRole(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_role_pattern_is_the_tenant_roles() {
        let re = regex::Regex::new(super::TENANT_ROLE_PATTERN).unwrap();
        for role in [Role::PlatformAdmin, Role::TenantAdmin, Role::TenantMember, Role::Auditor] {
            assert_eq!(re.is_match(role.as_str()), role != Role::PlatformAdmin, "{}", role.as_str());
        }
        assert!(!re.is_match("auditor\n") && !re.is_match("Auditor") && !re.is_match(""));
    }

    fn caller(role: Role, tenant: Option<&str>) -> Caller {
        Caller { user_id: "u".into(), username: "u".into(), role, tenant_id: tenant.map(str::to_string), bound: None }
    }

    #[test]
    fn tenant_access_by_role() {
        // (role, own tenant, may read A, may manage A)
        let table = [
            (Role::PlatformAdmin, None, true, true),
            (Role::TenantAdmin, Some("A"), true, true),
            (Role::TenantAdmin, Some("B"), false, false),
            (Role::TenantMember, Some("A"), true, false),
            (Role::TenantMember, Some("B"), false, false),
            (Role::Auditor, Some("A"), true, false),
            (Role::Auditor, Some("B"), false, false),
            (Role::Auditor, None, true, false),
        ];
        for (role, tenant, read, manage) in table {
            let c = caller(role, tenant);
            assert_eq!((c.can_read_tenant("A"), c.can_manage_tenant("A")), (read, manage), "{role:?} of {tenant:?}");
        }
    }

    #[test]
    fn roles_round_trip_their_names() {
        for r in [Role::PlatformAdmin, Role::TenantAdmin, Role::TenantMember, Role::Auditor] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
