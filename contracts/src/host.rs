//! The host API: the `weft` functions a contract imports. Each one checks
//! what the guest passed (pointers, sizes, keys), charges fuel, and records
//! what the contract read or wrote.

use wasmtime::{Caller, Extern, Linker, Memory};
use weft_contract_sdk::abi::{self, CallOutcome, NONE};
use weft_proto::ContractEvent;

use crate::engine::run_frame;
use crate::store_data::{Frame, StoreData};
use crate::{ExecutionError, LogLevel, LogLine};

type Ctx<'a> = Caller<'a, StoreData>;
type Res<T> = wasmtime::Result<T>;

/// Fuel every host call costs, on top of one unit per byte moved: host work
/// (a RocksDB read, a copy) is worth many WebAssembly instructions.
const HOST_CALL_FUEL: u64 = 1_000;
/// Longest panic message kept.
const MAX_PANIC_BYTES: usize = 4096;
/// Longest event name.
const MAX_EVENT_NAME_BYTES: usize = 256;

/// Ends the whole invocation with `0`; carried through nested calls intact.
#[derive(Debug)]
pub(crate) struct Abort(pub ExecutionError);

impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Abort {}

fn abort(e: ExecutionError) -> wasmtime::Error {
    wasmtime::Error::new(Abort(e))
}

fn abi_error(c: &Ctx<'_>, what: impl Into<String>) -> wasmtime::Error {
    abort(ExecutionError::Abi { contract: c.data().contract().to_string(), what: what.into() })
}

fn too_large(c: &Ctx<'_>, what: &'static str, size: usize, limit: usize) -> wasmtime::Error {
    abort(ExecutionError::TooLarge { contract: c.data().contract().to_string(), what, size, limit })
}

fn memory(c: &mut Ctx<'_>) -> Res<Memory> {
    match c.get_export(abi::MEMORY_EXPORT) {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(abi_error(c, "module has no exported memory")),
    }
}

fn charge(c: &mut Ctx<'_>, bytes: usize) -> Res<()> {
    let cost = HOST_CALL_FUEL.saturating_add(bytes as u64);
    let fuel = c.get_fuel()?;
    if fuel < cost {
        c.set_fuel(0)?;
        let limit = c.data().limits.fuel;
        return Err(abort(ExecutionError::OutOfFuel { contract: c.data().contract().to_string(), limit }));
    }
    c.set_fuel(fuel - cost)
}

/// Copies `len` bytes at `ptr` out of guest memory, refusing more than `max`.
fn read(c: &mut Ctx<'_>, ptr: i32, len: i32, what: &'static str, max: usize) -> Res<Vec<u8>> {
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    if len > max {
        return Err(too_large(c, what, len, max));
    }
    charge(c, len)?;
    let mem = memory(c)?;
    match mem.data(&*c).get(start..start + len) {
        Some(bytes) => Ok(bytes.to_vec()),
        None => Err(abi_error(c, format!("{what} at {start}+{len} is outside the module's memory"))),
    }
}

fn read_str(c: &mut Ctx<'_>, ptr: i32, len: i32, what: &'static str, max: usize) -> Res<String> {
    let bytes = read(c, ptr, len, what, max)?;
    String::from_utf8(bytes).map_err(|_| abi_error(c, format!("{what} is not UTF-8")))
}

fn read_key(c: &mut Ctx<'_>, ptr: i32, len: i32) -> Res<String> {
    let max = c.data().limits.max_key_bytes;
    let key = read_str(c, ptr, len, "key", max)?;
    if key.is_empty() {
        let contract = c.data().contract().to_string();
        return Err(abort(ExecutionError::InvalidKey { contract, key, why: "keys must not be empty" }));
    }
    Ok(key)
}

/// Puts `bytes` in the return buffer and returns their length.
fn give(c: &mut Ctx<'_>, bytes: Vec<u8>) -> Res<i32> {
    charge(c, bytes.len())?;
    let len = i32::try_from(bytes.len()).map_err(|_| abi_error(c, "return value over 2 GiB"))?;
    c.data_mut().frame().ret = bytes;
    Ok(len)
}

