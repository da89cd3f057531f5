//! A node's pieces started from what `weft network init` writes: the genesis
//! block, the node's key and certificate, the org's CA and the client's and
//! admin's credentials.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use prost::Message;
use weft_consensus::{Action, BatchLimits, Consensus, Input, Solo};
use weft_contracts::{CodeHash, Limits, Runtime};
use weft_identity::{CertificateAuthority, ParsedCertificate, Revocation, SigningKeyPair};
use weft_ledger::{Ledger, LedgerOptions};
use weft_node::{ChannelRules, CommitError, Committed, Committer, EndorseContext, EndorseError, Endorser, LedgerState};
use weft_proto::{Block, ChannelConfig, ChannelId, SerializedIdentity, TxValidationCode};
use weft_provision::{
    config_envelope, init, read_cert_pem, read_genesis_config, GenesisSigner, InitOptions, Manifest, NodeConfig,
    Template,
};
use weft_sdk::{assemble, propose, ClientIdentity, NewProposal};

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn key(path: &Path) -> SigningKeyPair {
    SigningKeyPair::from_pkcs8_pem(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A solo-1 network directory and its one node, opened.
struct Solo1 {
    dir: tempfile::TempDir,
    manifest: Manifest,
    config: NodeConfig,
    genesis: Block,
    channel_config: ChannelConfig,
    ledger: Option<Ledger>,
    committer: Option<Committer>,
    endorser: Endorser,
    code: CodeHash,
    client: ClientIdentity,
    channel: String,
}

impl Solo1 {
    fn new() -> Solo1 {
        let dir = tempfile::tempdir().unwrap();
        let template =
            Template::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/templates/solo-1.toml")).unwrap();
        init(&template, dir.path(), &InitOptions { base_port: None, ..Default::default() }).unwrap();
        let manifest = Manifest::load(dir.path()).unwrap();
        let config = NodeConfig::load(&dir.path().join(&manifest.nodes[0].config)).unwrap();
        let genesis = Block::decode(std::fs::read(config.genesis_block.as_ref().unwrap()).unwrap().as_slice()).unwrap();
        let channel_config = read_genesis_config(&genesis).unwrap();
        let channel = channel_config.channel_id.clone();
        let runtime = Arc::new(Runtime::new(Limits::default()).unwrap());
        let code = runtime.install(weft_contract_wasm::ASSET_TRANSFER).unwrap();
        let endorser = Endorser {
            identity: SerializedIdentity {
                org_id: config.org_id.clone(),
                certificate_der: read_cert_pem(&config.certificate).unwrap(),
            },
            key: key(&config.key),
            runtime,
        };
        let org = &manifest.orgs[0];
        let client = ClientIdentity {
            identity: SerializedIdentity {
                org_id: org.id.clone(),
                certificate_der: read_cert_pem(&dir.path().join(&org.client_certificate)).unwrap(),
            },
            key: key(&dir.path().join(&org.client_key)),
        };
        let mut node = Solo1 {
            dir,
            manifest,
            config,
            genesis,
            channel_config,
            ledger: None,
            committer: None,
            endorser,
            code,
            client,
            channel,
        };
        node.open();
        node
    }

    /// Opens (or reopens) the node's ledger and committer.
    fn open(&mut self) {
        self.committer = None;
        self.ledger = None;
        let ledger = Ledger::open(&self.config.data_dir, LedgerOptions::default()).unwrap();
        let mut rules = ChannelRules::from_config(&self.channel_config).unwrap();
        rules.deploy("asset-transfer", None); // the channel's default: MAJORITY(peer)
        let channel = ledger.channel(&ChannelId::new(self.channel.clone()).unwrap()).unwrap();
        self.committer = Some(Committer::open(channel, &self.genesis, rules, self.endorser.runtime.clone()).unwrap());
        self.ledger = Some(ledger);
    }

    fn committer(&mut self) -> &mut Committer {
        self.committer.as_mut().unwrap()
    }

    fn transaction(&mut self, function: &str, args: &[&str]) -> Result<(weft_proto::TxId, Vec<u8>), EndorseError> {
        let request = NewProposal {
            channel: self.channel.clone(),
            contract: "asset-transfer".into(),
            function: function.into(),
            args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            ..Default::default()
        };
        let proposal = propose(&self.client, &request);
        let committer = self.committer.as_ref().unwrap();
        let ctx = EndorseContext {
            channel_id: &self.channel,
            membership: &committer.rules().membership,
            channel_orgs: &committer.rules().orgs,
            lifecycle_policy: &committer.rules().lifecycle,
            access: Some(committer.rules().access(weft_node::Acl::Writers)),
            now_unix: now(),
            state: Arc::new(LedgerState(committer.ledger().reader())),
            directory: Arc::new(BTreeMap::from([("asset-transfer".to_string(), self.code)])),
        };
        let response = self.endorser.endorse(&proposal.signed, &ctx)?;
        Ok((proposal.tx_id, assemble(&self.client, &proposal, &[response]).unwrap()))
    }

    /// Orders `envelopes` with a solo engine into one batch and commits it.
    fn order_and_commit(&mut self, envelopes: Vec<Vec<u8>>) -> Committed {
        let limits = BatchLimits::from_config(self.channel_config.batch.as_ref().unwrap(), 100);
        let mut solo = Solo::new(self.config.node_id.clone(), limits, self.committer().ledger().height());
        for (i, envelope) in envelopes.into_iter().enumerate() {
            solo.step(Input::Submit { request: i as u64, envelope });
        }
        let batch = solo.drain().into_iter().find_map(|a| if let Action::Ordered(b) = a { Some(b) } else { None });
        self.committer().commit_batch(&batch.unwrap(), now()).unwrap()
    }
}

#[test]
fn a_provisioned_solo_node_endorses_orders_commits_and_resumes() {
    let mut node = Solo1::new();
    assert_eq!(node.committer().ledger().height(), 1, "genesis committed");
    let (tx_id, tx) = node.transaction("CreateAsset", &["asset1", "blue", "5", "Tom", "100"]).unwrap();
    let committed = node.order_and_commit(vec![tx.clone()]);
    assert_eq!(committed.summary.number, 1);
    let outcome = &committed.txs[0];
    assert_eq!((outcome.tx_id, outcome.code), (tx_id, TxValidationCode::Valid));
    assert_eq!(outcome.events.len(), 1);
    assert_eq!(outcome.events[0].name, "CreateAsset");

    let replay = weft_consensus::Batch { seq: 1, envelopes: vec![tx], timestamp_ms: 0, proof: Vec::new() };
    let err = node.committer().commit_batch(&replay, now()).unwrap_err();
    assert!(matches!(err, CommitError::OutOfOrder { expected: 2, got: 1 }), "{err}");

    // Restart: the ledger resumes at its height; genesis is not committed again.
    node.open();
    assert_eq!(node.committer().ledger().height(), 2);
    assert!(node.committer().ledger().get_state("asset-transfer", "asset1").unwrap().is_some());
}

#[test]
fn a_client_revoked_by_a_config_update_is_refused() {
    let mut node = Solo1::new();
    // Endorsed while the client was still in good standing…
    let (_, early) = node.transaction("CreateAsset", &["asset1", "blue", "5", "Tom", "100"]).unwrap();

    // …then the org admin revokes the client's certificate by a config update.
    let org = node.manifest.orgs[0].clone();
    let base = node.dir.path().to_path_buf();
    let ca = CertificateAuthority::from_parts(
        &org.id,
        key(&base.join(&org.ca_key)),
        read_cert_pem(&base.join(&org.ca_certificate)).unwrap(),
    )
    .unwrap();
    let serial = ParsedCertificate::parse(&node.client.identity.certificate_der).unwrap().serial;
    let t = time::OffsetDateTime::now_utc();
    let crl = ca.crl(&[Revocation { serial, revoked_at: t }], 1, t, t + time::Duration::days(7)).unwrap();
    let mut update = node.channel_config.clone();
    update.sequence = 1;
    update.orgs[0].crls = vec![crl];
    let admin = GenesisSigner {
        identity: SerializedIdentity {
            org_id: org.id.clone(),
            certificate_der: read_cert_pem(&base.join(&org.admin_certificate)).unwrap(),
        },
        key: &key(&base.join(&org.admin_key)),
    };
    let envelope = config_envelope(&update, &[admin], 0);
    let committed = node.order_and_commit(vec![envelope]);
    assert_eq!(committed.txs[0].code, TxValidationCode::Valid);
    assert_eq!(node.committer().rules().config_sequence, 1);

    // The committer refuses the earlier transaction, the endorser new ones.
    let committed = node.order_and_commit(vec![early]);
    assert_eq!(committed.txs[0].code, TxValidationCode::RevokedCreator);
    let err = node.transaction("ReadAsset", &["asset1"]).unwrap_err();
    assert!(err.to_string().contains("is revoked by org 'Org1'"), "{err}");

    // After a restart the update is still in force (read from the ledger,
    // not the genesis block the node was configured with).
    node.open();
    assert_eq!(node.committer().rules().config_sequence, 1);
    let err = node.transaction("ReadAsset", &["asset1"]).unwrap_err();
    assert!(err.to_string().contains("is revoked by org 'Org1'"), "{err}");
}

impl Solo1 {
    fn admin(&self) -> ClientIdentity {
        let org = &self.manifest.orgs[0];
        let base = self.dir.path();
        ClientIdentity {
            identity: SerializedIdentity {
                org_id: org.id.clone(),
                certificate_der: read_cert_pem(&base.join(&org.admin_certificate)).unwrap(),
            },
            key: key(&base.join(&org.admin_key)),
        }
    }

    /// `_lifecycle.deploy` of kv, approved by `approvers`.
    fn deploy_proposal(&self, approvers: &[&ClientIdentity]) -> weft_sdk::ProposalToSign {
        let code = weft_contract_wasm::KV;
        let definition = weft_proto::ContractDefinition {
            name: "kv".into(),
            version: "1".into(),
            sequence: 1,
            endorsement_policy: String::new(),
            code_hash: CodeHash::of(code).0.to_vec(),
        }
        .encode_to_vec();
        let approvals = approvers
            .iter()
            .map(|a| weft_proto::SignatureWithIdentity {
                signer: Some(a.identity.clone()),
                signature: a.key.sign(&definition).to_bytes().to_vec(),
            })
            .collect();
        let request = weft_proto::DeployRequest { definition_bytes: definition, code: code.to_vec(), approvals };
        let call = NewProposal {
            channel: self.channel.clone(),
            contract: "_lifecycle".into(),
            function: "deploy".into(),
            args: vec![request.encode_to_vec()],
            ..Default::default()
        };
        propose(&self.client, &call)
    }

    fn endorse(&self, proposal: &weft_sdk::ProposalToSign) -> Result<weft_proto::ProposalResponse, EndorseError> {
        let committer = self.committer.as_ref().unwrap();
        let rules = committer.rules();
        let ctx = EndorseContext {
            channel_id: &self.channel,
            membership: &rules.membership,
            channel_orgs: &rules.orgs,
            lifecycle_policy: &rules.lifecycle,
            access: Some(rules.access(weft_node::Acl::Writers)),
            now_unix: now(),
            state: Arc::new(LedgerState(committer.ledger().reader())),
            directory: Arc::new(rules.directory()),
        };
        self.endorser.endorse(&proposal.signed, &ctx)
    }
}

#[test]
fn a_lifecycle_deploy_installs_the_contract_and_survives_a_restart() {
    let mut node = Solo1::new();
    // Without an admin approval the endorser refuses and says why.
    let err = node.endorse(&node.deploy_proposal(&[])).unwrap_err();
    assert!(err.to_string().contains("do not satisfy the Lifecycle policy"), "{err}");

    let admin = node.admin();
    let proposal = node.deploy_proposal(&[&admin]);
    let response = node.endorse(&proposal).unwrap();
    let envelope = assemble(&node.client, &proposal, &[response]).unwrap();
    let committed = node.order_and_commit(vec![envelope]);
    assert_eq!(committed.txs[0].code, TxValidationCode::Valid);
    assert!(node.committer().rules().definitions.contains_key("kv"));

    // A second deploy of the same name is refused: upgrade is the way.
    let err = node.endorse(&node.deploy_proposal(&[&admin])).unwrap_err();
    assert!(err.to_string().contains("already deployed"), "{err}");

    // The definition and code come back from state after a restart.
    node.open();
    let (definition, code) = node.committer().rules().definitions.get("kv").cloned().unwrap();
    assert_eq!(definition.version, "1");
    assert!(node.committer().runtime().is_installed(&code));
}

#[test]
fn a_lifecycle_transaction_whose_writes_differ_from_its_request_is_bad_rwset() {
    let mut node = Solo1::new();
    let admin = node.admin();
    let proposal = node.deploy_proposal(&[&admin]);
    let mut response = node.endorse(&proposal).unwrap();
    // A dishonest endorser swaps the stored code for other bytes and signs.
    let mut result = weft_proto::ProposalResult::decode(response.result_bytes.as_slice()).unwrap();
    let ns = &mut result.rwset.as_mut().unwrap().ns_rwsets[0];
    let code_write = ns.writes.iter_mut().find(|w| w.key.starts_with("code/")).unwrap();
    code_write.value = weft_contract_wasm::TESTBED.to_vec();
    response.result_bytes = result.encode_to_vec();
    let message = weft_node::endorsement_message(&response.result_bytes, &node.endorser.identity.certificate_der);
    response.endorsement.as_mut().unwrap().signature = node.endorser.key.sign(&message).to_bytes().to_vec();
    let envelope = assemble(&node.client, &proposal, &[response]).unwrap();
    let committed = node.order_and_commit(vec![envelope]);
    assert_eq!(committed.txs[0].code, TxValidationCode::BadRwset);
    assert!(node.committer().rules().definitions.is_empty());
}

#[test]
fn blocks_from_the_network_need_a_current_orderers_signature() {
    use weft_node::block_signing::sign_block;
    let mut node = Solo1::new();
    let (_, envelope) = node.transaction("CreateAsset", &["asset1", "blue", "5", "Tom", "100"]).unwrap();
    let batch = weft_consensus::Batch { seq: 1, envelopes: vec![envelope], timestamp_ms: 0, proof: Vec::new() };
    let unsigned = node.committer().next_block(&batch, (now() * 1000) as u64).unwrap();

    let err = node.committer().commit_block(&unsigned).unwrap_err();
    assert!(err.to_string().contains("no orderer signature"), "{err}");

    let mut by_client = unsigned.clone();
    sign_block(&mut by_client, &node.client.identity.clone(), &node.client.key);
    let err = node.committer().commit_block(&by_client).unwrap_err();
    assert!(err.to_string().contains("not an orderer"), "{err}");

    let mut forged = unsigned.clone();
    sign_block(&mut forged, &node.endorser.identity.clone(), &node.endorser.key);
    forged.metadata.as_mut().unwrap().timestamp_unix_ms += 1; // signed over the old time
    let err = node.committer().commit_block(&forged).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");

    let mut signed = unsigned;
    sign_block(&mut signed, &node.endorser.identity.clone(), &node.endorser.key);
    let committed = node.committer().commit_block(&signed).unwrap();
    assert_eq!(committed.txs[0].code, TxValidationCode::Valid);
}
