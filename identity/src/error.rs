use thiserror::Error;

/// Why a key, certificate, CRL or signature was not accepted.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdentityError {
    #[error("malformed certificate: {0}")]
    MalformedCertificate(String),
    #[error("malformed CRL: {0}")]
    MalformedCrl(String),
    #[error("malformed key: {0}")]
    MalformedKey(String),
    #[error("unsupported signature algorithm {oid}: Weft certificates are signed with Ed25519 (1.3.101.112)")]
    UnsupportedAlgorithm { oid: String },
    #[error("certificate '{subject}' was not issued by a root CA of org '{org}'; check the org id or re-issue it from that org's CA")]
    UnknownIssuer { subject: String, org: String },
    #[error("certificate '{subject}' has a bad issuer signature: it was altered or signed by another key")]
    BadCertificateSignature { subject: String },
    #[error("certificate '{subject}' expired at {not_after} (unix seconds); issue a new one")]
    Expired { subject: String, not_after: i64 },
    #[error("certificate '{subject}' is not valid before {not_before} (unix seconds); check the clocks")]
    NotYetValid { subject: String, not_before: i64 },
    #[error("certificate '{subject}' (serial {serial}) is revoked by org '{org}'")]
    Revoked { subject: String, serial: String, org: String },
    #[error("certificate '{subject}' names org '{found}' but was presented for org '{expected}'")]
    WrongOrg { subject: String, expected: String, found: String },
    #[error("certificate '{subject}' has no role OU or an unknown one ({found:?}); expected one of peer, orderer, admin, client")]
    MissingRole { subject: String, found: Option<String> },
    #[error("certificate '{subject}' is a CA certificate and cannot sign transactions")]
    CaAsIdentity { subject: String },
    #[error("CRL for org '{org}' is not signed by any of its root CAs")]
    BadCrlSignature { org: String },
    #[error("org '{org}' has no root CA certificate")]
    NoRoots { org: String },
    #[error("signature does not verify")]
    BadSignature,
    #[error("certificate generation failed: {0}")]
    Generation(String),
}

impl From<rcgen::Error> for IdentityError {
    fn from(e: rcgen::Error) -> Self {
        IdentityError::Generation(e.to_string())
    }
}
