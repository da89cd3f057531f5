//! What a machine's measured rates imply for a network's throughput: one
//! bound per resource, each with the arithmetic behind it, and the lowest
//! of them as the ceiling. Pure: rates and a network shape in, bounds out.

use serde::Serialize;

/// Rates measured on this machine (see `measure.rs`), per core unless said.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rates {
    pub cores: usize,
    /// Ed25519 verifications per second, one at a time.
    pub verify_single: f64,
    /// Ed25519 verifications per second in batches of 64.
    pub verify_batch: f64,
    /// Ed25519 signatures made per second.
    pub sign: f64,
    /// SHA-256 bytes hashed per second.
    pub sha256_bytes: f64,
    /// RocksDB keys written per second on the data disk, synced once per
    /// batch of 500 keys (a block's worth), for the whole disk.
    pub rocksdb_writes: f64,
}

/// The network whose ceiling is asked for, all of it on this machine.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Shape {
    /// Nodes that validate and commit every block.
    pub nodes: u32,
    /// Endorsements per transaction.
    pub endorsements: u32,
    /// State keys a transaction writes.
    pub writes_per_tx: u32,
    /// Size of a transaction envelope in bytes.
    pub tx_bytes: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bound {
    pub resource: &'static str,
    pub tx_per_sec: f64,
    /// How the figure follows from the rate.
    pub because: String,
}

/// One bound per resource, lowest first.
pub fn bounds(rates: &Rates, shape: &Shape) -> Vec<Bound> {
    let cores = rates.cores.max(1) as f64;
    let nodes = f64::from(shape.nodes.max(1));
    let sigs_checked = f64::from(1 + shape.endorsements); // creator + endorsers
    let sigs_made = f64::from(2 + shape.endorsements); // proposal + envelope + endorsers
    let keys_written = f64::from(shape.writes_per_tx + 1); // + its tx index entry
    let mut out = vec![
        Bound {
            resource: "signature checks",
            tx_per_sec: cores * rates.verify_batch / (nodes * sigs_checked),
            because: format!(
                "{cores} cores × {:.0} batched verifications/s ÷ ({nodes} nodes × {sigs_checked} signatures per tx)",
                rates.verify_batch
            ),
        },
        Bound {
            resource: "signing",
            tx_per_sec: cores * rates.sign / sigs_made,
            because: format!(
                "{cores} cores × {:.0} signatures/s ÷ {sigs_made} signatures per tx (client proposal and envelope, \
                 one per endorser)",
                rates.sign
            ),
        },
        Bound {
            resource: "SHA-256",
            tx_per_sec: cores * rates.sha256_bytes / (nodes * f64::from(shape.tx_bytes)),
            because: format!(
                "{cores} cores × {:.0} MB/s ÷ ({nodes} nodes × {} bytes per tx)",
                rates.sha256_bytes / 1e6,
                shape.tx_bytes
            ),
        },
        Bound {
            resource: "RocksDB writes",
            tx_per_sec: rates.rocksdb_writes / (nodes * keys_written),
            because: format!(
                "{:.0} synced writes/s on the disk ÷ ({nodes} nodes × {keys_written} keys per tx)",
                rates.rocksdb_writes
            ),
        },
    ];
    out.sort_by(|a, b| a.tx_per_sec.total_cmp(&b.tx_per_sec));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates() -> Rates {
        Rates {
            cores: 2,
            verify_single: 20_000.0,
            verify_batch: 45_000.0,
            sign: 40_000.0,
            sha256_bytes: 400e6,
            rocksdb_writes: 90_000.0,
        }
    }

    #[test]
    fn the_lowest_bound_comes_first_and_follows_the_shape() {
        let solo = Shape { nodes: 1, endorsements: 1, writes_per_tx: 2, tx_bytes: 1500 };
        let b = bounds(&rates(), &solo);
        assert!(b.windows(2).all(|w| w[0].tx_per_sec <= w[1].tx_per_sec));
        let sig = b.iter().find(|b| b.resource == "signature checks").unwrap();
        assert_eq!(sig.tx_per_sec, 2.0 * 45_000.0 / 2.0);
        let disk = b.iter().find(|b| b.resource == "RocksDB writes").unwrap();
        assert_eq!(disk.tx_per_sec, 30_000.0);
        // Four nodes on the same host each check every signature: a quarter,
        // and more endorsements per transaction cost more again.
        let raft4 = Shape { nodes: 4, endorsements: 3, ..solo };
        let sig4 = bounds(&rates(), &raft4).into_iter().find(|b| b.resource == "signature checks").unwrap();
        assert_eq!(sig4.tx_per_sec, 2.0 * 45_000.0 / (4.0 * 4.0));
        assert!(sig4.because.contains("4 nodes"), "{}", sig4.because);
    }
}
