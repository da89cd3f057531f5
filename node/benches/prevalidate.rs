//! The committer's checks on a full block: 500 transactions, each with a
//! creator signature and two endorsements from two orgs (1,500 Ed25519
//! signatures), against AND('Org1.peer', 'Org2.peer').
//!
//! `cargo bench --workspace --bench prevalidate`; figures in docs/BENCHMARKS.md.

use std::collections::BTreeMap;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prost::Message;
use weft_identity::{CertificateAuthority, Membership, Policy, Role, SigningKeyPair, Validity};
use weft_node::{prevalidate, TxRules};
use weft_proto::{
    Endorsement, OrgConfig, Proposal, ProposalResponse, ProposalResult, Response, SerializedIdentity, TxValidationCode,
};
use weft_sdk::{assemble, propose, ClientIdentity, NewProposal};

const TXS: usize = 500;

fn member(ca: &CertificateAuthority, name: &str, role: Role) -> (SigningKeyPair, SerializedIdentity) {
    let (key, cert) = ca.issue_new(name, role, Validity::days_from_now(30)).unwrap();
    (key, SerializedIdentity { org_id: ca.org().into(), certificate_der: cert })
}

fn bench(c: &mut Criterion) {
    let cas: Vec<CertificateAuthority> = ["Org1", "Org2"]
        .iter()
        .map(|o| CertificateAuthority::create(o, Validity::days_from_now(365)).unwrap())
        .collect();
    let orgs: Vec<OrgConfig> = cas
        .iter()
        .map(|ca| OrgConfig { org_id: ca.org().into(), root_certs: vec![ca.certificate_der().to_vec()], crls: vec![] })
        .collect();
    let (key, identity) = member(&cas[0], "app", Role::Client);
    let client = ClientIdentity { identity, key };
    let peers: Vec<_> = cas.iter().map(|ca| member(ca, "peer0", Role::Peer)).collect();

    let envelopes: Vec<Vec<u8>> = (0..TXS)
        .map(|i| {
            let request = NewProposal {
                channel: "weft".into(),
                contract: "asset-transfer".into(),
                function: "TransferAsset".into(),
                args: vec![format!("asset{i}").into_bytes(), b"Ann".to_vec()],
                ..Default::default()
            };
            let proposal = propose(&client, &request);
            let decoded = Proposal::decode(proposal.signed.proposal_bytes.as_slice()).unwrap();
            let result_bytes = ProposalResult {
                proposal_hash: weft_node::proposal_hash(&decoded).to_vec(),
                contract: "asset-transfer".into(),
                ..Default::default()
            }
            .encode_to_vec();
            let responses: Vec<ProposalResponse> = peers
                .iter()
                .map(|(k, id)| ProposalResponse {
                    response: Some(Response { status: 200, ..Default::default() }),
                    result_bytes: result_bytes.clone(),
                    endorsement: Some(Endorsement {
                        endorser: Some(id.clone()),
                        signature: k.sign(&[result_bytes.as_slice(), &id.certificate_der].concat()).to_bytes().to_vec(),
                    }),
                })
                .collect();
            assemble(&client, &proposal, &responses).unwrap()
        })
        .collect();

    let membership = Membership::from_orgs(&orgs).unwrap();
    let channel_orgs = vec!["Org1".to_string(), "Org2".to_string()];
    let policies =
        BTreeMap::from([("asset-transfer".to_string(), Policy::parse("AND('Org1.peer', 'Org2.peer')").unwrap())]);
    let admins = Policy::parse("MAJORITY(admin)").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let rules = TxRules {
        channel_id: "weft",
        membership: &membership,
        channel_orgs: &channel_orgs,
        endorsement_policies: &policies,
        admins: &admins,
        lifecycle: &admins,
        default_endorsement: &admins,
        config_sequence: 0,
        pbft_orderers: None,
        now_unix: now,
    };
    assert!(prevalidate(&envelopes, &rules).iter().all(|c| *c == TxValidationCode::Valid));

    let mut group = c.benchmark_group("prevalidate");
    group.throughput(Throughput::Elements(TXS as u64));
    group.sample_size(20);
    group.bench_function("500tx_2endorsements", |b| b.iter(|| prevalidate(&envelopes, &rules)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
