//! Contracts that misbehave: each is stopped with an error that names the
//! cause, and the same runtime runs the next call normally.

mod common;

use common::{call, Chain};
use weft_contract_wasm::TESTBED;
use weft_contracts::{ExecutionError, Limits};

fn limits() -> Limits {
    Limits {
        fuel: 20_000_000,
        memory_bytes: 16 << 20,
        max_response_bytes: 64 << 10,
        max_event_bytes: 1024,
        max_events: 4,
        ..Limits::default()
    }
}

fn chain() -> Chain {
    Chain::new(limits(), &[("testbed", TESTBED)])
}

/// Runs `function`, returns its error, and checks the runtime still works.
fn misbehave(function: &str, args: &[&str]) -> ExecutionError {
    let c = chain();
    let err = c.run(&call("testbed", function, args)).expect_err("the call must fail");
    let next = c.run(&call("testbed", "ok", &[])).expect("the runtime is usable after a failed call");
    assert_eq!(next.response, br#""fine""#);
    err
}

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let err = misbehave("spin", &[]);
    assert_eq!(err, ExecutionError::OutOfFuel { contract: "testbed".into(), limit: 20_000_000 });
    assert!(err.to_string().contains("loops forever"), "{err}");
}

#[test]
fn a_memory_bomb_hits_the_memory_limit() {
    match misbehave("grow", &[]) {
        ExecutionError::MemoryLimit { contract, requested, limit } => {
            assert_eq!((contract.as_str(), limit), ("testbed", 16 << 20));
            assert!(requested > limit);
        }
        other => panic!("expected MemoryLimit, got {other:?}"),
    }
}

#[test]
fn deep_recursion_overflows_the_stack() {
    let err = misbehave("recurse", &["100000000"]);
    assert_eq!(err, ExecutionError::StackOverflow { contract: "testbed".into(), limit: limits().max_wasm_stack });
}

#[test]
fn shallow_recursion_is_fine() {
    let c = chain();
    assert_eq!(c.run(&call("testbed", "recurse", &["1000"])).unwrap().response, b"1000");
}

#[test]
fn a_panic_reports_its_message_and_location() {
    match misbehave("panic", &["the invariant broke"]) {
        ExecutionError::Panicked { contract, message } => {
            assert_eq!(contract, "testbed");
            assert!(message.starts_with("the invariant broke (at "), "{message}");
            assert!(message.contains("lib.rs"), "{message}");
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
}

#[test]
fn a_panic_after_writing_leaves_no_writes() {
    let c = chain();
    let failure = c
        .runtime
        .execute(&call("testbed", "put_then_panic", &[]), std::sync::Arc::new(c.state.clone()), c.directory.clone())
        .unwrap_err();
    assert!(
        matches!(failure.error, ExecutionError::Panicked { ref message, .. } if message.starts_with("changed my mind"))
    );
    assert!(failure.fuel_consumed > 0);
    // Failure carries no read/write set at all: there is nothing to commit.
}

#[test]
fn an_oversized_response_is_refused() {
    let err = misbehave("big_return", &["100000"]);
    assert!(matches!(err, ExecutionError::TooLarge { what: "response", limit, .. } if limit == 64 << 10), "{err:?}");
}

#[test]
fn an_oversized_event_is_refused() {
    let err = misbehave("big_event", &["5000"]);
    assert_eq!(
        err,
        ExecutionError::TooLarge { contract: "testbed".into(), what: "event payload", size: 5000, limit: 1024 }
    );
}

#[test]
fn too_many_events_are_refused() {
    let err = misbehave("many_events", &["10"]);
    assert_eq!(err, ExecutionError::TooManyEvents { contract: "testbed".into(), limit: 4 });
}

#[test]
fn a_contract_calling_itself_forever_hits_the_depth_limit() {
    // proxy → proxy → … : each level re-encodes the call one level deeper.
    let mut args = r#"[]"#.to_string();
    for _ in 0..12 {
        args = serde_json::to_string(&vec!["testbed", "proxy", &args]).unwrap();
    }
    let inner: Vec<String> = serde_json::from_str(&args).unwrap();
    let refs: Vec<&str> = inner.iter().map(String::as_str).collect();
    let err = misbehave("proxy", &refs);
    assert!(matches!(err, ExecutionError::CallDepth { limit: 8, .. }), "{err:?}");
}

/// Hand-written modules for what the Rust SDK never does.
mod raw {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use weft_contracts::{MemoryState, Runtime};

    fn run(text: &str) -> ExecutionError {
        let runtime = Runtime::new(limits()).unwrap();
        let hash = runtime.install(&wat::parse_str(text).unwrap()).unwrap();
        let directory = Arc::new(BTreeMap::from([("raw".to_string(), hash)]));
        runtime.execute(&call("raw", "f", &[]), Arc::new(MemoryState::new()), directory).unwrap_err().error
    }

    #[test]
    fn a_pointer_outside_memory_is_an_abi_error() {
        let err = run(r#"(module
            (import "weft" "put" (func $put (param i32 i32 i32 i32)))
            (memory (export "memory") 1)
            (func (export "weft_main") (call $put (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 1))))"#);
        assert!(
            matches!(&err, ExecutionError::Abi { what, .. } if what.contains("outside the module's memory")),
            "{err:?}"
        );
    }

    #[test]
    fn returning_without_a_response_is_named() {
        let err = run(r#"(module (memory (export "memory") 1) (func (export "weft_main")))"#);
        assert_eq!(err, ExecutionError::NoResponse { contract: "raw".into() });
    }

    #[test]
    fn an_empty_key_is_refused() {
        let err = run(r#"(module
            (import "weft" "get" (func $get (param i32 i32) (result i32)))
            (memory (export "memory") 1)
            (func (export "weft_main") (drop (call $get (i32.const 0) (i32.const 0)))))"#);
        assert!(matches!(err, ExecutionError::InvalidKey { .. }), "{err:?}");
    }

    #[test]
    fn an_initial_memory_over_the_limit_is_refused() {
        let err = run(r#"(module (memory (export "memory") 1000) (func (export "weft_main")))"#);
        assert!(matches!(err, ExecutionError::MemoryLimit { .. }), "{err:?}");
    }

    #[test]
    fn a_range_over_the_entry_limit_is_refused() {
        let mut limits = limits();
        limits.max_range_entries = 3;
        let mut c = Chain::new(limits, &[("kv", weft_contract_wasm::KV)]);
        for k in ["a", "b", "c", "d"] {
            c.ok("kv", "put", &[k, "v"]);
        }
        assert!(c.run(&call("kv", "range", &["a", "d"])).is_ok());
        let err = c.run(&call("kv", "range", &["", ""])).unwrap_err();
        assert!(matches!(err, ExecutionError::RangeTooLarge { limit: 3, .. }), "{err:?}");
    }
}

#[test]
fn a_log_flood_is_cut_at_the_budget_and_the_call_succeeds() {
    let c = Chain::new(Limits { max_log_bytes: 10, ..limits() }, &[("testbed", TESTBED)]);
    let out = c.run(&call("testbed", "log", &["0123456789abcdefghij"])).unwrap();
    assert_eq!(out.logs.len(), 1);
    assert_eq!(out.logs[0].message, "0123456789");
}
