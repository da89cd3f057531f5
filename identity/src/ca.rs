//! A per-org certificate authority: a self-signed Ed25519 root that issues
//! role certificates and signs CRLs.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::{IdentityError, ParsedCertificate, PublicKey, Role, SigningKeyPair};

/// How long an issued certificate is valid.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// From an hour ago (tolerating clock skew between hosts) for `days`.
    pub fn days_from_now(days: i64) -> Self {
        let now = OffsetDateTime::now_utc();
        Validity { not_before: now - Duration::hours(1), not_after: now + Duration::days(days) }
    }
}

pub struct CertificateAuthority {
    org: String,
    key: SigningKeyPair,
    cert_der: Vec<u8>,
    issuer: Issuer<'static, SigningKeyPair>,
}

/// A certificate to revoke and when it was revoked.
#[derive(Debug, Clone)]
pub struct Revocation {
    pub serial: Vec<u8>,
    pub revoked_at: OffsetDateTime,
}

fn key_id(key: &impl rcgen::PublicKeyData) -> KeyIdMethod {
    // RFC 7093 method 1 (truncated sha256 of the SPKI), computed here because
    // rcgen only hashes with a ring/aws-lc backend we do not otherwise need.
    KeyIdMethod::PreSpecified(Sha256::digest(key.subject_public_key_info())[..20].to_vec())
}

fn san(host: &str) -> Result<SanType, IdentityError> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let bad = || {
        IdentityError::MalformedCertificate(format!(
            "'{host}' is neither an IP address nor a host name (letters, digits, '-' and '.')"
        ))
    };
    if !is_host_name(host) {
        return Err(bad());
    }
    host.to_string().try_into().map(SanType::DnsName).map_err(|_| bad())
}

fn is_host_name(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f; // positive, as RFC 5280 requires
    bytes[0] |= 0x01; // and without a leading zero byte, so it round-trips exactly
    SerialNumber::from_slice(&bytes)
}

fn ca_params(org: &str, key: &SigningKeyPair, validity: Validity) -> CertificateParams {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("ca.{org}"));
    dn.push(DnType::OrganizationName, org);
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.serial_number = Some(random_serial());
    params.key_identifier_method = key_id(key);
    params
}

impl CertificateAuthority {
    /// A new root CA for `org` with a fresh key.
    pub fn create(org: &str, validity: Validity) -> Result<Self, IdentityError> {
        Self::create_with_key(org, SigningKeyPair::generate(), validity)
    }

    pub fn create_with_key(org: &str, key: SigningKeyPair, validity: Validity) -> Result<Self, IdentityError> {
        let params = ca_params(org, &key, validity);
        let cert_der = params.self_signed(&key)?.der().to_vec();
        Self::from_parts(org, key, cert_der)
    }

    /// Reloads a CA from its key and certificate (as written by `create`).
    pub fn from_parts(org: &str, key: SigningKeyPair, cert_der: Vec<u8>) -> Result<Self, IdentityError> {
        let parsed = ParsedCertificate::parse(&cert_der)?;
        if parsed.public_key != key.public_key() {
            return Err(IdentityError::MalformedKey(format!(
                "the key does not belong to CA certificate '{}'",
                parsed.common_name
            )));
        }
        // Issued certificates must name this CA exactly as its own certificate
        // does; rebuilding the name from the same parts encodes it the same way.
        if !parsed.is_ca || parsed.common_name != format!("ca.{org}") || parsed.org.as_deref() != Some(org) {
            return Err(IdentityError::MalformedCertificate(format!(
                "'{}' is not a Weft CA certificate for org '{org}'",
                parsed.common_name
            )));
        }
        let validity = Validity {
            not_before: OffsetDateTime::from_unix_timestamp(parsed.not_before)
                .map_err(|e| IdentityError::MalformedCertificate(e.to_string()))?,
            not_after: OffsetDateTime::from_unix_timestamp(parsed.not_after)
                .map_err(|e| IdentityError::MalformedCertificate(e.to_string()))?,
        };
        let issuer = Issuer::new(ca_params(org, &key, validity), key.clone());
        Ok(CertificateAuthority { org: org.to_owned(), key, cert_der, issuer })
    }

    pub fn org(&self) -> &str {
        &self.org
    }

    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    pub fn key(&self) -> &SigningKeyPair {
        &self.key
    }

    /// Issues a certificate binding `public_key` to `common_name`, this org
    /// and `role`; returns its DER.
    pub fn issue(
        &self,
        common_name: &str,
        role: Role,
        public_key: &PublicKey,
        validity: Validity,
    ) -> Result<Vec<u8>, IdentityError> {
        self.issue_for_hosts(common_name, role, public_key, validity, &[])
    }

    /// Like [`issue`](Self::issue), and also usable as a TLS server and
    /// client certificate for `hosts` (DNS names or IP addresses, put in the
    /// subject alternative names). Nodes use one key for signing and TLS.
    pub fn issue_for_hosts(
        &self,
        common_name: &str,
        role: Role,
        public_key: &PublicKey,
        validity: Validity,
        hosts: &[String],
    ) -> Result<Vec<u8>, IdentityError> {
        let subject_key = SubjectKey(public_key.to_bytes());
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, self.org.as_str());
        dn.push(DnType::OrganizationalUnitName, role.as_str());
        let mut params = CertificateParams::default();
        params.distinguished_name = dn;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = validity.not_before;
        params.not_after = validity.not_after;
        params.serial_number = Some(random_serial());
        params.key_identifier_method = key_id(&subject_key);
        params.use_authority_key_identifier_extension = true;
        if !hosts.is_empty() {
            params.subject_alt_names = hosts.iter().map(|h| san(h)).collect::<Result<_, _>>()?;
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        }
        Ok(params.signed_by(&subject_key, &self.issuer)?.der().to_vec())
    }

    /// Generates a key and issues a certificate for it.
    pub fn issue_new(
        &self,
        common_name: &str,
        role: Role,
        validity: Validity,
    ) -> Result<(SigningKeyPair, Vec<u8>), IdentityError> {
        let key = SigningKeyPair::generate();
        let cert = self.issue(common_name, role, &key.public_key(), validity)?;
        Ok((key, cert))
    }

    /// A CRL listing `revoked`, valid from `this_update` to `next_update`.
    pub fn crl(
        &self,
        revoked: &[Revocation],
        crl_number: u64,
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<Vec<u8>, IdentityError> {
        let params = CertificateRevocationListParams {
            this_update,
            next_update,
            crl_number: SerialNumber::from(crl_number),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|r| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&r.serial),
                    revocation_time: r.revoked_at,
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: key_id(&self.key),
        };
        Ok(params.signed_by(&self.issuer)?.der().to_vec())
    }
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority").field("org", &self.org).finish_non_exhaustive()
    }
}

/// The public half of a key being certified.
struct SubjectKey([u8; 32]);

impl rcgen::PublicKeyData for SubjectKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ED25519
    }
}
