//! Generated hostile input at the runtime's two doors: module bytes (a
//! deployer's) and the host ABI (a running contract's pointers, lengths
//! and call order). Whatever arrives, the runtime answers with a result or
//! a named error — never a panic — and runs the next call normally.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::call;
use proptest::prelude::*;
use weft_contracts::{Limits, MemoryState, Runtime};

fn limits() -> Limits {
    Limits { fuel: 5_000_000, memory_bytes: 4 << 20, max_call_depth: 3, ..Limits::default() }
}

/// Every host import with its parameter count and whether it returns a
/// value to drop.
const IMPORTS: [(&str, usize, Option<&str>); 16] = [
    ("input", 0, Some("i32")),
    ("read_return", 1, None),
    ("get", 2, Some("i32")),
    ("put", 4, None),
    ("delete", 2, None),
    ("range", 4, Some("i32")),
    ("creator", 0, Some("i32")),
    ("tx_id", 0, Some("i32")),
    ("tx_timestamp", 0, Some("i64")),
    ("transient", 2, Some("i32")),
    ("set_event", 4, None),
    ("invoke", 4, Some("i32")),
    ("log", 3, None),
    ("ok", 2, None),
    ("fail", 2, None),
    ("panicked", 2, None),
];

/// A module importing every host function whose `weft_main` makes `calls`
/// (import index, arguments) in order. Memory starts with a contract name
/// and a key, so some pointers name real things.
fn module(calls: &[(usize, Vec<i32>)]) -> String {
    let mut text = String::from("(module\n");
    for (i, (name, params, result)) in IMPORTS.iter().enumerate() {
        let params = " i32".repeat(*params);
        let result = result.map(|r| format!(" (result {r})")).unwrap_or_default();
        let params = if params.is_empty() { String::new() } else { format!(" (param{params})") };
        text.push_str(&format!("  (import \"weft\" \"{name}\" (func $f{i}{params}{result}))\n"));
    }
    text.push_str("  (memory (export \"memory\") 1)\n  (data (i32.const 0) \"rawk1v1\")\n");
    text.push_str("  (func (export \"weft_main\")\n");
    for (index, args) in calls {
        let (_, params, result) = IMPORTS[*index];
        let args: String = args.iter().take(params).map(|a| format!(" (i32.const {a})")).collect();
        let call = format!("(call $f{index}{args})");
        text.push_str(&match result {
            Some(_) => format!("    (drop {call})\n"),
            None => format!("    {call}\n"),
        });
    }
    text.push_str("  ))\n");
    text
}

fn pointer() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(0),
        Just(-1),
        Just(i32::MAX),
        Just(i32::MIN),
        Just(65_535),
        Just(65_536),
        0..8i32,
        60_000..70_000i32,
        any::<i32>(),
    ]
}

fn host_call() -> impl Strategy<Value = (usize, Vec<i32>)> {
    (0..IMPORTS.len(), prop::collection::vec(pointer(), 4))
}

/// The runtime still runs an honest contract.
fn still_works(runtime: &Runtime) {
    let honest = wat::parse_str(
        r#"(module
            (import "weft" "ok" (func $ok (param i32 i32)))
            (memory (export "memory") 1)
            (data (i32.const 0) "\"fine\"")
            (func (export "weft_main") (call $ok (i32.const 0) (i32.const 6))))"#,
    )
    .unwrap();
    let hash = runtime.install(&honest).unwrap();
    let directory = Arc::new(BTreeMap::from([("honest".to_string(), hash)]));
    let done = runtime.execute(&call("honest", "f", &[]), Arc::new(MemoryState::new()), directory).unwrap();
    assert_eq!(done.response, br#""fine""#);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any sequence of host calls with any pointers and lengths ends in a
    /// response or a named error.
    #[test]
    fn host_calls_with_any_arguments_never_panic(calls in prop::collection::vec(host_call(), 1..12)) {
        let runtime = Runtime::new(limits()).unwrap();
        let hash = runtime.install(&wat::parse_str(module(&calls)).unwrap()).unwrap();
        let directory = Arc::new(BTreeMap::from([("raw".to_string(), hash)]));
        let state = Arc::new(MemoryState::new());
        if let Err(failure) = runtime.execute(&call("raw", "f", &["x"]), state, directory) {
            prop_assert!(!failure.error.to_string().is_empty());
        }
        still_works(&runtime);
    }

    /// Module bytes a deployer sends — a valid module with bytes changed,
    /// cut short or extended — install or are refused by name.
    #[test]
    fn changed_module_bytes_install_or_are_refused(
        calls in prop::collection::vec(host_call(), 1..4),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in prop::option::of(any::<prop::sample::Index>()),
        tail in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = wat::parse_str(module(&calls)).unwrap();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        bytes.extend(tail);
        let runtime = Runtime::new(limits()).unwrap();
        match runtime.install(&bytes) {
            Ok(hash) => {
                let directory = Arc::new(BTreeMap::from([("raw".to_string(), hash)]));
                if let Err(failure) = runtime.execute(&call("raw", "f", &[]), Arc::new(MemoryState::new()), directory) {
                    prop_assert!(!failure.error.to_string().is_empty());
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        still_works(&runtime);
    }

    /// Arbitrary bytes are refused as a module, by name.
    #[test]
    fn arbitrary_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let runtime = Runtime::new(limits()).unwrap();
        if let Err(e) = runtime.install(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}
