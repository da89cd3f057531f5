//! Certificates and CRLs from channel configurations and requests: any
//! bytes parse or are refused, as a certificate, as an org's root and as
//! its CRL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weft_identity::{Membership, ParsedCertificate};
use weft_proto::{OrgConfig, SerializedIdentity};

fuzz_target!(|data: &[u8]| {
    let _ = ParsedCertificate::parse(data);
    let (root, crl) = data.split_at(data.len() / 2);
    let org = OrgConfig { org_id: "Org1".into(), root_certs: vec![root.to_vec()], crls: vec![crl.to_vec()] };
    if let Ok(m) = Membership::from_orgs(&[org]) {
        let who = SerializedIdentity { org_id: "Org1".into(), certificate_der: data.to_vec() };
        let _ = m.validate(&who, 1_700_000_000);
    }
});
