//! A parsed X.509 certificate: the fields Weft reads, copied out of the DER.

use sha2::{Digest, Sha256};
use x509_parser::oid_registry::OID_SIG_ED25519;
use x509_parser::prelude::*;

use crate::{IdentityError, PublicKey};

/// sha256 of a certificate's DER: how one identity is told from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityId(pub [u8; 32]);

impl IdentityId {
    pub fn of_der(der: &[u8]) -> Self {
        IdentityId(Sha256::digest(der).into())
    }
}

impl std::fmt::Display for IdentityId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

#[derive(Debug, Clone)]
pub struct ParsedCertificate {
    pub id: IdentityId,
    pub common_name: String,
    pub org: Option<String>,
    pub organizational_unit: Option<String>,
    /// Serial number, big-endian without leading zeros.
    pub serial: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
    pub public_key: PublicKey,
    pub(crate) subject_raw: Vec<u8>,
    pub(crate) issuer_raw: Vec<u8>,
    pub(crate) tbs: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

fn first_str<'a>(mut it: impl Iterator<Item = &'a AttributeTypeAndValue<'a>>) -> Option<String> {
    it.next().and_then(|a| a.as_str().ok()).map(str::to_owned)
}

impl ParsedCertificate {
    pub fn parse(der: &[u8]) -> Result<Self, IdentityError> {
        let (rest, cert) =
            parse_x509_certificate(der).map_err(|e| IdentityError::MalformedCertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(IdentityError::MalformedCertificate(format!(
                "{} trailing bytes after the certificate",
                rest.len()
            )));
        }
        if cert.signature_algorithm.algorithm != OID_SIG_ED25519 {
            return Err(IdentityError::UnsupportedAlgorithm { oid: cert.signature_algorithm.algorithm.to_id_string() });
        }
        let spki = cert.public_key();
        if spki.algorithm.algorithm != OID_SIG_ED25519 {
            return Err(IdentityError::UnsupportedAlgorithm { oid: spki.algorithm.algorithm.to_id_string() });
        }
        let public_key = PublicKey::from_bytes(&spki.subject_public_key.data)?;
        let subject = cert.subject();
        Ok(ParsedCertificate {
            id: IdentityId::of_der(der),
            common_name: first_str(subject.iter_common_name()).unwrap_or_default(),
            org: first_str(subject.iter_organization()),
            organizational_unit: first_str(subject.iter_organizational_unit()),
            serial: cert.serial.to_bytes_be(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            is_ca: cert.is_ca(),
            public_key,
            subject_raw: subject.as_raw().to_vec(),
            issuer_raw: cert.issuer().as_raw().to_vec(),
            tbs: cert.tbs_certificate.as_ref().to_vec(),
            signature: cert.signature_value.data.to_vec(),
        })
    }

    /// Whether `issuer` signed this certificate (name and signature match).
    pub fn is_issued_by(&self, issuer: &ParsedCertificate) -> bool {
        self.issuer_raw == issuer.subject_raw && self.verify_signature(&issuer.public_key)
    }

    fn verify_signature(&self, key: &PublicKey) -> bool {
        crate::Signature::from_bytes(&self.signature).and_then(|sig| key.verify(&self.tbs, &sig)).is_ok()
    }
}

/// A parsed CRL whose signature was checked against one of an org's roots.
#[derive(Debug, Clone)]
pub(crate) struct ParsedCrl {
    pub issuer_raw: Vec<u8>,
    pub revoked_serials: Vec<Vec<u8>>,
}

impl ParsedCrl {
    pub fn parse_and_verify(der: &[u8], roots: &[ParsedCertificate], org: &str) -> Result<Self, IdentityError> {
        let (_, crl) = parse_x509_crl(der).map_err(|e| IdentityError::MalformedCrl(e.to_string()))?;
        if crl.signature_algorithm.algorithm != OID_SIG_ED25519 {
            return Err(IdentityError::UnsupportedAlgorithm { oid: crl.signature_algorithm.algorithm.to_id_string() });
        }
        let issuer_raw = crl.issuer().as_raw().to_vec();
        let signature = crate::Signature::from_bytes(&crl.signature_value.data)
            .map_err(|_| IdentityError::BadCrlSignature { org: org.to_owned() })?;
        let signed_by_root = roots.iter().any(|root| {
            root.subject_raw == issuer_raw && root.public_key.verify(crl.tbs_cert_list.as_ref(), &signature).is_ok()
        });
        if !signed_by_root {
            return Err(IdentityError::BadCrlSignature { org: org.to_owned() });
        }
        Ok(ParsedCrl {
            issuer_raw,
            revoked_serials: crl.iter_revoked_certificates().map(|r| r.serial().to_bytes_be()).collect(),
        })
    }
}
