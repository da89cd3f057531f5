//! A node's pieces started from what `weft network init` writes: the genesis
//! block, the node's key and certificate, the client's credentials.

use std::collections::BTreeMap;
use std::sync::Arc;

use prost::Message;
use weft_consensus::{Action, BatchLimits, Consensus, Input, Solo};
use weft_contracts::{Limits, Runtime};
use weft_identity::SigningKeyPair;
use weft_ledger::{Ledger, LedgerOptions};
use weft_node::{ChannelRules, CommitError, Committer, EndorseContext, Endorser, LedgerState};
use weft_proto::{Block, ChannelId, SerializedIdentity, TxValidationCode};
use weft_provision::{init, read_cert_pem, read_genesis_config, InitOptions, Manifest, NodeConfig, Template};
use weft_sdk::{assemble, propose, ClientIdentity, NewProposal};

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn key(path: &std::path::Path) -> SigningKeyPair {
    SigningKeyPair::from_pkcs8_pem(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_provisioned_solo_node_endorses_orders_commits_and_resumes() {
    let net = tempfile::tempdir().unwrap();
    let template =
        Template::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/templates/solo-1.toml"))
            .unwrap();
    init(&template, net.path(), &InitOptions { base_port: None, ..Default::default() }).unwrap();
    let manifest = Manifest::load(net.path()).unwrap();
    let config = NodeConfig::load(&net.path().join(&manifest.nodes[0].config)).unwrap();
    let genesis = Block::decode(std::fs::read(&config.genesis_block).unwrap().as_slice()).unwrap();
    let channel_config = read_genesis_config(&genesis).unwrap();
    let channel_id = ChannelId::new(config.channel.clone()).unwrap();

    let open = |config: &NodeConfig| {
        let ledger = Ledger::open(&config.data_dir, LedgerOptions::default()).unwrap();
        let mut rules = ChannelRules::from_config(&channel_config).unwrap();
        rules.deploy("asset-transfer", None); // the channel's default: MAJORITY(peer)
        let committer = Committer::open(ledger.channel(&channel_id).unwrap(), &genesis, rules).unwrap();
        (ledger, committer)
    };
    let (ledger, mut committer) = open(&config);
    assert_eq!(committer.ledger().height(), 1, "genesis committed");

    let runtime = Arc::new(Runtime::new(Limits::default()).unwrap());
    let hash = runtime.install(weft_contract_wasm::ASSET_TRANSFER).unwrap();
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
            certificate_der: read_cert_pem(&net.path().join(&org.client_certificate)).unwrap(),
        },
        key: key(&net.path().join(&org.client_key)),
    };

    let proposal = propose(
        &client,
        &NewProposal {
            channel: config.channel.clone(),
            contract: "asset-transfer".into(),
            function: "CreateAsset".into(),
            args: ["asset1", "blue", "5", "Tom", "100"].iter().map(|a| a.as_bytes().to_vec()).collect(),
            ..Default::default()
        },
    );
    let state = Arc::new(LedgerState(committer.ledger().reader()));
    let response = {
        let ctx = EndorseContext {
            channel_id: &config.channel,
            membership: &committer.rules().membership,
            now_unix: now(),
            state: state.clone(),
            directory: Arc::new(BTreeMap::from([("asset-transfer".to_string(), hash)])),
        };
        endorser.endorse(&proposal.signed, &ctx).unwrap()
    };
    let tx = assemble(&client, &proposal, &[response]).unwrap();

    let limits = BatchLimits::from_config(channel_config.batch.as_ref().unwrap(), 100);
    let mut solo = Solo::new(config.node_id.clone(), limits, committer.ledger().height());
    solo.step(Input::Submit { request: 1, envelope: tx });
    let batch = solo.drain().into_iter().find_map(|a| if let Action::Ordered(b) = a { Some(b) } else { None }).unwrap();

    let committed = committer.commit_batch(&batch, now()).unwrap();
    assert_eq!(committed.summary.number, 1);
    let outcome = &committed.txs[0];
    assert_eq!((outcome.tx_id, outcome.code), (proposal.tx_id, TxValidationCode::Valid));
    assert_eq!(outcome.events.len(), 1);
    assert_eq!(outcome.events[0].name, "CreateAsset");

    let replay = committer.commit_batch(&batch, now()).unwrap_err();
    assert!(matches!(replay, CommitError::OutOfOrder { expected: 2, got: 1 }), "{replay}");

    // Restart: the ledger resumes at its height; genesis is not committed again.
    // (Readers share the database: every handle must go before it reopens.)
    drop((state, committer, ledger));
    let (_ledger, committer) = open(&config);
    assert_eq!(committer.ledger().height(), 2);
    assert!(committer.ledger().get_state("asset-transfer", "asset1").unwrap().is_some());
}
