//! Table-driven MVCC cases: committed state, a block of read/write sets, and
//! the codes each transaction must get.

use std::collections::BTreeMap;
use std::convert::Infallible;

use weft_proto::{KvWrite, NsRwSet, RangeReads};

use super::*;

const V: TxValidationCode = TxValidationCode::Valid;
const MVCC: TxValidationCode = TxValidationCode::MvccReadConflict;
const PHANTOM: TxValidationCode = TxValidationCode::PhantomReadConflict;

struct MapState(BTreeMap<String, Version>);

impl StateView for MapState {
    type Error = Infallible;
    fn version(&self, ns: &str, key: &str) -> Result<Option<Version>, Infallible> {
        assert_eq!(ns, "ns");
        Ok(self.0.get(key).copied())
    }
    fn range(&self, ns: &str, start: &str, end: Option<&str>) -> Result<Vec<(String, Version)>, Infallible> {
        assert_eq!(ns, "ns");
        Ok(self
            .0
            .iter()
            .filter(|(k, _)| k.as_str() >= start && end.is_none_or(|e| k.as_str() < e))
            .map(|(k, v)| (k.clone(), *v))
            .collect())
    }
}

fn v(b: u64, t: u64) -> Version {
    Version { block_num: b, tx_num: t }
}

/// Builder for one transaction's read/write set in namespace "ns".
#[derive(Default, Clone)]
struct Tx(NsRwSet);

impl Tx {
    fn new() -> Self {
        Tx(NsRwSet { namespace: "ns".into(), ..Default::default() })
    }
    fn read(mut self, key: &str, version: Option<Version>) -> Self {
        self.0.reads.push(KvRead { key: key.into(), version });
        self
    }
    fn write(mut self, key: &str) -> Self {
        self.0.writes.push(KvWrite { key: key.into(), is_delete: false, value: b"x".to_vec() });
        self
    }
    fn delete(mut self, key: &str) -> Self {
        self.0.writes.push(KvWrite { key: key.into(), is_delete: true, value: vec![] });
        self
    }
    fn range(mut self, start: &str, end: &str, exhausted: bool, reads: &[(&str, Version)]) -> Self {
        let reads = reads.iter().map(|(k, v)| KvRead { key: (*k).into(), version: Some(*v) }).collect();
        self.0.range_queries.push(RangeQueryInfo {
            start_key: start.into(),
            end_key: end.into(),
            itr_exhausted: exhausted,
            reads_info: Some(ReadsInfo::RawReads(RangeReads { reads })),
        });
        self
    }
    fn range_hashed(mut self, start: &str, end: &str, reads: &[(&str, Version)]) -> Self {
        self.0.range_queries.push(RangeQueryInfo {
            start_key: start.into(),
            end_key: end.into(),
            itr_exhausted: true,
            reads_info: Some(ReadsInfo::ReadsHash(range_reads_hash(reads.iter().map(|(k, v)| (*k, v))))),
        });
        self
    }
    fn rwset(&self) -> TxRwSet {
        TxRwSet { ns_rwsets: vec![self.0.clone()] }
    }
}

fn run(state: &[(&str, Version)], txs: &[Tx]) -> Vec<TxValidationCode> {
    let state = MapState(state.iter().map(|(k, v)| (k.to_string(), *v)).collect());
    let rwsets: Vec<TxRwSet> = txs.iter().map(Tx::rwset).collect();
    let input: Vec<MvccTx> = rwsets.iter().map(|r| MvccTx { rwset: Some(r), code: V }).collect();
    validate_block(5, &input, &state).unwrap()
}

