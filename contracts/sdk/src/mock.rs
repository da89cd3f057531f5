//! A native stand-in for the host so contract unit tests run with plain
//! `cargo test`, no WebAssembly.
//!
//! It keeps the host's rules: reads see committed state only, writes apply
//! at [`MockContext::commit`], keys are scoped per contract, and `invoke`
//! runs a registered contract's `dispatch` in its own namespace.

use std::collections::BTreeMap;

use crate::{Context, ContractError, Creator, DispatchFn};

/// The per-transaction parts: what [`MockContext::commit`] clears.
#[derive(Default)]
struct Pending {
    writes: BTreeMap<(String, String), Option<Vec<u8>>>,
    events: Vec<(String, Vec<u8>)>,
    logs: Vec<String>,
}

pub struct MockContext {
    committed: BTreeMap<(String, String), Vec<u8>>,
    pending: Pending,
    namespaces: Vec<String>,
    contracts: BTreeMap<String, DispatchFn>,
    creator: Creator,
    tx_counter: u64,
    timestamp_ms: u64,
    transient: BTreeMap<String, Vec<u8>>,
}

impl Default for MockContext {
    fn default() -> Self {
        MockContext::new("contract")
    }
}

impl MockContext {
    /// A context for the contract deployed as `contract`, with an empty
    /// ledger, creator `Org1` and a timestamp of 1 700 000 000 000 ms.
    pub fn new(contract: &str) -> Self {
        MockContext {
            committed: BTreeMap::new(),
            pending: Pending::default(),
            namespaces: vec![contract.to_string()],
            contracts: BTreeMap::new(),
            creator: Creator { org_id: "Org1".into(), certificate_der: b"mock certificate".to_vec() },
            tx_counter: 1,
            timestamp_ms: 1_700_000_000_000,
            transient: BTreeMap::new(),
        }
    }

    pub fn with_creator(mut self, org_id: &str, certificate_der: &[u8]) -> Self {
        self.creator = Creator { org_id: org_id.into(), certificate_der: certificate_der.to_vec() };
        self
    }

    pub fn set_timestamp_ms(&mut self, ms: u64) {
        self.timestamp_ms = ms;
    }

    pub fn set_transient(&mut self, key: &str, value: &[u8]) {
        self.transient.insert(key.into(), value.to_vec());
    }

    /// Makes `contract` callable through [`Context::invoke`].
    pub fn register(&mut self, contract: &str, dispatch: DispatchFn) {
        self.contracts.insert(contract.into(), dispatch);
    }

    /// Ends the current transaction: applies its writes and starts the next
    /// one with a new tx id, one second later, and no events or transient data.
    pub fn commit(&mut self) {
        for ((ns, key), value) in std::mem::take(&mut self.pending).writes {
            match value {
                Some(v) => self.committed.insert((ns, key), v),
                None => self.committed.remove(&(ns, key)),
            };
        }
        self.tx_counter += 1;
        self.timestamp_ms += 1000;
        self.transient.clear();
    }

    /// Committed value of `key` in the running contract's namespace.
    pub fn committed(&self, key: &str) -> Option<&[u8]> {
        self.committed.get(&(self.ns().to_string(), key.to_string())).map(Vec::as_slice)
    }

    /// This transaction's pending writes in the running contract's namespace
    /// (`None` = delete).
    pub fn writes(&self) -> Vec<(&str, Option<&[u8]>)> {
        let ns = self.ns();
        self.pending.writes.iter().filter(|((n, _), _)| n == ns).map(|((_, k), v)| (k.as_str(), v.as_deref())).collect()
    }

    pub fn events(&self) -> &[(String, Vec<u8>)] {
        &self.pending.events
    }

    pub fn logs(&self) -> &[String] {
        &self.pending.logs
    }

    fn ns(&self) -> &str {
        self.namespaces.last().expect("the namespace stack is never empty")
    }

    fn scoped(&self, key: &str) -> (String, String) {
        assert!(!key.is_empty(), "state keys must not be empty");
        (self.ns().to_string(), key.to_string())
    }
}

impl Context for MockContext {
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.committed.get(&self.scoped(key)).cloned()
    }

    fn put(&mut self, key: &str, value: &[u8]) {
        let k = self.scoped(key);
        self.pending.writes.insert(k, Some(value.to_vec()));
    }

    fn delete(&mut self, key: &str) {
        let k = self.scoped(key);
        self.pending.writes.insert(k, None);
    }

    fn range(&mut self, start: &str, end: &str) -> Vec<(String, Vec<u8>)> {
        let ns = self.ns().to_string();
        self.committed
            .range((ns.clone(), start.to_string())..)
            .take_while(|((n, k), _)| *n == ns && (end.is_empty() || k.as_str() < end))
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect()
    }

    fn creator(&mut self) -> Creator {
        self.creator.clone()
    }

    fn tx_id(&mut self) -> [u8; 32] {
        let mut id = [0u8; 32];
        id[24..].copy_from_slice(&self.tx_counter.to_be_bytes());
        id
    }

    fn tx_timestamp_ms(&mut self) -> u64 {
        self.timestamp_ms
    }

    fn transient(&mut self, key: &str) -> Option<Vec<u8>> {
        self.transient.get(key).cloned()
    }

    fn set_event(&mut self, name: &str, payload: &[u8]) {
        self.pending.events.push((name.into(), payload.to_vec()));
    }

    fn invoke(&mut self, contract: &str, function: &str, args: &[Vec<u8>]) -> Result<Vec<u8>, ContractError> {
        let dispatch = *self.contracts.get(contract).ok_or_else(|| {
            ContractError::new(format!("contract {contract:?} is not registered with this MockContext"))
        })?;
        self.namespaces.push(contract.to_string());
        let result = dispatch(self, function, args);
        self.namespaces.pop();
        result
    }

    fn log(&mut self, message: &str) {
        self.pending.logs.push(message.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_invisible_until_commit() {
        let mut ctx = MockContext::new("kv");
        ctx.put("a", b"1");
        assert_eq!(ctx.get("a"), None);
        assert_eq!(ctx.writes(), vec![("a", Some(&b"1"[..]))]);
        ctx.commit();
        assert_eq!(ctx.get("a"), Some(b"1".to_vec()));
        ctx.delete("a");
        ctx.commit();
        assert_eq!(ctx.get("a"), None);
    }

    #[test]
    fn range_is_scoped_and_half_open() {
        let mut ctx = MockContext::new("kv");
        for k in ["a", "b", "c"] {
            ctx.put(k, k.as_bytes());
        }
        ctx.commit();
        let keys: Vec<String> = ctx.range("a", "c").into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(ctx.range("b", "").len(), 2);
    }

    #[test]
    fn invoke_runs_in_the_callee_namespace() {
        fn callee(ctx: &mut dyn Context, _f: &str, _a: &[Vec<u8>]) -> Result<Vec<u8>, ContractError> {
            ctx.put("k", b"from callee");
            Ok(b"done".to_vec())
        }
        let mut ctx = MockContext::new("caller");
        ctx.register("callee", callee);
        assert_eq!(ctx.invoke("callee", "f", &[]).unwrap(), b"done");
        assert!(ctx.writes().is_empty(), "the write belongs to the callee's namespace");
        ctx.commit();
        assert_eq!(ctx.get("k"), None);
        assert!(ctx.invoke("missing", "f", &[]).unwrap_err().message().contains("not registered"));
    }
}
