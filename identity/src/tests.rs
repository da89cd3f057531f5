//! Certificate rules, one row per way a certificate can be wrong.

use time::{Duration, OffsetDateTime};

use crate::*;

struct Org {
    ca: CertificateAuthority,
}

fn org(name: &str) -> Org {
    Org { ca: CertificateAuthority::create(name, Validity::days_from_now(3650)).unwrap() }
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn serial_of(der: &[u8]) -> Vec<u8> {
    ParsedCertificate::parse(der).unwrap().serial
}

#[test]
fn issued_certificate_validates_with_role_and_org() {
    let org1 = org("Org1");
    let msp = Msp::new("Org1", &[org1.ca.certificate_der().to_vec()], &[]).unwrap();
    for role in Role::ALL {
        let (key, cert) = org1.ca.issue_new(&format!("{role}0.org1"), role, Validity::days_from_now(30)).unwrap();
        let id = msp.validate(&cert, now()).unwrap();
        assert_eq!(id.role, role);
        assert_eq!(id.org, "Org1");
        assert_eq!(id.common_name, format!("{role}0.org1"));
        assert_eq!(id.public_key, key.public_key());
        assert_eq!(id.id, IdentityId::of_der(&cert));
    }
}

#[test]
fn a_certificate_for_hosts_names_them_and_still_validates() {
    let org1 = org("Org1");
    let msp = Msp::new("Org1", &[org1.ca.certificate_der().to_vec()], &[]).unwrap();
    let key = SigningKeyPair::generate();
    let hosts = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let cert = org1
        .ca
        .issue_for_hosts("peer0.org1", Role::Peer, &key.public_key(), Validity::days_from_now(30), &hosts)
        .unwrap();
    assert_eq!(msp.validate(&cert, now()).unwrap().role, Role::Peer);
    let (_, parsed) = x509_parser::parse_x509_certificate(&cert).unwrap();
    let san = parsed.subject_alternative_name().unwrap().expect("has SANs").value;
    let names: Vec<String> = san.general_names.iter().map(|n| n.to_string()).collect();
    assert_eq!(names, ["DNSName(localhost)", "IPAddress(7f:00:00:01)"]);
    assert!(parsed.extended_key_usage().unwrap().expect("has EKU").value.server_auth);
    let bad =
        org1.ca.issue_for_hosts("x", Role::Peer, &key.public_key(), Validity::days_from_now(1), &["bad host!".into()]);
    assert!(bad.is_err());
}

#[test]
fn certificate_rules_table() {
    let org1 = org("Org1");
    let org2 = org("Org2");
    let msp1 = |crls: &[Vec<u8>]| Msp::new("Org1", &[org1.ca.certificate_der().to_vec()], crls).unwrap();
    let t = OffsetDateTime::now_utc();
    let key = SigningKeyPair::generate().public_key();

    let good = org1.ca.issue("good", Role::Client, &key, Validity::days_from_now(30)).unwrap();
    let expired = org1
        .ca
        .issue(
            "old",
            Role::Client,
            &key,
            Validity { not_before: t - Duration::days(10), not_after: t - Duration::days(1) },
        )
        .unwrap();
    let future = org1
        .ca
        .issue(
            "future",
            Role::Client,
            &key,
            Validity { not_before: t + Duration::days(1), not_after: t + Duration::days(10) },
        )
        .unwrap();
    let foreign = org2.ca.issue("foreign", Role::Client, &key, Validity::days_from_now(30)).unwrap();
    let revoked = org1.ca.issue("revoked", Role::Client, &key, Validity::days_from_now(30)).unwrap();
    let crl = org1
        .ca
        .crl(
            &[Revocation { serial: serial_of(&revoked), revoked_at: t }],
            1,
            t - Duration::minutes(1),
            t + Duration::days(7),
        )
        .unwrap();
    let mut tampered = good.clone();
    let idx = tampered.windows(4).position(|w| w == b"good").unwrap();
    tampered[idx] = b'G';

    type Check = fn(&IdentityError) -> bool;
    type Row<'a> = (&'a str, &'a [u8], Vec<Vec<u8>>, Check);
    let table: Vec<Row> = vec![
        ("expired", &expired, vec![], |e| matches!(e, IdentityError::Expired { .. })),
        ("not yet valid", &future, vec![], |e| matches!(e, IdentityError::NotYetValid { .. })),
        ("foreign CA", &foreign, vec![], |e| matches!(e, IdentityError::UnknownIssuer { .. })),
        ("revoked", &revoked, vec![crl.clone()], |e| matches!(e, IdentityError::Revoked { .. })),
        ("tampered", &tampered, vec![], |e| matches!(e, IdentityError::BadCertificateSignature { .. })),
        ("garbage", b"not a certificate", vec![], |e| matches!(e, IdentityError::MalformedCertificate(_))),
        ("CA as identity", org1.ca.certificate_der(), vec![], |e| matches!(e, IdentityError::CaAsIdentity { .. })),
    ];
    for (name, cert, crls, check) in table {
        let err = msp1(&crls).validate(cert, now()).expect_err(name);
        assert!(check(&err), "{name}: got {err}");
    }
    // The CRL revokes only what it lists.
    assert!(msp1(&[crl]).validate(&good, now()).is_ok());
    assert!(msp1(&[]).validate(&revoked, now()).is_ok());
}

#[test]
fn crl_must_be_signed_by_the_org_root() {
    let org1 = org("Org1");
    let org2 = org("Org2");
    let t = OffsetDateTime::now_utc();
    let foreign_crl = org2.ca.crl(&[], 1, t, t + Duration::days(1)).unwrap();
    let err = Msp::new("Org1", &[org1.ca.certificate_der().to_vec()], &[foreign_crl]).unwrap_err();
    assert_eq!(err, IdentityError::BadCrlSignature { org: "Org1".into() });
    let garbage = Msp::new("Org1", &[org1.ca.certificate_der().to_vec()], &[vec![0x30, 0x03, 1, 2, 3]]).unwrap_err();
    assert!(matches!(garbage, IdentityError::MalformedCrl(_)), "{garbage}");
}

#[test]
fn wrong_org_in_a_shared_root_is_rejected() {
    // An MSP configured with another org's root must not accept its members
    // as its own.
    let org2 = org("Org2");
    let msp = Msp::new("Org1", &[org2.ca.certificate_der().to_vec()], &[]).unwrap();
    let (_, cert) = org2.ca.issue_new("x", Role::Peer, Validity::days_from_now(1)).unwrap();
    assert!(matches!(msp.validate(&cert, now()), Err(IdentityError::WrongOrg { .. })));
}

#[test]
fn ca_reloads_from_its_parts() {
    let org1 = org("Org1");
    let pem = org1.ca.key().to_pkcs8_pem();
    let reloaded = CertificateAuthority::from_parts(
        "Org1",
        SigningKeyPair::from_pkcs8_pem(&pem).unwrap(),
        org1.ca.certificate_der().to_vec(),
    )
    .unwrap();
    let (_, cert) = reloaded.issue_new("peer0", Role::Peer, Validity::days_from_now(1)).unwrap();
    let msp = Msp::new("Org1", &[org1.ca.certificate_der().to_vec()], &[]).unwrap();
    assert_eq!(msp.validate(&cert, now()).unwrap().role, Role::Peer);
    let wrong_key =
        CertificateAuthority::from_parts("Org1", SigningKeyPair::generate(), org1.ca.certificate_der().to_vec());
    assert!(matches!(wrong_key, Err(IdentityError::MalformedKey(_))));
}

#[test]
fn membership_routes_by_org_and_feeds_policies() {
    let org1 = org("Org1");
    let org2 = org("Org2");
    let cfg = |o: &Org| weft_proto::OrgConfig {
        org_id: o.ca.org().to_owned(),
        root_certs: vec![o.ca.certificate_der().to_vec()],
        crls: vec![],
    };
    let membership = Membership::from_orgs(&[cfg(&org1), cfg(&org2)]).unwrap();
    let (_, c1) = org1.ca.issue_new("peer0.org1", Role::Peer, Validity::days_from_now(1)).unwrap();
    let (_, c2) = org2.ca.issue_new("peer0.org2", Role::Peer, Validity::days_from_now(1)).unwrap();
    let signers: Vec<Signer> = [("Org1", c1), ("Org2", c2.clone())]
        .into_iter()
        .map(|(org, der)| {
            let id = membership
                .validate(&weft_proto::SerializedIdentity { org_id: org.into(), certificate_der: der }, now())
                .unwrap();
            Signer { id: id.id, org: id.org, role: id.role }
        })
        .collect();
    let policy = Policy::parse("AND('Org1.peer', 'Org2.peer')").unwrap();
    assert!(policy.is_satisfied_by(&signers, &membership.org_ids()));
    assert!(!policy.is_satisfied_by(&signers[..1], &membership.org_ids()));
    // Presenting Org2's certificate as Org1 fails.
    let lie = weft_proto::SerializedIdentity { org_id: "Org1".into(), certificate_der: c2 };
    assert!(membership.validate(&lie, now()).is_err());
}
