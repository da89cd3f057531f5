//! Committed world state read from RocksDB.

use prost::Message;
use rocksdb::{Direction, IteratorMode, ReadOptions, DB};
use weft_proto::{Version, VersionedValue};

use crate::keys::{namespace_prefix, state_key, CF_STATE};
use crate::mvcc::StateView;
use crate::LedgerError;

pub(crate) struct DbState<'a> {
    pub db: &'a DB,
    pub prefix: &'a [u8],
}

impl DbState<'_> {
    pub fn get(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>, LedgerError> {
        let cf = self.db.cf_handle(CF_STATE).expect("state column family exists");
        match self.db.get_pinned_cf(&cf, state_key(self.prefix, namespace, key))? {
            None => Ok(None),
            Some(bytes) => VersionedValue::decode(bytes.as_ref())
                .map(Some)
                .map_err(|source| LedgerError::Decode { what: "state value", source }),
        }
    }

    /// Entries of `namespace` in `[start, end)`, in key order, at most `limit`.
    pub fn scan(
        &self,
        namespace: &str,
        start: &str,
        end: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, VersionedValue)>, LedgerError> {
        let cf = self.db.cf_handle(CF_STATE).expect("state column family exists");
        let ns_prefix = namespace_prefix(self.prefix, namespace);
        let mut read_opts = ReadOptions::default();
        if let Some(end) = end {
            read_opts.set_iterate_upper_bound(state_key(self.prefix, namespace, end));
        }
        let from = state_key(self.prefix, namespace, start);
        let iter = self.db.iterator_cf_opt(&cf, read_opts, IteratorMode::From(&from, Direction::Forward));
        let mut out = Vec::new();
        for item in iter.take(limit) {
            let (k, v) = item?;
            let Some(key) = k.strip_prefix(ns_prefix.as_slice()) else { break };
            let key = String::from_utf8(key.to_vec())
                .map_err(|_| LedgerError::Corruption("state key is not UTF-8".into()))?;
            let value = VersionedValue::decode(v.as_ref())
                .map_err(|source| LedgerError::Decode { what: "state value", source })?;
            out.push((key, value));
        }
        Ok(out)
    }
}

impl StateView for DbState<'_> {
    type Error = LedgerError;

    fn version(&self, namespace: &str, key: &str) -> Result<Option<Version>, LedgerError> {
        Ok(self.get(namespace, key)?.and_then(|v| v.version))
    }

    fn range(&self, namespace: &str, start: &str, end: Option<&str>) -> Result<Vec<(String, Version)>, LedgerError> {
        Ok(self
            .scan(namespace, start, end, usize::MAX)?
            .into_iter()
            .filter_map(|(k, v)| v.version.map(|v| (k, v)))
            .collect())
    }
}