pub(crate) fn link(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    let m = abi::HOST_MODULE;

    linker.func_wrap(m, "input", |mut c: Ctx<'_>| -> Res<i32> {
        let input = c.data().frames.last().map(|f| f.input.clone()).unwrap_or_default();
        give(&mut c, input)
    })?;

    linker.func_wrap(m, "read_return", |mut c: Ctx<'_>, ptr: i32| -> Res<()> {
        let mem = memory(&mut c)?;
        let (data, store) = mem.data_and_store_mut(&mut c);
        let buf = std::mem::take(&mut store.frame().ret);
        let start = ptr as u32 as usize;
        match data.get_mut(start..start + buf.len()) {
            Some(dst) => {
                dst.copy_from_slice(&buf);
                Ok(())
            }
            None => Err(abi_error(&c, "read_return target is outside the module's memory")),
        }
    })?;

    linker.func_wrap(m, "get", |mut c: Ctx<'_>, kp: i32, kl: i32| -> Res<i32> {
        let key = read_key(&mut c, kp, kl)?;
        let ns = c.data().contract().to_string();
        let value = c.data().state.get(&ns, &key).map_err(|e| abort(e.into()))?;
        c.data_mut().rw.read(&ns, &key, value.as_ref().and_then(|v| v.version));
        match value {
            Some(v) => give(&mut c, v.value),
            None => Ok(NONE),
        }
    })?;

    linker.func_wrap(m, "put", |mut c: Ctx<'_>, kp: i32, kl: i32, vp: i32, vl: i32| -> Res<()> {
        let key = read_key(&mut c, kp, kl)?;
        let max = c.data().limits.max_value_bytes;
        let value = read(&mut c, vp, vl, "value", max)?;
        let ns = c.data().contract().to_string();
        c.data_mut().rw.write(&ns, &key, Some(value));
        Ok(())
    })?;

    linker.func_wrap(m, "delete", |mut c: Ctx<'_>, kp: i32, kl: i32| -> Res<()> {
        let key = read_key(&mut c, kp, kl)?;
        let ns = c.data().contract().to_string();
        c.data_mut().rw.write(&ns, &key, None);
        Ok(())
    })?;

    linker.func_wrap(m, "range", |mut c: Ctx<'_>, sp: i32, sl: i32, ep: i32, el: i32| -> Res<i32> {
        let max_key = c.data().limits.max_key_bytes;
        let start = read_str(&mut c, sp, sl, "range start", max_key)?;
        let end = read_str(&mut c, ep, el, "range end", max_key)?;
        let ns = c.data().contract().to_string();
        let limit = c.data().limits.max_range_entries;
        let end_bound = (!end.is_empty()).then_some(end.as_str());
        let entries = c.data().state.range(&ns, &start, end_bound, limit + 1).map_err(|e| abort(e.into()))?;
        if entries.len() > limit {
            return Err(abort(ExecutionError::RangeTooLarge { contract: ns, start, end, limit }));
        }
        let reads = entries.iter().map(|(k, v)| (k.clone(), v.version)).collect();
        c.data_mut().rw.range(&ns, &start, &end, reads);
        let pairs: Vec<(String, Vec<u8>)> = entries.into_iter().map(|(k, v)| (k, v.value)).collect();
        give(&mut c, abi::encode_entries(&pairs))
    })?;

    linker.func_wrap(m, "creator", |mut c: Ctx<'_>| -> Res<i32> {
        let creator = &c.data().tx.creator;
        let bytes = abi::encode_creator(&creator.org_id, &creator.certificate_der);
        give(&mut c, bytes)
    })?;

    linker.func_wrap(m, "tx_id", |mut c: Ctx<'_>| -> Res<i32> {
        let id = c.data().tx.tx_id.0.to_vec();
        give(&mut c, id)
    })?;

    linker.func_wrap(m, "tx_timestamp", |mut c: Ctx<'_>| -> Res<i64> {
        charge(&mut c, 0)?;
        Ok(c.data().tx.timestamp_unix_ms as i64)
    })?;

    linker.func_wrap(m, "transient", |mut c: Ctx<'_>, kp: i32, kl: i32| -> Res<i32> {
        let key = read_key(&mut c, kp, kl)?;
        match c.data().transient.get(&key).cloned() {
            Some(v) => give(&mut c, v),
            None => Ok(NONE),
        }
    })?;

    linker.func_wrap(m, "set_event", |mut c: Ctx<'_>, np: i32, nl: i32, pp: i32, pl: i32| -> Res<()> {
        let name = read_str(&mut c, np, nl, "event name", MAX_EVENT_NAME_BYTES)?;
        let max = c.data().limits.max_event_bytes;
        let payload = read(&mut c, pp, pl, "event payload", max)?;
        let (limit, contract) = (c.data().limits.max_events, c.data().contract().to_string());
        if c.data().events.len() >= limit {
            return Err(abort(ExecutionError::TooManyEvents { contract, limit }));
        }
        c.data_mut().events.push(ContractEvent { contract, name, payload });
        Ok(())
    })?;

    linker.func_wrap(m, "invoke", |mut c: Ctx<'_>, cp: i32, cl: i32, ip: i32, il: i32| -> Res<i32> {
        let max_key = c.data().limits.max_key_bytes;
        let callee = read_str(&mut c, cp, cl, "contract name", max_key)?;
        let max_input = c.data().limits.max_response_bytes;
        let input = read(&mut c, ip, il, "call input", max_input)?;
        abi::decode_call(&input).map_err(|e| abi_error(&c, e.to_string()))?;
        let (depth, limit) = (c.data().frames.len() + 1, c.data().limits.max_call_depth);
        if depth > limit {
            return Err(abort(ExecutionError::CallDepth { contract: c.data().contract().to_string(), depth, limit }));
        }
        let pre = crate::engine::resolve(c.data(), &callee).map_err(abort)?;
        let writes = c.data().rw.mark_writes();
        let events = c.data().events.len();
        c.data_mut().frames.push(Frame::new(callee, input));
        let result = run_frame(&mut c, &pre);
        c.data_mut().frames.pop();
        match result {
            Ok(outcome) => {
                if let CallOutcome::Err(_) = outcome {
                    // A failed callee leaves nothing behind but what it read.
                    c.data_mut().rw.reset_writes(writes);
                    c.data_mut().events.truncate(events);
                }
                give(&mut c, abi::encode_outcome(&outcome))
            }
            Err(e) => Err(abort(e)),
        }
    })?;

    linker.func_wrap(m, "log", |mut c: Ctx<'_>, level: i32, p: i32, l: i32| -> Res<()> {
        // Copy only what the log budget can still take; past it, lines drop.
        let room = c.data().limits.max_log_bytes - c.data().log_bytes;
        let len = (l as u32 as usize).min(room);
        if len == 0 {
            return Ok(());
        }
        let message = read(&mut c, p, len as i32, "log line", room)?;
        let data = c.data_mut();
        data.log_bytes += message.len();
        let level = match level {
            abi::LOG_ERROR => LogLevel::Error,
            abi::LOG_WARN => LogLevel::Warn,
            abi::LOG_DEBUG => LogLevel::Debug,
            _ => LogLevel::Info,
        };
        let line = LogLine {
            contract: data.contract().to_string(),
            level,
            message: String::from_utf8_lossy(&message).into_owned(),
        };
        data.logs.push(line);
        Ok(())
    })?;

    linker.func_wrap(m, "ok", |mut c: Ctx<'_>, p: i32, l: i32| -> Res<()> {
        let max = c.data().limits.max_response_bytes;
        let payload = read(&mut c, p, l, "response", max)?;
        c.data_mut().frame().outcome = Some(CallOutcome::Ok(payload));
        Ok(())
    })?;

    linker.func_wrap(m, "fail", |mut c: Ctx<'_>, p: i32, l: i32| -> Res<()> {
        let max = c.data().limits.max_response_bytes;
        let message = read(&mut c, p, l, "error message", max)?;
        c.data_mut().frame().outcome = Some(CallOutcome::Err(String::from_utf8_lossy(&message).into_owned()));
        Ok(())
    })?;

    linker.func_wrap(m, "panicked", |mut c: Ctx<'_>, p: i32, l: i32| -> Res<()> {
        let len = (l as u32 as usize).min(MAX_PANIC_BYTES);
        let message = read(&mut c, p, len as i32, "panic message", MAX_PANIC_BYTES)?;
        c.data_mut().frame().panic = Some(tidy_panic(&String::from_utf8_lossy(&message)));
        Ok(())
    })?;

    Ok(())
}

/// `panicked at src/lib.rs:3:5:\nboom` → `boom (at src/lib.rs:3:5)`.
fn tidy_panic(raw: &str) -> String {
    match raw.strip_prefix("panicked at ").and_then(|rest| rest.split_once(":\n")) {
        Some((location, message)) => format!("{message} (at {location})"),
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn panic_messages_put_the_message_first() {
        assert_eq!(super::tidy_panic("panicked at src/lib.rs:3:5:\nboom"), "boom (at src/lib.rs:3:5)");
        assert_eq!(super::tidy_panic("odd"), "odd");
    }
}
