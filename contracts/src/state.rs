//! What a contract can read: committed state, and which contracts exist.
//! The node implements these over its ledger at the endorsement height.

use std::collections::BTreeMap;

use weft_proto::{KvWrite, TxRwSet, Version, VersionedValue};

use crate::{CodeHash, StateError};

/// A read-only view of committed world state at one height.
pub trait StateReader: Send + Sync {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>, StateError>;

    /// Entries of `namespace` in `[start, end)` in key order (`end = None`:
    /// to the namespace's end), at most `limit` of them.
    fn range(
        &self,
        namespace: &str,
        start: &str,
        end: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, VersionedValue)>, StateError>;
}

/// Which code each contract deployed on the channel runs.
pub trait ContractDirectory: Send + Sync {
    fn code_of(&self, contract: &str) -> Option<CodeHash>;
}

impl ContractDirectory for BTreeMap<String, CodeHash> {
    fn code_of(&self, contract: &str) -> Option<CodeHash> {
        self.get(contract).copied()
    }
}

/// World state in memory: for simulations, property tests and benchmarks
/// that exercise contracts without a disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryState {
    entries: BTreeMap<(String, String), VersionedValue>,
}

impl MemoryState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a transaction's writes as if committed at `version`.
    pub fn apply(&mut self, rwset: &TxRwSet, version: Version) {
        for ns in &rwset.ns_rwsets {
            for KvWrite { key, is_delete, value } in &ns.writes {
                let k = (ns.namespace.clone(), key.clone());
                if *is_delete {
                    self.entries.remove(&k);
                } else {
                    self.entries.insert(k, VersionedValue { value: value.clone(), version: Some(version) });
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl StateReader for MemoryState {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>, StateError> {
        Ok(self.entries.get(&(namespace.to_string(), key.to_string())).cloned())
    }

    fn range(
        &self,
        namespace: &str,
        start: &str,
        end: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, VersionedValue)>, StateError> {
        Ok(self
            .entries
            .range((namespace.to_string(), start.to_string())..)
            .take_while(|((ns, k), _)| ns == namespace && end.is_none_or(|e| k.as_str() < e))
            .take(limit)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }
}
