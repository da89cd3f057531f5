//! Kill a committing process with SIGKILL at random moments; after each kill
//! the ledger must reopen with its hash chain intact, its height at the
//! savepoint and never below a commit the child acknowledged, and its state
//! equal to a replay of the committed blocks.
//!
//! The child is this same test binary, re-run with `WEFT_CRASH_CHILD_DIR`
//! set. Set `WEFT_CRASH_SEED` to replay a failing run; `WEFT_CRASH_KILLS`
//! raises the number of kills for a longer soak.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use weft_ledger::testkit::{envelope, ns_rwset, tx_id};
use weft_ledger::{decode_envelope, new_block, Ledger, LedgerOptions, StateHasher, TxBody};
use weft_proto::{ChannelId, TxValidationCode, Version, VersionedValue};

const CHILD_ENV: &str = "WEFT_CRASH_CHILD_DIR";
const CH: &str = "crash";
const NS: &str = "bench";

fn options() -> LedgerOptions {
    // A SIGKILL loses what the process had not handed to the kernel, not
    // what sits unsynced in the page cache; fsync matters for power loss.
    LedgerOptions { sync_writes: false }
}

/// Block `number`'s transactions: writes and deletes over a small key space
/// so that later blocks overwrite and delete what earlier ones wrote.
fn envelopes_for(number: u64) -> Vec<Vec<u8>> {
    (0..40u64)
        .map(|t| {
            let seed = number * 1000 + t;
            let k = |i: u64| format!("k{:03}", (seed * 7 + i * 131) % 300);
            let value = format!("b{number}t{t}");
            let (k1, k2, k3) = (k(0), k(1), k(2));
            let mut ops: Vec<(&str, Option<&[u8]>)> =
                vec![(&k1, Some(value.as_bytes())), (&k2, Some(value.as_bytes()))];
            if t % 3 == 0 {
                ops.push((&k3, None));
            }
            envelope(CH, tx_id(format!("{number}/{t}").as_bytes()), ns_rwset(NS, vec![], &ops))
        })
        .collect()
}

fn child(dir: &Path) {
    let ledger = Ledger::open(dir, options()).expect("child: open ledger");
    let mut ch = ledger.channel(&ChannelId::new(CH).unwrap()).expect("child: open channel");
    let mut out = std::io::stdout();
    writeln!(out, "@ready {}", ch.height()).unwrap();
    out.flush().unwrap();
    loop {
        let block = new_block(ch.height(), ch.last_block_hash(), envelopes_for(ch.height()));
        let summary = ch.commit(&block, None).expect("child: commit");
        writeln!(out, "@committed {}", summary.number).unwrap();
        out.flush().unwrap();
    }
}

/// Replayed world state, advanced block by block across kills.
#[derive(Default)]
struct Replay {
    height: u64,
    state: BTreeMap<String, VersionedValue>,
}

impl Replay {
    fn apply(&mut self, block: &weft_proto::Block) {
        let number = block.header.as_ref().unwrap().number;
        assert_eq!(number, self.height, "replay out of order");
        let codes = &block.metadata.as_ref().unwrap().validation_codes;
        for (tx_num, env) in block.data.as_ref().unwrap().envelopes.iter().enumerate() {
            if codes[tx_num] != TxValidationCode::Valid as i32 {
                continue;
            }
            let TxBody::Endorser(rwset) = decode_envelope(env).unwrap().body else { continue };
            for ns in rwset.ns_rwsets {
                for w in ns.writes {
                    if w.is_delete {
                        self.state.remove(&w.key);
                    } else {
                        let version = Version { block_num: number, tx_num: tx_num as u64 };
                        self.state.insert(w.key, VersionedValue { value: w.value, version: Some(version) });
                    }
                }
            }
        }
        self.height += 1;
    }

    fn hash(&self) -> [u8; 32] {
        let mut h = StateHasher::default();
        for (k, v) in &self.state {
            h.add(NS, k, v);
        }
        h.finish().0
    }
}

#[test]
fn crash_recovery() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(Path::new(&dir));
        return;
    }
    let seed: u64 = std::env::var("WEFT_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    let kills: usize = std::env::var("WEFT_CRASH_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(120);
    println!("crash_recovery: seed {seed} ({kills} kills); rerun with WEFT_CRASH_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut replay = Replay::default();
    let mut acked_total = 0u64;

    for kill in 0..kills {
        let mut proc = Command::new(&exe)
            .args(["crash_recovery", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let acked = Arc::new(AtomicU64::new(0));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let reader = {
            let acked = acked.clone();
            let stdout = proc.stdout.take().unwrap();
            std::thread::spawn(move || {
                // libtest may print "test crash_recovery ... " before our
                // first line, so look for the markers anywhere in a line.
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if line.contains("@ready") {
                        let _ = ready_tx.send(());
                    } else if let Some((_, n)) = line.split_once("@committed ") {
                        acked.store(n.trim().parse::<u64>().unwrap() + 1, Ordering::SeqCst);
                    }
                }
            })
        };
        ready_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("seed {seed}: child {kill} never got ready"));
        std::thread::sleep(Duration::from_micros(rng.gen_range(0..30_000)));
        proc.kill().unwrap(); // SIGKILL
        proc.wait().unwrap();
        reader.join().unwrap();
        let acked_height = acked.load(Ordering::SeqCst);

        let ledger = Ledger::open(dir.path(), options())
            .unwrap_or_else(|e| panic!("seed {seed}, kill {kill}: reopen failed: {e}"));
        let ch = ledger
            .channel(&ChannelId::new(CH).unwrap())
            .unwrap_or_else(|e| panic!("seed {seed}, kill {kill}: hash chain check failed: {e}"));
        let height = ch.height();
        assert!(
            height >= acked_height,
            "seed {seed}, kill {kill}: height {height} lost an acknowledged commit ({acked_height})"
        );
        assert!(
            height >= replay.height,
            "seed {seed}, kill {kill}: height went back from {} to {height}",
            replay.height
        );
        assert!(ch.block(height).unwrap().is_none());
        for n in replay.height..height {
            let block =
                ch.block(n).unwrap().unwrap_or_else(|| panic!("seed {seed}: block {n} below the savepoint is missing"));
            replay.apply(&block);
        }
        let stored: BTreeMap<String, VersionedValue> = ch.range(NS, "", None).unwrap().into_iter().collect();
        assert_eq!(stored.len(), replay.state.len(), "seed {seed}, kill {kill}: key count differs from replay");
        assert_eq!(
            ch.state_hash().unwrap(),
            replay.hash(),
            "seed {seed}, kill {kill}: state differs from replay at height {height}"
        );
        acked_total = acked_total.max(acked_height);
    }
    println!("crash_recovery: {kills} kills, final height {}", replay.height);
    assert!(replay.height > kills as u64, "seed {seed}: only {} blocks committed across {kills} runs", replay.height);
    assert!(acked_total > 0);
}
