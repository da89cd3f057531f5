//! Install-time checks: a module may import only the host API, with the
//! host's signatures, and must export its memory and entry point.

use wasmtime::{ExternType, FuncType, Module, ValType};
use weft_contract_sdk::abi::{self, HostFunction, Ret};

use crate::InstallError;

pub(crate) fn check_module(module: &Module) -> Result<(), InstallError> {
    for import in module.imports() {
        let name = format!("{}.{}", import.module(), import.name());
        let host = (import.module() == abi::HOST_MODULE)
            .then(|| abi::HOST_FUNCTIONS.iter().find(|f| f.name == import.name()))
            .flatten();
        match (host, import.ty()) {
            (Some(host), ExternType::Func(ty)) => check_signature(&name, host, &ty)?,
            (_, ty) => {
                return Err(InstallError::ForbiddenImport {
                    import: format!("`{name}` ({})", kind(&ty)),
                    allowed: abi::HOST_FUNCTIONS.iter().map(|f| f.name).collect::<Vec<_>>().join(", "),
                })
            }
        }
    }
    let has = |name: &str, ok: fn(&ExternType) -> bool| module.exports().any(|e| e.name() == name && ok(&e.ty()));
    if !has(abi::MEMORY_EXPORT, |t| matches!(t, ExternType::Memory(_))) {
        return Err(InstallError::MissingExport { export: format!("memory `{}`", abi::MEMORY_EXPORT) });
    }
    let entry_ok = |t: &ExternType| matches!(t, ExternType::Func(f) if f.params().len() == 0 && f.results().len() == 0);
    if !has(abi::ENTRY_POINT, entry_ok) {
        return Err(InstallError::MissingExport { export: format!("function `{}: () -> ()`", abi::ENTRY_POINT) });
    }
    Ok(())
}

fn check_signature(name: &str, host: &HostFunction, ty: &FuncType) -> Result<(), InstallError> {
    let params: Vec<ValType> = ty.params().collect();
    let results: Vec<ValType> = ty.results().collect();
    let want_results: &[&str] = match host.ret {
        Ret::None => &[],
        Ret::I32 => &["i32"],
        Ret::I64 => &["i64"],
    };
    let params_ok = params.len() == host.params && params.iter().all(|p| matches!(p, ValType::I32));
    let results_ok = results.iter().map(val_name).eq(want_results.iter().copied());
    if params_ok && results_ok {
        return Ok(());
    }
    let expected = format!("({}) -> ({})", vec!["i32"; host.params].join(", "), want_results.join(", "));
    let found = format!(
        "({}) -> ({})",
        params.iter().map(val_name).collect::<Vec<_>>().join(", "),
        results.iter().map(val_name).collect::<Vec<_>>().join(", ")
    );
    Err(InstallError::WrongSignature { import: format!("`{name}`"), found, expected })
}

fn val_name(v: &ValType) -> &'static str {
    match v {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::Ref(_) => "ref",
    }
}

fn kind(ty: &ExternType) -> &'static str {
    match ty {
        ExternType::Func(_) => "function",
        ExternType::Memory(_) => "memory",
        ExternType::Table(_) => "table",
        ExternType::Global(_) => "global",
        ExternType::Tag(_) => "tag",
    }
}
