//! Signature policies: who must have signed for something to count.
//!
//! Grammar (keywords are case-insensitive, principals are quoted):
//!
//! ```text
//! policy    := AND(policy, …) | OR(policy, …) | OutOf(n, policy, …)
//!            | MAJORITY[(role)] | ANY[(role)] | ALL[(role)] | principal
//! principal := 'Org.role'            role: peer | orderer | admin | client | member
//! ```
//!
//! `MAJORITY`, `ANY` and `ALL` range over the channel's orgs: more than half,
//! at least one, or every org must have a signer with the role (`member`,
//! any role, when omitted). Every signing identity is counted once: `AND('Org1.peer',
//! 'Org1.peer')` needs two different Org1 peers.

mod eval;
mod parser;

use std::fmt;

use crate::Role;

pub use eval::Signer;
pub use parser::PolicyParseError;

/// The role a principal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleMatch {
    /// Any certificate of the org.
    Member,
    Role(Role),
}

impl RoleMatch {
    fn matches(self, role: Role) -> bool {
        match self {
            RoleMatch::Member => true,
            RoleMatch::Role(r) => r == role,
        }
    }
}

impl fmt::Display for RoleMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleMatch::Member => f.write_str("member"),
            RoleMatch::Role(r) => write!(f, "{r}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub org: String,
    pub role: RoleMatch,
}

/// How many of the channel's orgs must sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgThreshold {
    Majority,
    Any,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    SignedBy(Principal),
    And(Vec<Policy>),
    Or(Vec<Policy>),
    OutOf(usize, Vec<Policy>),
    Orgs(OrgThreshold, RoleMatch),
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, PolicyParseError> {
        parser::parse(text)
    }

    /// Whether the signers satisfy the policy; `channel_orgs` gives the orgs
    /// MAJORITY/ANY/ALL range over. Signers should already be verified.
    pub fn is_satisfied_by(&self, signers: &[Signer], channel_orgs: &[String]) -> bool {
        eval::evaluate(self, signers, channel_orgs)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, items: &[Policy]) -> fmt::Result {
            for (i, p) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{p}")?;
            }
            Ok(())
        }
        match self {
            Policy::SignedBy(p) => write!(f, "'{}.{}'", p.org, p.role),
            Policy::And(items) => {
                f.write_str("AND(")?;
                list(f, items)?;
                f.write_str(")")
            }
            Policy::Or(items) => {
                f.write_str("OR(")?;
                list(f, items)?;
                f.write_str(")")
            }
            Policy::OutOf(n, items) => {
                write!(f, "OutOf({n}, ")?;
                list(f, items)?;
                f.write_str(")")
            }
            Policy::Orgs(t, role) => {
                let name = match t {
                    OrgThreshold::Majority => "MAJORITY",
                    OrgThreshold::Any => "ANY",
                    OrgThreshold::All => "ALL",
                };
                write!(f, "{name}({role})")
            }
        }
    }
}

#[cfg(test)]
mod tests;
