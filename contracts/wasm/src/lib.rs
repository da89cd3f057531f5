//! The example and fixture contracts as wasm32 modules, built from source by
//! this crate's build script. Tests, benchmarks and demos install these bytes.

/// `contracts/examples/kv`.
pub const KV: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kv.wasm"));
/// `contracts/examples/asset-transfer`.
pub const ASSET_TRANSFER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/asset_transfer.wasm"));
/// `contracts/examples/notary`.
pub const NOTARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/notary.wasm"));
/// `contracts/fixtures/testbed`: misbehaves on purpose and probes host
/// functions. Tests only; never deploy it.
pub const TESTBED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/testbed.wasm"));

/// The deployable examples, by the name they are usually deployed under.
pub const EXAMPLES: [(&str, &[u8]); 3] = [("kv", KV), ("asset-transfer", ASSET_TRANSFER), ("notary", NOTARY)];

#[cfg(test)]
mod tests {
    #[test]
    fn modules_are_wasm() {
        for (name, code) in super::EXAMPLES.iter().chain([("testbed", super::TESTBED)].iter()) {
            assert_eq!(&code[..4], b"\0asm", "{name} is not a wasm module");
        }
    }
}
