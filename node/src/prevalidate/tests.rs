//! One row per way a transaction can fail the committer's checks, with real
//! certificates and signatures.

use std::collections::BTreeMap;

use prost::Message;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use weft_identity::{CertificateAuthority, Membership, Policy, Revocation, Role, SigningKeyPair, Validity};
use weft_proto::{
    payload, ChannelConfig, ChannelHeader, ConfigUpdateEnvelope, EndorsedTransaction, Endorsement, Envelope,
    HeaderType, OrgConfig, Payload, Proposal, ProposalResult, SerializedIdentity, SignatureWithIdentity,
    TransientEntry, TxValidationCode as Code,
};

use super::{prevalidate, TxRules};

const CH: &str = "weft";

struct Member {
    key: SigningKeyPair,
    id: SerializedIdentity,
}

struct World {
    org_configs: Vec<OrgConfig>,
    membership: Membership,
    orgs: Vec<String>,
    policies: BTreeMap<String, Policy>,
    admins: Policy,
    client: Member,
    revoked: Member,
    peer1: Member,
    peer2: Member,
    admin1: Member,
    admin2: Member,
    expires_at: i64,
}

fn member(ca: &CertificateAuthority, name: &str, role: Role, days: i64) -> Member {
    let (key, cert) = ca.issue_new(name, role, Validity::days_from_now(days)).unwrap();
    Member { key, id: SerializedIdentity { org_id: ca.org().into(), certificate_der: cert } }
}

fn world() -> World {
    let ca1 = CertificateAuthority::create("Org1", Validity::days_from_now(3650)).unwrap();
    let ca2 = CertificateAuthority::create("Org2", Validity::days_from_now(3650)).unwrap();
    let revoked = member(&ca1, "mallory", Role::Client, 30);
    let serial = weft_identity::ParsedCertificate::parse(&revoked.id.certificate_der).unwrap().serial;
    let now = OffsetDateTime::now_utc();
    let crl = ca1.crl(&[Revocation { serial, revoked_at: now }], 1, now, now + time::Duration::days(30)).unwrap();
    let orgs = [
        OrgConfig { org_id: "Org1".into(), root_certs: vec![ca1.certificate_der().to_vec()], crls: vec![crl] },
        OrgConfig { org_id: "Org2".into(), root_certs: vec![ca2.certificate_der().to_vec()], crls: vec![] },
    ];
    let client = member(&ca1, "client", Role::Client, 30);
    let expires_at = weft_identity::ParsedCertificate::parse(&client.id.certificate_der).unwrap().not_after;
    World {
        org_configs: orgs.to_vec(),
        membership: Membership::from_orgs(&orgs).unwrap(),
        orgs: vec!["Org1".into(), "Org2".into()],
        policies: BTreeMap::from([("asset".to_string(), Policy::parse("AND('Org1.peer', 'Org2.peer')").unwrap())]),
        admins: Policy::parse("MAJORITY(admin)").unwrap(),
        client,
        revoked,
        peer1: member(&ca1, "peer0.org1", Role::Peer, 30),
        peer2: member(&ca2, "peer0.org2", Role::Peer, 30),
        admin1: member(&ca1, "admin.org1", Role::Admin, 30),
        admin2: member(&ca2, "admin.org2", Role::Admin, 30),
        expires_at,
    }
}

fn header(creator: &Member, kind: HeaderType, nonce: &[u8]) -> ChannelHeader {
    let tx_id = Sha256::new().chain_update(nonce).chain_update(&creator.id.certificate_der).finalize().to_vec();
    ChannelHeader {
        r#type: kind as i32,
        channel_id: CH.into(),
        tx_id,
        timestamp_unix_ms: 0,
        creator: Some(creator.id.clone()),
        nonce: nonce.to_vec(),
    }
}

fn sign_envelope(creator: &Member, payload: Payload) -> Vec<u8> {
    let payload = payload.encode_to_vec();
    let signature = creator.key.sign(&payload).to_bytes().to_vec();
    Envelope { payload, signature }.encode_to_vec()
}

fn endorsed(creator: &Member, contract: &str, endorsers: &[&Member], edit: impl FnOnce(&mut Payload)) -> Vec<u8> {
    let tx_header = header(creator, HeaderType::EndorserTransaction, b"nonce-1");
    let proposal_bytes =
        Proposal { header: Some(tx_header.clone()), contract: contract.into(), ..Default::default() }.encode_to_vec();
    let proposal_hash = Sha256::digest(&proposal_bytes).to_vec();
    let result_bytes =
        ProposalResult { contract: contract.into(), proposal_hash, ..Default::default() }.encode_to_vec();
    let endorsements = endorsers
        .iter()
        .map(|e| Endorsement {
            endorser: Some(e.id.clone()),
            signature: e.key.sign(&[result_bytes.as_slice(), &e.id.certificate_der].concat()).to_bytes().to_vec(),
        })
        .collect();
    let mut payload = Payload {
        header: Some(tx_header),
        body: Some(payload::Body::Transaction(EndorsedTransaction { proposal_bytes, result_bytes, endorsements })),
    };
    edit(&mut payload);
    sign_envelope(creator, payload)
}

