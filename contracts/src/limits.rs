//! What one invocation may use. Defaults fit one laptop and the example
//! contracts with a wide margin; a node's config can change them.

/// Resource limits for installing and running contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Fuel per invocation (about one unit per WebAssembly instruction, plus
    /// a charge per host call and per byte crossing the boundary), shared by
    /// contracts it invokes.
    pub fuel: u64,
    /// Largest linear memory of any one instance, in bytes.
    pub memory_bytes: usize,
    /// Native stack the engine lets WebAssembly use, in bytes.
    pub max_wasm_stack: usize,
    /// Largest module accepted at install.
    pub max_module_bytes: usize,
    /// Largest response payload (and failure message).
    pub max_response_bytes: usize,
    /// Largest key, in bytes.
    pub max_key_bytes: usize,
    /// Largest value written, in bytes.
    pub max_value_bytes: usize,
    /// Most events per transaction.
    pub max_events: usize,
    /// Largest event payload, in bytes.
    pub max_event_bytes: usize,
    /// Most entries one range call may return.
    pub max_range_entries: usize,
    /// Deepest chain of contract-to-contract calls (the called-from-outside
    /// contract counts as depth 1).
    pub max_call_depth: usize,
    /// Log bytes kept per invocation; the line that reaches the limit is
    /// cut there and later lines are dropped.
    pub max_log_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 200_000_000,
            memory_bytes: 64 << 20,
            max_wasm_stack: 512 << 10,
            max_module_bytes: 4 << 20,
            max_response_bytes: 1 << 20,
            max_key_bytes: 1024,
            max_value_bytes: 1 << 20,
            max_events: 16,
            max_event_bytes: 64 << 10,
            max_range_entries: 10_000,
            max_call_depth: 8,
            max_log_bytes: 64 << 10,
        }
    }
}
