//! Shared set-up for the runtime's integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use weft_contracts::{CodeHash, Execution, ExecutionError, Invocation, Limits, MemoryState, Runtime, TxContext};
use weft_proto::{SerializedIdentity, TxId};

pub fn tx(seed: u64) -> TxContext {
    let mut id = [0u8; 32];
    id[..8].copy_from_slice(&seed.to_be_bytes());
    id[8] = 0xAB;
    TxContext {
        tx_id: TxId(id),
        timestamp_unix_ms: 1_764_000_000_000 + seed,
        creator: SerializedIdentity { org_id: "Org1".into(), certificate_der: vec![0x30; 300] },
    }
}

pub fn call(contract: &str, function: &str, args: &[&str]) -> Invocation {
    Invocation {
        contract: contract.into(),
        function: function.into(),
        args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        transient: BTreeMap::new(),
        tx: tx(1),
    }
}

/// A runtime with `contracts` installed and deployed under their names.
pub struct Chain {
    pub runtime: Runtime,
    pub directory: Arc<BTreeMap<String, CodeHash>>,
    pub state: MemoryState,
    next_block: u64,
}

impl Chain {
    pub fn new(limits: Limits, contracts: &[(&str, &[u8])]) -> Chain {
        let runtime = Runtime::new(limits).expect("engine config is valid");
        let mut directory = BTreeMap::new();
        for (name, code) in contracts {
            directory.insert(name.to_string(), runtime.install(code).expect("example installs"));
        }
        Chain { runtime, directory: Arc::new(directory), state: MemoryState::new(), next_block: 1 }
    }

    pub fn run(&self, invocation: &Invocation) -> Result<Execution, ExecutionError> {
        self.runtime
            .execute(invocation, Arc::new(self.state.clone()), self.directory.clone())
            .map_err(|failure| failure.error)
    }

    /// Runs and, on success, commits the writes as the next block's only tx.
    pub fn submit(&mut self, invocation: &Invocation) -> Result<Execution, ExecutionError> {
        let execution = self.run(invocation)?;
        let version = weft_proto::Version { block_num: self.next_block, tx_num: 0 };
        self.state.apply(&execution.rwset, version);
        self.next_block += 1;
        Ok(execution)
    }

    /// Runs a call that must succeed and returns its response as text.
    pub fn ok(&mut self, contract: &str, function: &str, args: &[&str]) -> String {
        let e = self.submit(&call(contract, function, args)).unwrap_or_else(|e| panic!("{function}: {e}"));
        String::from_utf8(e.response).expect("UTF-8 response")
    }
}