/// Changes the proposal carried in the transaction (after endorsement).
fn edit_proposal(p: &mut Payload, f: impl FnOnce(&mut Proposal)) {
    if let Some(payload::Body::Transaction(tx)) = &mut p.body {
        let mut proposal = Proposal::decode(tx.proposal_bytes.as_slice()).unwrap();
        f(&mut proposal);
        tx.proposal_bytes = proposal.encode_to_vec();
    }
}

/// The next channel configuration (sequence 1), as `edit` leaves it.
fn next_config(w: &World, edit: impl FnOnce(&mut ChannelConfig)) -> Vec<u8> {
    let mut config = ChannelConfig {
        channel_id: CH.into(),
        sequence: 1,
        orgs: w.org_configs.clone(),
        policies: [("Admins", "MAJORITY(admin)"), ("Endorsement", "MAJORITY(peer)")]
            .iter()
            .map(|(n, r)| weft_proto::Policy { name: n.to_string(), rule: r.to_string() })
            .collect(),
        ..Default::default()
    };
    edit(&mut config);
    config.encode_to_vec()
}

fn config(creator: &Member, signers: &[&Member], config_bytes: Vec<u8>) -> Vec<u8> {
    let signatures = signers
        .iter()
        .map(|s| SignatureWithIdentity {
            signer: Some(s.id.clone()),
            signature: s.key.sign(&config_bytes).to_bytes().to_vec(),
        })
        .collect();
    sign_envelope(
        creator,
        Payload {
            header: Some(header(creator, HeaderType::Config, b"cfg")),
            body: Some(payload::Body::ConfigUpdate(ConfigUpdateEnvelope { config_bytes, signatures })),
        },
    )
}

