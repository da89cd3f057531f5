//! Membership: which certificates an org's roots vouch for, at a given time.
//!
//! Pure: the caller passes the time, so validation is deterministic and a
//! block validated on two peers gets the same verdict.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::certificate::ParsedCrl;
use crate::{IdentityError, IdentityId, ParsedCertificate, PublicKey, Role};

/// A certificate that an org's MSP accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: IdentityId,
    pub org: String,
    pub role: Role,
    pub common_name: String,
    pub public_key: PublicKey,
    pub not_after: i64,
}

/// One org's membership service provider: its roots and revocations.
#[derive(Debug, Clone)]
pub struct Msp {
    org: String,
    roots: Vec<ParsedCertificate>,
    // Revoked serials per issuer name (DER), so two roots' serials cannot collide.
    revoked: HashMap<Vec<u8>, HashSet<Vec<u8>>>,
}

impl Msp {
    /// Builds an MSP from DER root certificates and DER CRLs; each CRL must
    /// be signed by one of the roots.
    pub fn new(org: &str, root_ders: &[Vec<u8>], crl_ders: &[Vec<u8>]) -> Result<Self, IdentityError> {
        if root_ders.is_empty() {
            return Err(IdentityError::NoRoots { org: org.to_owned() });
        }
        let mut roots = Vec::with_capacity(root_ders.len());
        for der in root_ders {
            let root = ParsedCertificate::parse(der)?;
            if !root.is_ca || !root.is_issued_by(&root) {
                return Err(IdentityError::MalformedCertificate(format!(
                    "root '{}' of org '{org}' must be a self-signed CA certificate",
                    root.common_name
                )));
            }
            roots.push(root);
        }
        let mut revoked: HashMap<Vec<u8>, HashSet<Vec<u8>>> = HashMap::new();
        for der in crl_ders {
            let crl = ParsedCrl::parse_and_verify(der, &roots, org)?;
            revoked.entry(crl.issuer_raw).or_default().extend(crl.revoked_serials);
        }
        Ok(Msp { org: org.to_owned(), roots, revoked })
    }

    pub fn from_config(config: &weft_proto::OrgConfig) -> Result<Self, IdentityError> {
        Self::new(&config.org_id, &config.root_certs, &config.crls)
    }

    pub fn org(&self) -> &str {
        &self.org
    }

    /// Checks `cert_der` was issued by one of this org's roots, is within its
    /// validity at `now` (unix seconds), is not revoked and carries a role.
    pub fn validate(&self, cert_der: &[u8], now: i64) -> Result<Identity, IdentityError> {
        let cert = ParsedCertificate::parse(cert_der)?;
        let subject = cert.common_name.clone();
        let root = self
            .roots
            .iter()
            .find(|root| cert.issuer_raw == root.subject_raw)
            .ok_or_else(|| IdentityError::UnknownIssuer { subject: subject.clone(), org: self.org.clone() })?;
        if !cert.is_issued_by(root) {
            return Err(IdentityError::BadCertificateSignature { subject });
        }
        if cert.is_ca {
            return Err(IdentityError::CaAsIdentity { subject });
        }
        for c in [&cert, root] {
            if now < c.not_before {
                return Err(IdentityError::NotYetValid { subject: c.common_name.clone(), not_before: c.not_before });
            }
            if now > c.not_after {
                return Err(IdentityError::Expired { subject: c.common_name.clone(), not_after: c.not_after });
            }
        }
        if self.revoked.get(&cert.issuer_raw).is_some_and(|serials| serials.contains(&cert.serial)) {
            return Err(IdentityError::Revoked { subject, serial: hex::encode(&cert.serial), org: self.org.clone() });
        }
        let found_org = cert.org.clone().unwrap_or_default();
        if found_org != self.org {
            return Err(IdentityError::WrongOrg { subject, expected: self.org.clone(), found: found_org });
        }
        let role = cert.organizational_unit.as_deref().and_then(|ou| ou.parse::<Role>().ok()).ok_or_else(|| {
            IdentityError::MissingRole { subject: subject.clone(), found: cert.organizational_unit.clone() }
        })?;
        Ok(Identity {
            id: cert.id,
            org: self.org.clone(),
            role,
            common_name: subject,
            public_key: cert.public_key,
            not_after: cert.not_after,
        })
    }
}

/// The MSPs of every org in a channel, by org id.
#[derive(Debug, Clone, Default)]
pub struct Membership {
    msps: BTreeMap<String, Msp>,
}

impl Membership {
    pub fn from_orgs(orgs: &[weft_proto::OrgConfig]) -> Result<Self, IdentityError> {
        let mut msps = BTreeMap::new();
        for org in orgs {
            msps.insert(org.org_id.clone(), Msp::from_config(org)?);
        }
        Ok(Membership { msps })
    }

    pub fn insert(&mut self, msp: Msp) {
        self.msps.insert(msp.org.clone(), msp);
    }

    pub fn org_ids(&self) -> Vec<String> {
        self.msps.keys().cloned().collect()
    }

    pub fn msp(&self, org: &str) -> Option<&Msp> {
        self.msps.get(org)
    }

    /// Validates a serialized identity against the MSP of the org it names.
    pub fn validate(&self, identity: &weft_proto::SerializedIdentity, now: i64) -> Result<Identity, IdentityError> {
        let msp = self.msps.get(&identity.org_id).ok_or_else(|| IdentityError::UnknownIssuer {
            subject: "(unparsed)".to_owned(),
            org: identity.org_id.clone(),
        })?;
        msp.validate(&identity.certificate_der, now)
    }
}
