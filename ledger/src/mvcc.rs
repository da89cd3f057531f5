//! MVCC validation of a block: a pure function from the block's read/write
//! sets and a view of committed state to one validation code per transaction.
//!
//! A transaction is valid when every key it read still has the version it
//! read (MVCC_READ_CONFLICT otherwise) and every range it scanned would
//! return the same keys and versions (PHANTOM_READ_CONFLICT otherwise). Writes
//! of earlier valid transactions in the same block count as committed, at
//! version (block, position).

use std::collections::BTreeMap;
use std::ops::Bound;

use sha2::{Digest, Sha256};
use weft_proto::{range_query_info::ReadsInfo, KvRead, RangeQueryInfo, TxRwSet, TxValidationCode, Version};

/// Read access to committed state, as of the last committed block.
pub trait StateView {
    type Error;

    /// The version of `key`, or None when it does not exist.
    fn version(&self, namespace: &str, key: &str) -> Result<Option<Version>, Self::Error>;

    /// Keys in `[start, end)` in byte order with their versions; `end = None`
    /// means to the end of the namespace.
    fn range(&self, namespace: &str, start: &str, end: Option<&str>) -> Result<Vec<(String, Version)>, Self::Error>;
}

/// One transaction as MVCC sees it: its read/write set (None for a config
/// transaction) and the code earlier checks gave it. Only VALID ones are checked.
#[derive(Debug, Clone, Copy)]
pub struct MvccTx<'a> {
    pub rwset: Option<&'a TxRwSet>,
    pub code: TxValidationCode,
}

/// sha256 over `(key, version)` pairs as `len u32 BE ‖ key ‖ block u64 BE ‖ tx
/// u64 BE`: the `reads_hash` form of a range read.
pub fn range_reads_hash<'a>(reads: impl IntoIterator<Item = (&'a str, &'a Version)>) -> Vec<u8> {
    let mut h = Sha256::new();
    for (key, v) in reads {
        h.update((key.len() as u32).to_be_bytes());
        h.update(key.as_bytes());
        h.update(v.block_num.to_be_bytes());
        h.update(v.tx_num.to_be_bytes());
    }
    h.finalize().to_vec()
}

type Overlay = BTreeMap<(String, String), Option<Version>>;

/// Validates the block's transactions in order; returns their final codes.
pub fn validate_block<S: StateView>(
    block_num: u64,
    txs: &[MvccTx<'_>],
    state: &S,
) -> Result<Vec<TxValidationCode>, S::Error> {
    let mut overlay = Overlay::new();
    let mut codes = Vec::with_capacity(txs.len());
    for (tx_num, tx) in txs.iter().enumerate() {
        let code = match (tx.code, tx.rwset) {
            (TxValidationCode::Valid, Some(rwset)) => check_tx(rwset, &overlay, state)?,
            (code, _) => code,
        };
        if code == TxValidationCode::Valid {
            if let Some(rwset) = tx.rwset {
                let version = Version { block_num, tx_num: tx_num as u64 };
                for ns in &rwset.ns_rwsets {
                    for w in &ns.writes {
                        let v = (!w.is_delete).then_some(version);
                        overlay.insert((ns.namespace.clone(), w.key.clone()), v);
                    }
                }
            }
        }
        codes.push(code);
    }
    Ok(codes)
}

fn check_tx<S: StateView>(rwset: &TxRwSet, overlay: &Overlay, state: &S) -> Result<TxValidationCode, S::Error> {
    for ns in &rwset.ns_rwsets {
        for read in &ns.reads {
            if current_version(&ns.namespace, &read.key, overlay, state)? != read.version {
                return Ok(TxValidationCode::MvccReadConflict);
            }
        }
    }
    for ns in &rwset.ns_rwsets {
        for rq in &ns.range_queries {
            if !range_unchanged(&ns.namespace, rq, overlay, state)? {
                return Ok(TxValidationCode::PhantomReadConflict);
            }
        }
    }
    Ok(TxValidationCode::Valid)
}

fn current_version<S: StateView>(
    ns: &str,
    key: &str,
    overlay: &Overlay,
    state: &S,
) -> Result<Option<Version>, S::Error> {
    match overlay.get(&(ns.to_owned(), key.to_owned())) {
        Some(v) => Ok(*v),
        None => state.version(ns, key),
    }
}

fn range_unchanged<S: StateView>(
    ns: &str,
    rq: &RangeQueryInfo,
    overlay: &Overlay,
    state: &S,
) -> Result<bool, S::Error> {
    let recorded: &[KvRead] = match &rq.reads_info {
        Some(ReadsInfo::RawReads(r)) => &r.reads,
        _ => &[],
    };
    // A scan the contract stopped early covers only up to its last key.
    let end: Option<String> = if rq.itr_exhausted {
        (!rq.end_key.is_empty()).then(|| rq.end_key.clone())
    } else {
        match &rq.reads_info {
            Some(ReadsInfo::RawReads(r)) => match r.reads.last() {
                Some(last) => Some(format!("{}\0", last.key)),
                None => return Ok(true),
            },
            // A hashed, unexhausted scan cannot say where it stopped.
            _ => return Ok(false),
        }
    };
    let mut now: BTreeMap<String, Version> = state.range(ns, &rq.start_key, end.as_deref())?.into_iter().collect();
    let lower = Bound::Included((ns.to_owned(), rq.start_key.clone()));
    let upper = match &end {
        Some(e) => Bound::Excluded((ns.to_owned(), e.clone())),
        None => Bound::Unbounded,
    };
    for ((o_ns, key), v) in overlay.range((lower, upper)) {
        if o_ns != ns {
            break;
        }
        match v {
            Some(v) => now.insert(key.clone(), *v),
            None => now.remove(key),
        };
    }
    Ok(match &rq.reads_info {
        Some(ReadsInfo::ReadsHash(hash)) => range_reads_hash(now.iter().map(|(k, v)| (k.as_str(), v))) == *hash,
        _ => {
            now.len() == recorded.len()
                && now.iter().zip(recorded).all(|((k, v), r)| *k == r.key && Some(*v) == r.version)
        }
    })
}

#[cfg(test)]
mod tests;
