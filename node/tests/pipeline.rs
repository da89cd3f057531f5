//! Endorse → order → validate → commit in one process, with the real parts:
//! two orgs' peers each with a wasmtime runtime and a RocksDB ledger, the
//! solo orderer engine, and the committer's checks. What the multi-process
//! tests (issue #5) will do over gRPC, minus the network.

use std::collections::BTreeMap;
use std::sync::Arc;

use weft_consensus::{Action, BatchLimits, Consensus, Input, Solo};
use weft_contracts::{CodeHash, Limits, Runtime};
use weft_identity::{CertificateAuthority, Membership, Policy, Role, Validity};
use weft_ledger::{new_block, ChannelLedger, Ledger, LedgerOptions};
use weft_node::{prevalidate, EndorseContext, EndorseError, Endorser, LedgerState, TxRules};
use weft_proto::{ChannelId, OrgConfig, ProposalResponse, SerializedIdentity, TxValidationCode as Code};
use weft_sdk::{assemble, propose, AssembleError, ClientIdentity, NewProposal};

const CH: &str = "weft";
const CONTRACT: &str = "asset-transfer";

struct Peer {
    _dir: tempfile::TempDir,
    _ledger: Ledger,
    channel: ChannelLedger,
    endorser: Endorser,
    directory: Arc<BTreeMap<String, CodeHash>>,
}

struct Net {
    membership: Membership,
    orgs: Vec<String>,
    policies: BTreeMap<String, Policy>,
    admins: Policy,
    client: ClientIdentity,
    peers: Vec<Peer>,
    solo: Solo,
    next_request: u64,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

impl Net {
    fn new() -> Net {
        let cas: Vec<CertificateAuthority> = ["Org1", "Org2"]
            .iter()
            .map(|o| CertificateAuthority::create(o, Validity::days_from_now(3650)).unwrap())
            .collect();
        let org_configs: Vec<OrgConfig> = cas
            .iter()
            .map(|ca| OrgConfig {
                org_id: ca.org().into(),
                root_certs: vec![ca.certificate_der().to_vec()],
                crls: vec![],
            })
            .collect();
        let (key, cert) = cas[0].issue_new("app.org1", Role::Client, Validity::days_from_now(30)).unwrap();
        let client =
            ClientIdentity { identity: SerializedIdentity { org_id: "Org1".into(), certificate_der: cert }, key };
        let peers = cas
            .iter()
            .map(|ca| {
                let (key, cert) =
                    ca.issue_new(&format!("peer0.{}", ca.org()), Role::Peer, Validity::days_from_now(30)).unwrap();
                let runtime = Arc::new(Runtime::new(Limits::default()).unwrap());
                let hash = runtime.install(weft_contract_wasm::ASSET_TRANSFER).unwrap();
                let dir = tempfile::tempdir().unwrap();
                let ledger = Ledger::open(dir.path(), LedgerOptions::default()).unwrap();
                let channel = ledger.channel(&ChannelId::new(CH).unwrap()).unwrap();
                Peer {
                    _dir: dir,
                    _ledger: ledger,
                    channel,
                    endorser: Endorser {
                        identity: SerializedIdentity { org_id: ca.org().into(), certificate_der: cert },
                        key,
                        runtime,
                    },
                    directory: Arc::new(BTreeMap::from([(CONTRACT.to_string(), hash)])),
                }
            })
            .collect();
        let limits = BatchLimits {
            max_message_count: 10,
            preferred_max_bytes: 1 << 20,
            absolute_max_bytes: 4 << 20,
            timeout_ticks: 1,
        };
        Net {
            membership: Membership::from_orgs(&org_configs).unwrap(),
            orgs: vec!["Org1".into(), "Org2".into()],
            policies: BTreeMap::from([(CONTRACT.to_string(), Policy::parse("AND('Org1.peer', 'Org2.peer')").unwrap())]),
            admins: Policy::parse("MAJORITY(admin)").unwrap(),
            client,
            peers,
            solo: Solo::new("orderer0".into(), limits, 0),
            next_request: 0,
        }
    }

    fn proposal(&self, function: &str, args: &[&str]) -> weft_sdk::ProposalToSign {
        let request = NewProposal {
            channel: CH.into(),
            contract: CONTRACT.into(),
            function: function.into(),
            args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            transient: BTreeMap::from([("secret".to_string(), b"never-on-the-ledger".to_vec())]),
            timestamp_unix_ms: 1_764_000_000_000,
        };
        propose(&self.client, &request)
    }

    fn endorse(&self, peer: usize, proposal: &weft_sdk::ProposalToSign) -> Result<ProposalResponse, EndorseError> {
        let p = &self.peers[peer];
        let ctx = EndorseContext {
            channel_id: CH,
            membership: &self.membership,
            channel_orgs: &self.orgs,
            lifecycle_policy: &self.admins,
            access: None,
            now_unix: now(),
            state: Arc::new(LedgerState(p.channel.reader())),
            directory: p.directory.clone(),
        };
        p.endorser.endorse(&proposal.signed, &ctx)
    }

    /// Endorses on the given peers and assembles the transaction.
    fn transaction(&self, peers: &[usize], function: &str, args: &[&str]) -> Vec<u8> {
        let proposal = self.proposal(function, args);
        let responses: Vec<ProposalResponse> = peers.iter().map(|&p| self.endorse(p, &proposal).unwrap()).collect();
        assemble(&self.client, &proposal, &responses).unwrap()
    }

