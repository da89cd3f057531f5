//! Contracts against a real RocksDB ledger: simulate on committed state,
//! commit the read/write sets, and let MVCC catch conflicting and phantom
//! reads the way a peer would.

use std::collections::BTreeMap;
use std::sync::Arc;

use weft_contracts::{CodeHash, Execution, Invocation, Limits, Runtime, TxContext};
use weft_ledger::testkit::envelope;
use weft_ledger::{new_block, ChannelLedger, Ledger, LedgerOptions};
use weft_node::LedgerState;
use weft_proto::{ChannelId, SerializedIdentity, TxId, TxValidationCode};

const CH: &str = "contracts";

fn call(seq: u64, function: &str, args: &[&str]) -> Invocation {
    let mut id = [0u8; 32];
    id[..8].copy_from_slice(&seq.to_be_bytes());
    Invocation {
        contract: "asset-transfer".into(),
        function: function.into(),
        args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        transient: BTreeMap::new(),
        tx: TxContext {
            tx_id: TxId(id),
            timestamp_unix_ms: 1_764_000_000_000,
            creator: SerializedIdentity { org_id: "Org1".into(), certificate_der: vec![0x30; 300] },
        },
    }
}

struct Peer {
    _dir: tempfile::TempDir,
    _ledger: Ledger,
    channel: ChannelLedger,
    runtime: Runtime,
    directory: Arc<BTreeMap<String, CodeHash>>,
    seq: u64,
}

impl Peer {
    fn new() -> Peer {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path(), LedgerOptions::default()).unwrap();
        let channel = ledger.channel(&ChannelId::new(CH).unwrap()).unwrap();
        let runtime = Runtime::new(Limits::default()).unwrap();
        let hash = runtime.install(weft_contract_wasm::ASSET_TRANSFER).unwrap();
        let directory = Arc::new(BTreeMap::from([("asset-transfer".to_string(), hash)]));
        Peer { _dir: dir, _ledger: ledger, channel, runtime, directory, seq: 0 }
    }

    fn simulate(&mut self, function: &str, args: &[&str]) -> (Invocation, Execution) {
        self.seq += 1;
        let inv = call(self.seq, function, args);
        let state = Arc::new(LedgerState(self.channel.reader()));
        let out = self.runtime.execute(&inv, state, self.directory.clone()).unwrap_or_else(|e| panic!("{e}"));
        (inv, out)
    }

    /// Orders the simulated transactions into one block and commits it.
    fn commit(&mut self, txs: &[&(Invocation, Execution)]) -> Vec<TxValidationCode> {
        let envelopes = txs.iter().map(|(inv, out)| envelope(CH, inv.tx.tx_id.0, out.rwset.clone())).collect();
        let channel = &mut self.channel;
        let block = new_block(channel.height(), channel.last_block_hash(), envelopes);
        channel.commit(&block, None).unwrap().codes
    }

    fn owner(&mut self, id: &str) -> String {
        let (_, out) = self.simulate("ReadAsset", &[id]);
        serde_json::from_slice::<serde_json::Value>(&out.response).unwrap()["Owner"].as_str().unwrap().to_string()
    }
}

#[test]
fn committed_writes_are_what_the_next_simulation_reads() {
    let mut peer = Peer::new();
    let init = peer.simulate("InitLedger", &[]);
    assert_eq!(peer.commit(&[&init]), [TxValidationCode::Valid]);
    let transfer = peer.simulate("TransferAsset", &["asset2", "Zoe"]);
    assert_eq!(peer.commit(&[&transfer]), [TxValidationCode::Valid]);
    assert_eq!(peer.owner("asset2"), "Zoe");
}

#[test]
fn two_transfers_of_one_asset_in_a_block_conflict() {
    let mut peer = Peer::new();
    let init = peer.simulate("InitLedger", &[]);
    peer.commit(&[&init]);
    // Both simulated on the same committed state, as two endorsers would.
    let to_ann = peer.simulate("TransferAsset", &["asset1", "Ann"]);
    let to_bob = peer.simulate("TransferAsset", &["asset1", "Bob"]);
    assert_eq!(peer.commit(&[&to_ann, &to_bob]), [TxValidationCode::Valid, TxValidationCode::MvccReadConflict]);
    assert_eq!(peer.owner("asset1"), "Ann");
}

#[test]
fn a_range_read_sees_a_phantom_inserted_before_it() {
    let mut peer = Peer::new();
    let init = peer.simulate("InitLedger", &[]);
    peer.commit(&[&init]);
    let create = peer.simulate("CreateAsset", &["asset0", "gold", "1", "Eve", "9"]);
    let list = peer.simulate("GetAllAssets", &[]);
    assert_eq!(peer.commit(&[&create, &list]), [TxValidationCode::Valid, TxValidationCode::PhantomReadConflict]);
}
