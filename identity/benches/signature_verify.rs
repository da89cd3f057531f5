//! Ed25519 verification: one at a time versus batches.
//!
//! Run: `cargo bench --workspace --bench signature_verify`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use weft_identity::{verify_batch, PublicKey, SignatureCheck, SigningKeyPair};

fn fixtures(n: usize) -> (Vec<PublicKey>, Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let keys: Vec<SigningKeyPair> = (0..n).map(|i| SigningKeyPair::from_seed([(i % 251) as u8; 32])).collect();
    let messages: Vec<Vec<u8>> = (0..n).map(|i| format!("proposal response {i}").repeat(8).into_bytes()).collect();
    let sigs = keys.iter().zip(&messages).map(|(k, m)| k.sign(m).to_bytes().to_vec()).collect();
    (keys.iter().map(SigningKeyPair::public_key).collect(), messages, sigs)
}

fn bench_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("signature_verify");
    let (keys, messages, sigs) = fixtures(1);
    group.throughput(Throughput::Elements(1));
    group.bench_function("single", |b| {
        let sig = weft_identity::Signature::from_bytes(&sigs[0]).expect("valid signature");
        b.iter(|| keys[0].verify(&messages[0], &sig).expect("verifies"))
    });
    for n in [16usize, 64, 256] {
        let (keys, messages, sigs) = fixtures(n);
        let checks: Vec<SignatureCheck> = (0..n)
            .map(|i| SignatureCheck { message: &messages[i], signature: &sigs[i], public_key: &keys[i] })
            .collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("batch", n), &checks, |b, checks| {
            b.iter(|| assert!(verify_batch(checks).iter().all(|ok| *ok)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
