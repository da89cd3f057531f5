//! Compiled modules by code hash: each module is compiled once per node and
//! instantiated cheaply per call.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use wasmtime::InstancePre;

use crate::store_data::StoreData;
use crate::CodeHash;

#[derive(Default)]
pub(crate) struct ModuleCache {
    modules: RwLock<HashMap<CodeHash, InstancePre<StoreData>>>,
    /// Held while compiling so that two installs of one module compile it once.
    pub compiling: Mutex<()>,
}

impl ModuleCache {
    pub fn get(&self, hash: &CodeHash) -> Option<InstancePre<StoreData>> {
        self.modules.read().unwrap_or_else(|p| p.into_inner()).get(hash).cloned()
    }

    pub fn insert(&self, hash: CodeHash, pre: InstancePre<StoreData>) {
        self.modules.write().unwrap_or_else(|p| p.into_inner()).insert(hash, pre);
    }

    pub fn len(&self) -> usize {
        self.modules.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}
