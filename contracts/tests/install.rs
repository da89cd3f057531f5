//! Install-time checks: what a module may import and must export.

use weft_contracts::{InstallError, Limits, Runtime};

fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test module is valid WAT")
}

const MINIMAL_EXPORTS: &str = r#"(memory (export "memory") 1) (func (export "weft_main"))"#;

fn install(text: &str) -> Result<weft_contracts::CodeHash, InstallError> {
    Runtime::new(Limits::default()).unwrap().install(&wasm(text))
}

#[test]
fn the_examples_install_and_installing_twice_compiles_once() {
    let runtime = Runtime::new(Limits::default()).unwrap();
    for (name, code) in weft_contract_wasm::EXAMPLES {
        let first = runtime.install(code).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(runtime.install(code).unwrap(), first);
        assert!(runtime.is_installed(&first));
    }
    assert_eq!(runtime.installed_count(), 3);
}

#[test]
fn a_host_import_with_the_right_signature_is_accepted() {
    install(&format!(r#"(module (import "weft" "get" (func (param i32 i32) (result i32))) {MINIMAL_EXPORTS})"#))
        .unwrap();
}

#[test]
fn an_import_outside_the_host_api_is_named() {
    let err =
        install(&format!(r#"(module (import "env" "clock_ms" (func (result i64))) {MINIMAL_EXPORTS})"#)).unwrap_err();
    assert!(matches!(&err, InstallError::ForbiddenImport { import, .. } if import == "`env.clock_ms` (function)"));
    let msg = err.to_string();
    assert!(msg.contains("env.clock_ms") && msg.contains("weft` functions"), "{msg}");
}

#[test]
fn a_wasi_module_is_told_to_build_for_unknown_unknown() {
    let text = format!(
        r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) {MINIMAL_EXPORTS})"#
    );
    let msg = install(&text).unwrap_err().to_string();
    assert!(msg.contains("wasi_snapshot_preview1.fd_write") && msg.contains("wasm32-unknown-unknown"), "{msg}");
}

#[test]
fn an_unknown_weft_function_or_imported_memory_is_refused() {
    let err = install(&format!(r#"(module (import "weft" "random" (func (result i32))) {MINIMAL_EXPORTS})"#));
    assert!(matches!(err, Err(InstallError::ForbiddenImport { import, .. }) if import == "`weft.random` (function)"));
    let err = install(r#"(module (import "weft" "memory" (memory 1)) (func (export "weft_main")))"#);
    assert!(matches!(err, Err(InstallError::ForbiddenImport { import, .. }) if import == "`weft.memory` (memory)"));
}

#[test]
fn a_wrong_signature_is_shown_next_to_the_right_one() {
    let err = install(&format!(r#"(module (import "weft" "get" (func (param i64) (result i32))) {MINIMAL_EXPORTS})"#))
        .unwrap_err();
    assert_eq!(
        err,
        InstallError::WrongSignature {
            import: "`weft.get`".into(),
            found: "(i64) -> (i32)".into(),
            expected: "(i32, i32) -> (i32)".into()
        }
    );
}

#[test]
fn missing_exports_are_named() {
    let err = install(r#"(module (func (export "weft_main")))"#).unwrap_err();
    assert!(err.to_string().contains("memory `memory`"), "{err}");
    let err = install(r#"(module (memory (export "memory") 1))"#).unwrap_err();
    assert!(err.to_string().contains("weft_main: () -> ()"), "{err}");
    let err = install(r#"(module (memory (export "memory") 1) (func (export "weft_main") (param i32)))"#).unwrap_err();
    assert!(matches!(err, InstallError::MissingExport { .. }));
}

#[test]
fn oversized_and_malformed_modules_are_refused() {
    let runtime = Runtime::new(Limits { max_module_bytes: 1000, ..Limits::default() }).unwrap();
    let err = runtime.install(weft_contract_wasm::KV).unwrap_err();
    assert!(matches!(err, InstallError::TooLarge { limit: 1000, .. }), "{err}");
    let err = runtime.install(b"\0asm\x01\0\0\0garbage").unwrap_err();
    assert!(matches!(err, InstallError::Invalid(_)), "{err}");
    assert_eq!(runtime.installed_count(), 0);
}
