use std::fmt;
use std::str::FromStr;

/// What a certificate's holder may do; carried in the certificate's OU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Peer,
    Orderer,
    Admin,
    Client,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Peer, Role::Orderer, Role::Admin, Role::Client];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Peer => "peer",
            Role::Orderer => "orderer",
            Role::Admin => "admin",
            Role::Client => "client",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown role '{s}', expected one of peer, orderer, admin, client"))
    }
}
