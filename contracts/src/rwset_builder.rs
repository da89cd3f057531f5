//! Collects what a simulation read and wrote, per namespace, into a
//! `TxRwSet` whose bytes depend only on what the contract did — never on
//! hash-map order — so every endorser produces identical results.

use std::collections::BTreeMap;

use weft_proto::range_query_info::ReadsInfo;
use weft_proto::{KvRead, KvWrite, NsRwSet, RangeQueryInfo, RangeReads, TxRwSet, Version};

#[derive(Debug, Default, Clone)]
struct Namespace {
    reads: BTreeMap<String, Option<Version>>,
    ranges: Vec<RangeQueryInfo>,
    writes: BTreeMap<String, Option<Vec<u8>>>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct RwSetBuilder {
    namespaces: BTreeMap<String, Namespace>,
}

/// Where the writes stood before a nested call, to undo them if it fails.
pub(crate) struct WritesMark(BTreeMap<String, BTreeMap<String, Option<Vec<u8>>>>);

impl RwSetBuilder {
    fn ns(&mut self, ns: &str) -> &mut Namespace {
        self.namespaces.entry(ns.to_string()).or_default()
    }

    /// Records a point read. The first read of a key wins: the state view is
    /// fixed for the whole simulation, so later reads see the same version.
    pub fn read(&mut self, ns: &str, key: &str, version: Option<Version>) {
        self.ns(ns).reads.entry(key.to_string()).or_insert(version);
    }

    pub fn range(&mut self, ns: &str, start: &str, end: &str, read: Vec<(String, Option<Version>)>) {
        let reads = read.into_iter().map(|(key, version)| KvRead { key, version }).collect();
        self.ns(ns).ranges.push(RangeQueryInfo {
            start_key: start.to_string(),
            end_key: end.to_string(),
            itr_exhausted: true,
            reads_info: Some(ReadsInfo::RawReads(RangeReads { reads })),
        });
    }

    pub fn write(&mut self, ns: &str, key: &str, value: Option<Vec<u8>>) {
        self.ns(ns).writes.insert(key.to_string(), value);
    }

    pub fn mark_writes(&self) -> WritesMark {
        WritesMark(self.namespaces.iter().map(|(n, ns)| (n.clone(), ns.writes.clone())).collect())
    }

    pub fn reset_writes(&mut self, mark: WritesMark) {
        for (name, ns) in self.namespaces.iter_mut() {
            ns.writes = mark.0.get(name).cloned().unwrap_or_default();
        }
    }

    pub fn build(self) -> TxRwSet {
        let ns_rwsets = self
            .namespaces
            .into_iter()
            .filter(|(_, ns)| !(ns.reads.is_empty() && ns.ranges.is_empty() && ns.writes.is_empty()))
            .map(|(namespace, ns)| NsRwSet {
                namespace,
                reads: ns.reads.into_iter().map(|(key, version)| KvRead { key, version }).collect(),
                range_queries: ns.ranges,
                writes: ns
                    .writes
                    .into_iter()
                    .map(|(key, value)| match value {
                        Some(value) => KvWrite { key, is_delete: false, value },
                        None => KvWrite { key, is_delete: true, value: Vec::new() },
                    })
                    .collect(),
            })
            .collect();
        TxRwSet { ns_rwsets }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_sorted_and_first_read_wins() {
        let mut b = RwSetBuilder::default();
        b.write("z", "k2", Some(b"2".to_vec()));
        b.write("z", "k1", None);
        b.read("a", "x", Some(Version { block_num: 1, tx_num: 0 }));
        b.read("a", "x", None);
        let set = b.build();
        assert_eq!(set.ns_rwsets.iter().map(|n| n.namespace.as_str()).collect::<Vec<_>>(), ["a", "z"]);
        assert_eq!(set.ns_rwsets[0].reads[0].version, Some(Version { block_num: 1, tx_num: 0 }));
        let keys: Vec<_> = set.ns_rwsets[1].writes.iter().map(|w| (w.key.as_str(), w.is_delete)).collect();
        assert_eq!(keys, [("k1", true), ("k2", false)]);
    }

    #[test]
    fn reset_undoes_writes_but_keeps_reads() {
        let mut b = RwSetBuilder::default();
        b.write("a", "kept", Some(vec![1]));
        let mark = b.mark_writes();
        b.write("a", "undone", Some(vec![2]));
        b.write("b", "undone", None);
        b.read("b", "seen", None);
        b.reset_writes(mark);
        let set = b.build();
        assert_eq!(set.ns_rwsets.len(), 2);
        assert_eq!(set.ns_rwsets[0].writes.len(), 1);
        assert!(set.ns_rwsets[1].writes.is_empty());
        assert_eq!(set.ns_rwsets[1].reads.len(), 1);
    }
}
