//! The guest side of the ABI: host imports and the entry-point driver the
//! [`contract!`](crate::contract) macro calls. Compiled only for wasm32.

use crate::abi::{self, Call, CallOutcome, NONE};
use crate::{Context, Creator, DispatchFn};

#[link(wasm_import_module = "weft")]
extern "C" {
    fn input() -> i32;
    fn read_return(ptr: *mut u8);
    fn get(kp: *const u8, kl: i32) -> i32;
    fn put(kp: *const u8, kl: i32, vp: *const u8, vl: i32);
    fn delete(kp: *const u8, kl: i32);
    fn range(sp: *const u8, sl: i32, ep: *const u8, el: i32) -> i32;
    fn creator() -> i32;
    fn tx_id() -> i32;
    fn tx_timestamp() -> i64;
    fn transient(kp: *const u8, kl: i32) -> i32;
    fn set_event(np: *const u8, nl: i32, pp: *const u8, pl: i32);
    fn invoke(cp: *const u8, cl: i32, ip: *const u8, il: i32) -> i32;
    fn log(level: i32, p: *const u8, l: i32);
    fn ok(p: *const u8, l: i32);
    fn fail(p: *const u8, l: i32);
    fn panicked(p: *const u8, l: i32);
}

fn len(b: &[u8]) -> i32 {
    b.len() as i32
}

/// Copies the host's return buffer of `n` bytes, or `None` for [`NONE`].
fn take_return(n: i32) -> Option<Vec<u8>> {
    if n == NONE {
        return None;
    }
    let mut buf = vec![0u8; n as usize];
    // SAFETY: the host writes exactly `n` bytes, the length it just returned.
    unsafe { read_return(buf.as_mut_ptr()) };
    Some(buf)
}

/// Host-side decoding errors cannot happen for bytes the host encoded; if
/// they do, the host and SDK disagree on the ABI and the call must stop.
fn abi<T>(r: Result<T, abi::AbiError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}: the host and weft-contract-sdk versions disagree"))
}

struct Host;

impl Context for Host {
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        take_return(unsafe { get(key.as_ptr(), len(key.as_bytes())) })
    }

    fn put(&mut self, key: &str, value: &[u8]) {
        unsafe { put(key.as_ptr(), len(key.as_bytes()), value.as_ptr(), len(value)) }
    }

    fn delete(&mut self, key: &str) {
        unsafe { delete(key.as_ptr(), len(key.as_bytes())) }
    }

    fn range(&mut self, start: &str, end: &str) -> Vec<(String, Vec<u8>)> {
        let n = unsafe { range(start.as_ptr(), len(start.as_bytes()), end.as_ptr(), len(end.as_bytes())) };
        abi(abi::decode_entries(&take_return(n).unwrap_or_default()))
    }

    fn creator(&mut self) -> Creator {
        let (org_id, certificate_der) =
            abi(abi::decode_creator(&take_return(unsafe { creator() }).unwrap_or_default()));
        Creator { org_id, certificate_der }
    }

    fn tx_id(&mut self) -> [u8; 32] {
        let bytes = take_return(unsafe { tx_id() }).unwrap_or_default();
        abi(bytes.try_into().map_err(|_| abi::AbiError("tx id")))
    }

    fn tx_timestamp_ms(&mut self) -> u64 {
        unsafe { tx_timestamp() as u64 }
    }

    fn transient(&mut self, key: &str) -> Option<Vec<u8>> {
        take_return(unsafe { transient(key.as_ptr(), len(key.as_bytes())) })
    }

    fn set_event(&mut self, name: &str, payload: &[u8]) {
        unsafe { set_event(name.as_ptr(), len(name.as_bytes()), payload.as_ptr(), len(payload)) }
    }

    fn invoke(&mut self, contract: &str, function: &str, args: &[Vec<u8>]) -> Result<Vec<u8>, crate::ContractError> {
        let call = abi::encode_call(&Call { function: function.into(), args: args.to_vec() });
        let n = unsafe { invoke(contract.as_ptr(), len(contract.as_bytes()), call.as_ptr(), len(&call)) };
        match abi(abi::decode_outcome(&take_return(n).unwrap_or_default())) {
            CallOutcome::Ok(payload) => Ok(payload),
            CallOutcome::Err(message) => Err(crate::ContractError::new(format!("{contract}.{function}: {message}"))),
        }
    }

    fn log(&mut self, message: &str) {
        unsafe { log(abi::LOG_INFO, message.as_ptr(), len(message.as_bytes())) }
    }
}

/// Runs one invocation: reads the call, dispatches it and reports the result.
/// A panic's message and location reach the host before the module traps.
pub fn run(dispatch: DispatchFn) {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        unsafe { panicked(message.as_ptr(), len(message.as_bytes())) }
    }));
    let call = abi(abi::decode_call(&take_return(unsafe { input() }).unwrap_or_default()));
    match dispatch(&mut Host, &call.function, &call.args) {
        Ok(response) => unsafe { ok(response.as_ptr(), len(&response)) },
        Err(e) => unsafe { fail(e.message().as_ptr(), len(e.message().as_bytes())) },
    }
}
