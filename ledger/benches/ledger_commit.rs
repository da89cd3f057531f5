//! Commit throughput: blocks of 500 transactions with 2 writes each, into a
//! RocksDB ledger on disk, with and without fsync per block.
//!
//! Run: `cargo bench --workspace --bench ledger_commit`

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use weft_ledger::testkit::workload_envelopes;
use weft_ledger::{new_block, Ledger, LedgerOptions};
use weft_proto::ChannelId;

const TXS_PER_BLOCK: usize = 500;
const WRITES_PER_TX: usize = 2;
const KEY_SPACE: u64 = 100_000;

fn bench_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("ledger_commit");
    group.throughput(Throughput::Elements(TXS_PER_BLOCK as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for sync_writes in [true, false] {
        let dir = tempfile::tempdir().expect("temp dir");
        let ledger = Ledger::open(dir.path(), LedgerOptions { sync_writes }).expect("open ledger");
        let mut ch = ledger.channel(&ChannelId::new("bench").expect("valid id")).expect("open channel");
        let name = if sync_writes { "500tx_2writes_fsync" } else { "500tx_2writes_nosync" };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let envs = workload_envelopes("bench", ch.height(), TXS_PER_BLOCK, WRITES_PER_TX, KEY_SPACE);
                    let block = new_block(ch.height(), ch.last_block_hash(), envs);
                    let start = Instant::now();
                    ch.commit(&block, None).expect("commit");
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_commit);
criterion_main!(benches);
