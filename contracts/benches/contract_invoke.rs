//! Cost of running the asset-transfer contract: a cold start (engine, compile,
//! first call) and warm calls against a cached module.
//!
//! `make bench` runs it; figures go to docs/BENCHMARKS.md.

use std::collections::BTreeMap;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use weft_contract_wasm::ASSET_TRANSFER;
use weft_contracts::{ContractDirectory, Invocation, Limits, MemoryState, Runtime, StateReader, TxContext};
use weft_proto::{SerializedIdentity, TxId, Version};

fn invocation(function: &str, args: &[&str]) -> Invocation {
    Invocation {
        contract: "asset-transfer".into(),
        function: function.into(),
        args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        transient: BTreeMap::new(),
        tx: TxContext {
            tx_id: TxId([7; 32]),
            timestamp_unix_ms: 1_764_000_000_000,
            creator: SerializedIdentity { org_id: "Org1".into(), certificate_der: vec![0x30; 500] },
        },
    }
}

fn seeded(runtime: &Runtime, directory: &Arc<dyn ContractDirectory>) -> Arc<dyn StateReader> {
    let mut state = MemoryState::new();
    let init = runtime.execute(&invocation("InitLedger", &[]), Arc::new(state.clone()), directory.clone()).unwrap();
    state.apply(&init.rwset, Version { block_num: 1, tx_num: 0 });
    Arc::new(state)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("contract_invoke");
    group.throughput(Throughput::Elements(1));

    group.bench_function("cold/compile_and_first_call", |b| {
        b.iter_batched(
            || Runtime::new(Limits::default()).unwrap(),
            |runtime| {
                let hash = runtime.install(ASSET_TRANSFER).unwrap();
                let directory: Arc<dyn ContractDirectory> =
                    Arc::new(BTreeMap::from([("asset-transfer".to_string(), hash)]));
                runtime
                    .execute(&invocation("AssetExists", &["asset1"]), Arc::new(MemoryState::new()), directory)
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });

    let runtime = Runtime::new(Limits::default()).unwrap();
    let hash = runtime.install(ASSET_TRANSFER).unwrap();
    let directory: Arc<dyn ContractDirectory> = Arc::new(BTreeMap::from([("asset-transfer".to_string(), hash)]));
    let state = seeded(&runtime, &directory);
    for (name, inv) in [
        ("warm/ReadAsset", invocation("ReadAsset", &["asset3"])),
        ("warm/CreateAsset", invocation("CreateAsset", &["asset99", "blue", "5", "Tom", "100"])),
        ("warm/TransferAsset", invocation("TransferAsset", &["asset1", "Christopher"])),
        ("warm/GetAllAssets", invocation("GetAllAssets", &[])),
    ] {
        group.bench_function(name, |b| b.iter(|| runtime.execute(&inv, state.clone(), directory.clone()).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