    /// Orders the envelopes through solo and commits every block on every
    /// peer; returns each peer's codes for all of them.
    fn order_and_commit(&mut self, envelopes: Vec<Vec<u8>>) -> Vec<Vec<Code>> {
        let mut batches = Vec::new();
        for envelope in envelopes {
            self.next_request += 1;
            for action in self.solo.step(Input::Submit { request: self.next_request, envelope }) {
                if let Action::Ordered(b) = action {
                    batches.push(b);
                }
            }
        }
        for action in self.solo.tick() {
            if let Action::Ordered(b) = action {
                batches.push(b);
            }
        }
        let mut codes = vec![Vec::new(); self.peers.len()];
        for batch in batches {
            for (i, peer) in self.peers.iter_mut().enumerate() {
                let channel = &mut peer.channel;
                let block = new_block(batch.seq, channel.last_block_hash(), batch.envelopes.clone());
                let rules = TxRules {
                    channel_id: CH,
                    membership: &self.membership,
                    channel_orgs: &self.orgs,
                    endorsement_policies: &self.policies,
                    admins: &self.admins,
                    lifecycle: &self.admins,
                    default_endorsement: &self.admins,
                    config_sequence: 0,
                    pbft_orderers: None,
                    now_unix: now(),
                };
                let pre = prevalidate(&batch.envelopes, &rules);
                codes[i].extend(channel.commit(&block, Some(&pre)).unwrap().codes);
            }
        }
        codes
    }

    fn read(&self, peer: usize, id: &str) -> Option<serde_json::Value> {
        match self.endorse(peer, &self.proposal("ReadAsset", &[id])) {
            Ok(r) => Some(serde_json::from_slice(&r.response.unwrap().payload).unwrap()),
            Err(EndorseError::Contract(_)) => None,
            Err(e) => panic!("{e}"),
        }
    }

    fn assert_peers_agree(&self) {
        let (a, b) = (&self.peers[0].channel, &self.peers[1].channel);
        assert_eq!(a.height(), b.height());
        assert_eq!(a.last_block_hash(), b.last_block_hash());
        assert_eq!(a.state_hash().unwrap(), b.state_hash().unwrap());
    }
}

#[test]
fn an_asset_created_with_both_endorsements_is_committed_on_both_peers() {
    let mut net = Net::new();
    let tx = net.transaction(&[0, 1], "CreateAsset", &["asset1", "blue", "5", "Tom", "100"]);
    assert!(!tx.windows(b"never-on-the-ledger".len()).any(|w| w == b"never-on-the-ledger"), "transient data leaked");
    assert_eq!(net.order_and_commit(vec![tx]), vec![vec![Code::Valid], vec![Code::Valid]]);
    for peer in 0..2 {
        assert_eq!(net.read(peer, "asset1").unwrap()["Owner"], "Tom");
    }
    net.assert_peers_agree();
}

#[test]
fn one_endorsement_is_an_endorsement_policy_failure_on_both_peers() {
    let mut net = Net::new();
    let tx = net.transaction(&[0], "CreateAsset", &["asset1", "blue", "5", "Tom", "100"]);
    let codes = net.order_and_commit(vec![tx]);
    assert_eq!(codes, vec![vec![Code::EndorsementPolicyFailure], vec![Code::EndorsementPolicyFailure]]);
    assert!(net.read(0, "asset1").is_none() && net.read(1, "asset1").is_none());
    net.assert_peers_agree();
}

#[test]
fn two_concurrent_transfers_of_one_asset_commit_one() {
    let mut net = Net::new();
    let create = net.transaction(&[0, 1], "CreateAsset", &["asset1", "blue", "5", "Tom", "100"]);
    net.order_and_commit(vec![create]);
    let to_ann = net.transaction(&[0, 1], "TransferAsset", &["asset1", "Ann"]);
    let to_bob = net.transaction(&[0, 1], "TransferAsset", &["asset1", "Bob"]);
    let codes = net.order_and_commit(vec![to_ann, to_bob]);
    assert_eq!(codes, vec![vec![Code::Valid, Code::MvccReadConflict]; 2]);
    assert_eq!(net.read(1, "asset1").unwrap()["Owner"], "Ann");
    net.assert_peers_agree();
}

#[test]
fn endorsers_refuse_bad_proposals_and_clients_refuse_disagreeing_results() {
    let mut net = Net::new();
    let mut forged = net.proposal("ReadAsset", &["asset1"]);
    forged.signed.signature[3] ^= 1;
    assert!(matches!(net.endorse(0, &forged), Err(EndorseError::BadSignature)));

    let failing = net.proposal("ReadAsset", &["missing"]);
    let err = net.endorse(0, &failing).unwrap_err();
    assert_eq!(err.to_string(), "asset-transfer: the asset missing does not exist");

    // Peer 0 is one block ahead of peer 1: their results differ.
    let create = net.transaction(&[0, 1], "CreateAsset", &["asset1", "blue", "5", "Tom", "100"]);
    net.next_request += 1;
    let batch = net
        .solo
        .step(Input::Submit { request: net.next_request, envelope: create })
        .into_iter()
        .chain(net.solo.tick())
        .find_map(|a| if let Action::Ordered(b) = a { Some(b) } else { None })
        .unwrap();
    let peer0 = &mut net.peers[0].channel;
    peer0.commit(&new_block(batch.seq, peer0.last_block_hash(), batch.envelopes), None).unwrap();
    let read = net.proposal("AssetExists", &["asset1"]);
    let responses = vec![net.endorse(0, &read).unwrap(), net.endorse(1, &read).unwrap()];
    let err = assemble(&net.client, &read, &responses).unwrap_err();
    assert!(matches!(err, AssembleError::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains("probably one is behind"));
}