fn rules(w: &World, now: i64) -> TxRules<'_> {
    TxRules {
        channel_id: CH,
        membership: &w.membership,
        channel_orgs: &w.orgs,
        endorsement_policies: &w.policies,
        admins: &w.admins,
        lifecycle: &w.admins,
        default_endorsement: &w.admins,
        config_sequence: 0,
        pbft_orderers: None,
        now_unix: now,
    }
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[test]
fn each_way_to_fail_gets_its_code_and_the_rest_stay_valid() {
    let w = world();
    let (p1, p2) = (&w.peer1, &w.peer2);
    let mut tampered = Envelope::decode(endorsed(&w.client, "asset", &[p1, p2], |_| {}).as_slice()).unwrap();
    tampered.signature[0] ^= 1;
    let mut forged_endorsement = endorsed(&w.client, "asset", &[p1, p2], |p| {
        if let Some(payload::Body::Transaction(tx)) = &mut p.body {
            tx.endorsements[1].signature[5] ^= 1;
        }
    });
    // Re-sign so only the endorsement is wrong, not the creator signature.
    let inner = Envelope::decode(forged_endorsement.as_slice()).unwrap();
    forged_endorsement = sign_envelope(&w.client, Payload::decode(inner.payload.as_slice()).unwrap());

    let next = || next_config(&w, |_| {});
    let both = &[&w.admin1, &w.admin2][..];
    let table: Vec<(&str, Vec<u8>, Code)> = vec![
        ("valid", endorsed(&w.client, "asset", &[p1, p2], |_| {}), Code::Valid),
        (
            "one endorsement for AND(Org1, Org2)",
            endorsed(&w.client, "asset", &[p1], |_| {}),
            Code::EndorsementPolicyFailure,
        ),
        ("same peer twice", endorsed(&w.client, "asset", &[p1, p1], |_| {}), Code::EndorsementPolicyFailure),
        ("forged endorsement", forged_endorsement, Code::EndorsementPolicyFailure),
        ("tampered creator signature", tampered.encode_to_vec(), Code::BadCreatorSignature),
        ("unknown contract", endorsed(&w.client, "nope", &[p1, p2], |_| {}), Code::UnknownContract),
        (
            "tx id not from nonce and creator",
            endorsed(&w.client, "asset", &[p1, p2], |p| p.header.as_mut().unwrap().tx_id = vec![7; 32]),
            Code::BadProposalTxid,
        ),
        (
            "other channel",
            endorsed(&w.client, "asset", &[p1, p2], |p| p.header.as_mut().unwrap().channel_id = "other".into()),
            Code::BadChannel,
        ),
        ("revoked creator", endorsed(&w.revoked, "asset", &[p1, p2], |_| {}), Code::RevokedCreator),
        (
            "result endorsed for another proposal",
            endorsed(&w.client, "asset", &[p1, p2], |p| edit_proposal(p, |pr| pr.function = "Other".into())),
            Code::BadPayload,
        ),
        (
            "transient data on the ledger",
            endorsed(&w.client, "asset", &[p1, p2], |p| {
                edit_proposal(p, |pr| pr.transient.push(TransientEntry { key: "k".into(), value: b"secret".to_vec() }))
            }),
            Code::BadPayload,
        ),
        ("garbage", b"\xff\xff\xff".to_vec(), Code::BadPayload),
        ("empty", vec![], Code::NilEnvelope),
        ("config signed by one of two admins", config(&w.admin1, &[&w.admin1], next()), Code::InvalidConfigTransaction),
        ("config signed by peers", config(&w.admin1, &[p1, p2], next()), Code::InvalidConfigTransaction),
        ("config signed by both admins", config(&w.admin1, both, next()), Code::Valid),
        ("a second config in the same block", config(&w.admin1, both, next()), Code::InvalidConfigTransaction),
        (
            "config with a stale sequence",
            config(&w.admin1, both, next_config(&w, |c| c.sequence = 0)),
            Code::InvalidConfigTransaction,
        ),
        (
            "config for another channel",
            config(&w.admin1, both, next_config(&w, |c| c.channel_id = "other".into())),
            Code::InvalidConfigTransaction,
        ),
        (
            "config without an Admins policy",
            config(&w.admin1, both, next_config(&w, |c| c.policies.clear())),
            Code::InvalidConfigTransaction,
        ),
        ("config that is not a config", config(&w.admin1, both, b"garbage".to_vec()), Code::InvalidConfigTransaction),
    ];
    let envelopes: Vec<Vec<u8>> = table.iter().map(|(_, e, _)| e.clone()).collect();
    let codes = prevalidate(&envelopes, &rules(&w, now()));
    for ((name, _, want), got) in table.iter().zip(&codes) {
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn certificates_are_judged_at_the_given_time() {
    let w = world();
    let tx = endorsed(&w.client, "asset", &[&w.peer1, &w.peer2], |_| {});
    assert_eq!(prevalidate(std::slice::from_ref(&tx), &rules(&w, now())), [Code::Valid]);
    assert_eq!(prevalidate(&[tx], &rules(&w, w.expires_at + 1)), [Code::ExpiredCreator]);
}

#[test]
fn a_large_block_split_across_threads_gets_the_same_verdicts() {
    // 100 transactions × 3 signatures: enough for several verification
    // threads. One forged endorsement and one tampered creator signature
    // in different chunks must hit exactly their own transactions.
    let w = world();
    let (p1, p2) = (&w.peer1, &w.peer2);
    let mut envelopes: Vec<Vec<u8>> = (0..100).map(|_| endorsed(&w.client, "asset", &[p1, p2], |_| {})).collect();
    let forged = endorsed(&w.client, "asset", &[p1, p2], |p| {
        if let Some(payload::Body::Transaction(tx)) = &mut p.body {
            tx.endorsements[0].signature[3] ^= 1;
        }
    });
    envelopes[7] = forged;
    let mut tampered = Envelope::decode(envelopes[93].as_slice()).unwrap();
    tampered.signature[0] ^= 1;
    envelopes[93] = tampered.encode_to_vec();
    let codes = prevalidate(&envelopes, &rules(&w, now()));
    for (i, code) in codes.iter().enumerate() {
        let expected = match i {
            7 => Code::EndorsementPolicyFailure,
            93 => Code::BadCreatorSignature,
            _ => Code::Valid,
        };
        assert_eq!(*code, expected, "transaction {i}");
    }
}

#[test]
fn a_pbft_channel_keeps_its_orderers_and_its_engine() {
    let w = world();
    let both: &[&Member] = &[&w.admin1, &w.admin2];
    let orderer = |m: &Member, id: &str| weft_proto::NodeConfig {
        node_id: id.into(),
        org_id: m.id.org_id.clone(),
        certificate_der: m.id.certificate_der.clone(),
        roles: vec![weft_proto::NodeRole::Orderer as i32, weft_proto::NodeRole::Peer as i32],
        ..Default::default()
    };
    let pbft = Some(weft_proto::ConsensusConfig { r#type: weft_proto::ConsensusType::Pbft as i32, params: None });
    let fixed = [w.peer1.id.certificate_der.clone(), w.peer2.id.certificate_der.clone()];
    let base = |c: &mut ChannelConfig| {
        c.consensus = pbft;
        c.nodes = vec![orderer(&w.peer2, "node0.org2"), orderer(&w.peer1, "node0.org1")];
    };
    let verdict = |edit: &dyn Fn(&mut ChannelConfig)| {
        let update = config(&w.admin1, both, next_config(&w, |c| edit(c)));
        let rules = TxRules { pbft_orderers: Some(&fixed), ..rules(&w, now()) };
        prevalidate(&[update], &rules)[0]
    };
    assert_eq!(verdict(&|c| base(c)), Code::Valid, "the same orderers, in any order");
    let added = |c: &mut ChannelConfig| {
        base(c);
        c.nodes.push(orderer(&w.admin1, "node1.org1"));
    };
    assert_eq!(verdict(&added), Code::InvalidConfigTransaction, "an orderer more");
    let left = |c: &mut ChannelConfig| {
        base(c);
        c.consensus = None;
    };
    assert_eq!(verdict(&left), Code::InvalidConfigTransaction, "no longer pbft");
}
