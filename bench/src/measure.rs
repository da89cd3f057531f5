//! Measures this machine's rates for the ceiling: Ed25519 (one at a time,
//! in batches, signing), SHA-256 and synced RocksDB writes on the disk of
//! the given directory. Each runs for about the given time on one core
//! (RocksDB: the disk) and reports operations per second.

use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use weft_identity::{verify_batch, SignatureCheck, SigningKeyPair};

use crate::ceiling::Rates;

/// Runs `op` (which does `per_call` operations) repeatedly for `time`.
fn rate(time: Duration, per_call: usize, mut op: impl FnMut()) -> f64 {
    op(); // warm up
    let start = Instant::now();
    let mut calls = 0usize;
    while start.elapsed() < time {
        op();
        calls += 1;
    }
    (calls * per_call) as f64 / start.elapsed().as_secs_f64()
}

pub fn all(time: Duration, disk: &Path) -> anyhow::Result<Rates> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let keys: Vec<SigningKeyPair> = (0..64).map(|_| SigningKeyPair::generate()).collect();
    let message = [7u8; 160];
    let signed: Vec<_> = keys.iter().map(|k| (k.public_key(), k.sign(&message).to_bytes())).collect();
    let checks: Vec<SignatureCheck<'_>> =
        signed.iter().map(|(pk, sig)| SignatureCheck { message: &message, signature: sig, public_key: pk }).collect();
    let verify_single = rate(time, 1, || {
        assert!(verify_batch(&checks[..1])[0], "a valid signature");
    });
    let verify_batch_rate = rate(time, checks.len(), || {
        assert!(verify_batch(&checks).iter().all(|ok| *ok), "valid signatures");
    });
    let sign = rate(time, 1, || {
        std::hint::black_box(keys[0].sign(&message));
    });
    let block = vec![0xabu8; 1 << 20];
    let sha256_bytes = rate(time, block.len(), || {
        std::hint::black_box(Sha256::digest(&block));
    });
    Ok(Rates {
        cores,
        verify_single,
        verify_batch: verify_batch_rate,
        sign,
        sha256_bytes,
        rocksdb_writes: rocksdb_writes(time, disk)?,
    })
}

/// Batches of 500 keys of ~100-byte values, each batch synced: how a node
/// commits a block's writes.
fn rocksdb_writes(time: Duration, disk: &Path) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir_in(disk).map_err(|e| {
        anyhow::anyhow!(
            "making a scratch database in {} ({e}); pass --data-dir on the disk nodes would use",
            disk.display()
        )
    })?;
    let mut options = rocksdb::Options::default();
    options.create_if_missing(true);
    let db = rocksdb::DB::open(&options, dir.path())?;
    let mut write = rocksdb::WriteOptions::default();
    write.set_sync(true);
    let value = [0x5au8; 100];
    let mut n = 0u64;
    let mut failed = None;
    let per_sec = rate(time, 500, || {
        let mut batch = rocksdb::WriteBatch::default();
        for _ in 0..500 {
            n += 1;
            batch.put(format!("asset{:012}", n.wrapping_mul(2_654_435_761) % 100_000_000), value);
        }
        if let Err(e) = db.write_opt(batch, &write) {
            failed = Some(e);
        }
    });
    match failed {
        Some(e) => Err(anyhow::anyhow!("writing to RocksDB in {}: {e}", disk.display())),
        None => Ok(per_sec),
    }
}
