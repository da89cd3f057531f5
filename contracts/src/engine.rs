//! The runtime: one deterministic wasmtime engine, installation into the
//! module cache, and running a call in a fresh store.

use std::sync::Arc;

use wasmtime::{AsContextMut, Config, Engine, InstancePre, Linker, Module, Store, Trap};
use weft_contract_sdk::abi::{self, Call, CallOutcome};

use crate::cache::ModuleCache;
use crate::host::{self, Abort};
use crate::install::check_module;
use crate::store_data::{Frame, MemoryExceeded, MemoryLimiter, StoreData};
use crate::{
    CodeHash, ContractDirectory, Execution, ExecutionError, ExecutionFailure, InstallError, Invocation, Limits,
    RuntimeError, StateReader,
};

/// Runs contracts. Create one per node and share it (`Runtime` is `Send +
/// Sync`); run [`Runtime::execute`] off the async reactor, it is CPU work.
pub struct Runtime {
    engine: Engine,
    linker: Linker<StoreData>,
    cache: Arc<ModuleCache>,
    limits: Limits,
}

impl Runtime {
    pub fn new(limits: Limits) -> Result<Runtime, RuntimeError> {
        let mut config = Config::new();
        config
            .consume_fuel(true)
            // Every endorser must compute the same bits: NaNs are made
            // canonical and relaxed SIMD (whose results vary by CPU) is off.
            // Threads and shared memory are not even compiled in (wasmtime's
            // `threads` feature is off in Cargo.toml).
            .cranelift_nan_canonicalization(true)
            .wasm_relaxed_simd(false)
            .relaxed_simd_deterministic(true)
            .wasm_memory64(false)
            .max_wasm_stack(limits.max_wasm_stack);
        let engine = Engine::new(&config).map_err(|e| RuntimeError(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        host::link(&mut linker).map_err(|e| RuntimeError(e.to_string()))?;
        Ok(Runtime { engine, linker, cache: Arc::default(), limits })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks and compiles `code` once; installing the same bytes again is a
    /// cache hit. Returns the hash contracts are deployed under.
    pub fn install(&self, code: &[u8]) -> Result<CodeHash, InstallError> {
        let hash = CodeHash::of(code);
        let _one_compile_at_a_time = self.cache.compiling.lock().unwrap_or_else(|p| p.into_inner());
        if self.cache.get(&hash).is_some() {
            return Ok(hash);
        }
        if code.len() > self.limits.max_module_bytes {
            return Err(InstallError::TooLarge { size: code.len(), limit: self.limits.max_module_bytes });
        }
        let module = Module::new(&self.engine, code).map_err(|e| InstallError::Invalid(format!("{e:#}")))?;
        check_module(&module)?;
        let pre = self.linker.instantiate_pre(&module).map_err(|e| InstallError::Invalid(format!("{e:#}")))?;
        self.cache.insert(hash, pre);
        Ok(hash)
    }

    pub fn is_installed(&self, hash: &CodeHash) -> bool {
        self.cache.get(hash).is_some()
    }

    /// Number of compiled modules held.
    pub fn installed_count(&self) -> usize {
        self.cache.len()
    }

    /// Runs one call against `state` (committed state at the endorsement
    /// height). Nothing is written anywhere: the writes come back in the
    /// read/write set for ordering and validation.
    pub fn execute(
        &self,
        invocation: &Invocation,
        state: Arc<dyn StateReader>,
        directory: Arc<dyn ContractDirectory>,
    ) -> Result<Execution, ExecutionFailure> {
        let fail = |error| ExecutionFailure { error, logs: Vec::new(), fuel_consumed: 0 };
        let data = StoreData {
            limiter: MemoryLimiter { memory_bytes: self.limits.memory_bytes, instances: self.limits.max_call_depth },
            frames: Vec::new(),
            rw: Default::default(),
            events: Vec::new(),
            logs: Vec::new(),
            log_bytes: 0,
            tx: invocation.tx.clone(),
            transient: invocation.transient.clone(),
            state,
            directory,
            cache: self.cache.clone(),
            limits: self.limits,
        };
        let pre = resolve(&data, &invocation.contract).map_err(fail)?;
        let mut store = Store::new(&self.engine, data);
        store.limiter(|d| &mut d.limiter);
        store.set_fuel(self.limits.fuel).expect("fuel metering is enabled in Runtime::new");
        let call = Call { function: invocation.function.clone(), args: invocation.args.clone() };
        store.data_mut().frames.push(Frame::new(invocation.contract.clone(), abi::encode_call(&call)));

        let outcome = run_frame(&mut store, &pre);
        let fuel_consumed = self.limits.fuel - store.get_fuel().unwrap_or(0);
        let data = store.into_data();
        let error = match outcome {
            Ok(CallOutcome::Ok(response)) => {
                return Ok(Execution {
                    response,
                    rwset: data.rw.build(),
                    events: data.events,
                    logs: data.logs,
                    fuel_consumed,
                })
            }
            Ok(CallOutcome::Err(message)) => ExecutionError::Failed { contract: invocation.contract.clone(), message },
            Err(e) => e,
        };
        Err(ExecutionFailure { error, logs: data.logs, fuel_consumed })
    }
}

/// The compiled module of the contract deployed as `contract`.
pub(crate) fn resolve(data: &StoreData, contract: &str) -> Result<InstancePre<StoreData>, ExecutionError> {
    let code = data
        .directory
        .code_of(contract)
        .ok_or_else(|| ExecutionError::UnknownContract { contract: contract.into() })?;
    data.cache.get(&code).ok_or_else(|| ExecutionError::NotInstalled { contract: contract.into(), code })
}

/// Instantiates the module for the top frame and runs its entry point.
pub(crate) fn run_frame(
    mut store: impl AsContextMut<Data = StoreData>,
    pre: &InstancePre<StoreData>,
) -> Result<CallOutcome, ExecutionError> {
    let result = pre.instantiate(&mut store).and_then(|instance| {
        let main = instance.get_typed_func::<(), ()>(&mut store, abi::ENTRY_POINT)?;
        main.call(&mut store, ())
    });
    let mut ctx = store.as_context_mut();
    let data = ctx.data_mut();
    let frame = data.frame();
    match result {
        Ok(()) => frame.outcome.take().ok_or_else(|| ExecutionError::NoResponse { contract: frame.contract.clone() }),
        Err(e) => Err(classify(&e, data)),
    }
}

/// Names the reason a call stopped, most specific first.
fn classify(e: &wasmtime::Error, data: &mut StoreData) -> ExecutionError {
    if let Some(Abort(inner)) = e.downcast_ref::<Abort>() {
        return inner.clone();
    }
    let limits = data.limits;
    let frame = data.frame();
    let contract = frame.contract.clone();
    if let Some(m) = e.downcast_ref::<MemoryExceeded>() {
        return ExecutionError::MemoryLimit { contract, requested: m.requested, limit: m.limit };
    }
    if let Some(message) = frame.panic.take() {
        return ExecutionError::Panicked { contract, message };
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => ExecutionError::OutOfFuel { contract, limit: limits.fuel },
        Some(Trap::StackOverflow) => ExecutionError::StackOverflow { contract, limit: limits.max_wasm_stack },
        Some(trap) => ExecutionError::Trapped { contract, trap: trap.to_string() },
        None => ExecutionError::Trapped { contract, trap: format!("{e:#}") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Runtime>();
    }
}