#[test]
fn mvcc_table() {
    let state = [("a", v(1, 0)), ("b", v(2, 3)), ("c", v(3, 0)), ("e", v(4, 1))];
    let cases: Vec<(&str, Vec<Tx>, Vec<TxValidationCode>)> = vec![
        ("read at current version", vec![Tx::new().read("a", Some(v(1, 0))).write("a")], vec![V]),
        ("stale read", vec![Tx::new().read("a", Some(v(0, 9))).write("a")], vec![MVCC]),
        ("read of absent key, still absent", vec![Tx::new().read("z", None).write("z")], vec![V]),
        ("read as absent, but it exists", vec![Tx::new().read("a", None)], vec![MVCC]),
        ("read a key that was deleted", vec![Tx::new().read("q", Some(v(1, 1)))], vec![MVCC]),
        ("blind writes never conflict", vec![Tx::new().write("a"), Tx::new().write("a")], vec![V, V]),
        (
            "second tx reads what the first wrote in the block",
            vec![Tx::new().read("a", Some(v(1, 0))).write("a"), Tx::new().read("a", Some(v(1, 0))).write("a")],
            vec![V, MVCC],
        ),
        (
            "an invalid tx's writes do not count",
            vec![Tx::new().read("a", Some(v(0, 0))).write("b"), Tx::new().read("b", Some(v(2, 3))).write("b")],
            vec![MVCC, V],
        ),
        (
            "earlier delete makes the key absent",
            vec![Tx::new().delete("a"), Tx::new().read("a", None).write("a")],
            vec![V, V],
        ),
        (
            "range unchanged",
            vec![Tx::new().range("a", "d", true, &[("a", v(1, 0)), ("b", v(2, 3)), ("c", v(3, 0))])],
            vec![V],
        ),
        (
            "range with a missing key is a phantom",
            vec![Tx::new().range("a", "d", true, &[("a", v(1, 0)), ("c", v(3, 0))])],
            vec![PHANTOM],
        ),
        ("range with a changed version", vec![Tx::new().range("b", "c", true, &[("b", v(2, 2))])], vec![PHANTOM]),
        ("open-ended range", vec![Tx::new().range("d", "", true, &[("e", v(4, 1))])], vec![V]),
        (
            "insert into a range earlier in the block",
            vec![Tx::new().write("bb"), Tx::new().range("b", "c", true, &[("b", v(2, 3))])],
            vec![V, PHANTOM],
        ),
        (
            "delete in a range earlier in the block",
            vec![Tx::new().delete("b"), Tx::new().range("a", "c", true, &[("a", v(1, 0)), ("b", v(2, 3))])],
            vec![V, PHANTOM],
        ),
        (
            "deleting an absent key leaves the range alone",
            vec![Tx::new().delete("bz"), Tx::new().range("b", "c", true, &[("b", v(2, 3))])],
            vec![V, V],
        ),
        (
            "write outside the range does not matter",
            vec![Tx::new().write("x"), Tx::new().range("a", "c", true, &[("a", v(1, 0)), ("b", v(2, 3))])],
            vec![V, V],
        ),
        (
            "unexhausted scan only covers up to its last key",
            vec![Tx::new().write("d"), Tx::new().range("a", "z", false, &[("a", v(1, 0)), ("b", v(2, 3))])],
            vec![V, V],
        ),
        (
            "unexhausted scan still sees changes before its last key",
            vec![Tx::new().write("ab"), Tx::new().range("a", "z", false, &[("a", v(1, 0)), ("b", v(2, 3))])],
            vec![V, PHANTOM],
        ),
        ("hashed range unchanged", vec![Tx::new().range_hashed("a", "c", &[("a", v(1, 0)), ("b", v(2, 3))])], vec![V]),
        ("hashed range changed", vec![Tx::new().range_hashed("a", "c", &[("a", v(1, 0))])], vec![PHANTOM]),
        (
            "point conflict is reported before phantom",
            vec![Tx::new().read("a", None).range("a", "b", true, &[])],
            vec![MVCC],
        ),
    ];
    for (name, txs, expected) in cases {
        assert_eq!(run(&state, &txs), expected, "{name}");
    }
}

#[test]
fn codes_from_earlier_checks_are_kept_and_their_writes_ignored() {
    let state = MapState(BTreeMap::new());
    let w = Tx::new().write("k").rwset();
    let r = Tx::new().read("k", None).rwset();
    let txs = [
        MvccTx { rwset: Some(&w), code: TxValidationCode::EndorsementPolicyFailure },
        MvccTx { rwset: None, code: V },
        MvccTx { rwset: Some(&r), code: V },
    ];
    let codes = validate_block(1, &txs, &state).unwrap();
    assert_eq!(codes, vec![TxValidationCode::EndorsementPolicyFailure, V, V]);
}
