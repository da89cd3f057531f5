//! Two runtimes (two engines, two compilations of the same modules) given
//! the same calls on the same state must produce byte-identical results:
//! read/write sets, responses, events and fuel. Endorsements from different
//! peers only match if this holds.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use proptest::prelude::*;
use prost::Message;
use weft_contracts::{CodeHash, ExecutionFailure, Invocation, Limits, MemoryState, Runtime};
use weft_proto::Version;

struct Pair {
    a: Runtime,
    b: Runtime,
    directory: Arc<BTreeMap<String, CodeHash>>,
}

static PAIR: LazyLock<Pair> = LazyLock::new(|| {
    let (a, b) = (Runtime::new(Limits::default()).unwrap(), Runtime::new(Limits::default()).unwrap());
    let mut directory = BTreeMap::new();
    for (name, code) in [("asset-transfer", weft_contract_wasm::ASSET_TRANSFER), ("kv", weft_contract_wasm::KV)] {
        let hash = a.install(code).unwrap();
        assert_eq!(b.install(code).unwrap(), hash);
        directory.insert(name.to_string(), hash);
    }
    Pair { a, b, directory: Arc::new(directory) }
});

#[derive(Debug, Clone)]
enum Op {
    Create { id: u8, color: String, size: u64, owner: String, value: u64 },
    Update { id: u8, color: String, size: u64, owner: String, value: u64 },
    Transfer { id: u8, owner: String },
    Delete { id: u8 },
    Read { id: u8 },
    All,
    KvPut { key: String, value: String },
    KvRange { start: String, end: String },
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u8..6;
    let word = "[a-z]{1,6}";
    prop_oneof![
        (id.clone(), word, any::<u64>(), "\\PC{0,12}", any::<u64>())
            .prop_map(|(id, color, size, owner, value)| Op::Create { id, color, size, owner, value }),
        (id.clone(), word, any::<u64>(), "\\PC{0,12}", any::<u64>())
            .prop_map(|(id, color, size, owner, value)| Op::Update { id, color, size, owner, value }),
        (id.clone(), "\\PC{0,12}").prop_map(|(id, owner)| Op::Transfer { id, owner }),
        id.clone().prop_map(|id| Op::Delete { id }),
        id.prop_map(|id| Op::Read { id }),
        Just(Op::All),
        (word, "\\PC{0,40}").prop_map(|(key, value)| Op::KvPut { key, value }),
        (word, "[a-z]{0,6}").prop_map(|(start, end)| Op::KvRange { start, end }),
    ]
}

fn invocation(op: &Op, seq: u64) -> Invocation {
    let asset = |id: &u8| format!("asset{id}");
    let (contract, function, args): (&str, &str, Vec<String>) = match op {
        Op::Create { id, color, size, owner, value } => (
            "asset-transfer",
            "CreateAsset",
            vec![asset(id), color.clone(), size.to_string(), owner.clone(), value.to_string()],
        ),
        Op::Update { id, color, size, owner, value } => (
            "asset-transfer",
            "UpdateAsset",
            vec![asset(id), color.clone(), size.to_string(), owner.clone(), value.to_string()],
        ),
        Op::Transfer { id, owner } => ("asset-transfer", "TransferAsset", vec![asset(id), owner.clone()]),
        Op::Delete { id } => ("asset-transfer", "DeleteAsset", vec![asset(id)]),
        Op::Read { id } => ("asset-transfer", "ReadAsset", vec![asset(id)]),
        Op::All => ("asset-transfer", "GetAllAssets", vec![]),
        Op::KvPut { key, value } => ("kv", "put", vec![key.clone(), value.clone()]),
        Op::KvRange { start, end } => ("kv", "range", vec![start.clone(), end.clone()]),
    };
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut inv = common::call(contract, function, &refs);
    inv.tx = common::tx(seq);
    inv
}

/// Everything an endorsement covers, as bytes.
fn fingerprint(r: &Result<weft_contracts::Execution, ExecutionFailure>) -> (Vec<u8>, Vec<u8>, Vec<Vec<u8>>, u64) {
    match r {
        Ok(e) => (
            e.rwset.encode_to_vec(),
            e.response.clone(),
            e.events.iter().map(|ev| ev.encode_to_vec()).collect(),
            e.fuel_consumed,
        ),
        Err(f) => (Vec::new(), f.error.to_string().into_bytes(), Vec::new(), f.fuel_consumed),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn two_engines_agree_byte_for_byte(ops in prop::collection::vec(op(), 1..24)) {
        let pair = &*PAIR;
        let mut state = MemoryState::new();
        for (seq, op) in ops.iter().enumerate() {
            let inv = invocation(op, seq as u64);
            let snapshot = Arc::new(state.clone());
            let a = pair.a.execute(&inv, snapshot.clone(), pair.directory.clone());
            let b = pair.b.execute(&inv, snapshot, pair.directory.clone());
            prop_assert_eq!(fingerprint(&a), fingerprint(&b), "op {} {:?}", seq, op);
            if let Ok(e) = a {
                state.apply(&e.rwset, Version { block_num: seq as u64 + 1, tx_num: 0 });
            }
        }
    }
}
