//! The contract ABI: the host functions a module may import, the exports it
//! must have, and the byte encodings that cross the boundary.
//!
//! Data flows host → guest through a per-call *return buffer*: a host function
//! that produces bytes stores them and returns their length (or [`NONE`]), and
//! the guest copies them into memory it allocated with `read_return`. The
//! guest never has to export an allocator, and the host never writes into
//! guest memory it did not ask for.
//!
//! Encodings are little-endian `u32` length prefixes; no serde on this path,
//! so the host can decode them without trusting the guest's formats.

/// Import module name of every host function.
pub const HOST_MODULE: &str = "weft";
/// The function the host calls, `() -> ()`.
pub const ENTRY_POINT: &str = "weft_main";
/// The linear memory the module must export.
pub const MEMORY_EXPORT: &str = "memory";
/// Returned instead of a length when there is no value.
pub const NONE: i32 = -1;

/// Log levels the `log` host function takes.
pub const LOG_ERROR: i32 = 1;
pub const LOG_WARN: i32 = 2;
pub const LOG_INFO: i32 = 3;
pub const LOG_DEBUG: i32 = 4;

/// Every host function, as `(name, parameter count, returns a value)`; the
/// host checks module imports against this list at install time. All
/// parameters are `i32` (pointers and lengths); the result is `i32`, except
/// `tx_timestamp` which returns `i64`.
pub const HOST_FUNCTIONS: &[HostFunction] = &[
    HostFunction::new("input", 0, Ret::I32),
    HostFunction::new("read_return", 1, Ret::None),
    HostFunction::new("get", 2, Ret::I32),
    HostFunction::new("put", 4, Ret::None),
    HostFunction::new("delete", 2, Ret::None),
    HostFunction::new("range", 4, Ret::I32),
    HostFunction::new("creator", 0, Ret::I32),
    HostFunction::new("tx_id", 0, Ret::I32),
    HostFunction::new("tx_timestamp", 0, Ret::I64),
    HostFunction::new("transient", 2, Ret::I32),
    HostFunction::new("set_event", 4, Ret::None),
    HostFunction::new("invoke", 4, Ret::I32),
    HostFunction::new("log", 3, Ret::None),
    HostFunction::new("ok", 2, Ret::None),
    HostFunction::new("fail", 2, Ret::None),
    HostFunction::new("panicked", 2, Ret::None),
];

/// The result type of a host function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    None,
    I32,
    I64,
}

/// One host function's name and signature.
#[derive(Debug, Clone, Copy)]
pub struct HostFunction {
    pub name: &'static str,
    pub params: usize,
    pub ret: Ret,
}

impl HostFunction {
    const fn new(name: &'static str, params: usize, ret: Ret) -> Self {
        HostFunction { name, params, ret }
    }
}

/// A function call: what the host passes to `weft_main` (through `input`) and
/// what a contract passes to `invoke`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Call {
    pub function: String,
    pub args: Vec<Vec<u8>>,
}

/// The result of a contract-to-contract call, as `invoke` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    Ok(Vec<u8>),
    Err(String),
}

/// Bytes that do not decode as the expected ABI value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbiError(pub &'static str);

impl std::fmt::Display for AbiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed {} at the contract ABI boundary", self.0)
    }
}

impl std::error::Error for AbiError {}

pub fn encode_call(call: &Call) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(call.function.as_bytes());
    w.u32(call.args.len());
    for a in &call.args {
        w.bytes(a);
    }
    w.0
}

pub fn decode_call(bytes: &[u8]) -> Result<Call, AbiError> {
    let what = "call";
    let mut r = Reader::new(bytes, what);
    let function = r.string()?;
    let n = r.u32()?;
    let mut args = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        args.push(r.bytes()?.to_vec());
    }
    r.finish()?;
    Ok(Call { function, args })
}

/// Key/value pairs, as `range` returns them.
pub fn encode_entries(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(entries.len());
    for (k, v) in entries {
        w.bytes(k.as_bytes());
        w.bytes(v);
    }
    w.0
}

pub fn decode_entries(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, AbiError> {
    let mut r = Reader::new(bytes, "range result");
    let n = r.u32()?;
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let k = r.string()?;
        out.push((k, r.bytes()?.to_vec()));
    }
    r.finish()?;
    Ok(out)
}

/// The transaction creator, as `creator` returns it: org id, then DER cert.
pub fn encode_creator(org_id: &str, certificate_der: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(org_id.as_bytes());
    w.bytes(certificate_der);
    w.0
}

pub fn decode_creator(bytes: &[u8]) -> Result<(String, Vec<u8>), AbiError> {
    let mut r = Reader::new(bytes, "creator");
    let org = r.string()?;
    let cert = r.bytes()?.to_vec();
    r.finish()?;
    Ok((org, cert))
}

pub fn encode_outcome(outcome: &CallOutcome) -> Vec<u8> {
    let (tag, body) = match outcome {
        CallOutcome::Ok(payload) => (0u8, payload.as_slice()),
        CallOutcome::Err(message) => (1u8, message.as_bytes()),
    };
    let mut out = Vec::with_capacity(1 + body.len());
    out.push(tag);
    out.extend_from_slice(body);
    out
}

pub fn decode_outcome(bytes: &[u8]) -> Result<CallOutcome, AbiError> {
    match bytes.split_first() {
        Some((0, payload)) => Ok(CallOutcome::Ok(payload.to_vec())),
        Some((1, message)) => Ok(CallOutcome::Err(String::from_utf8_lossy(message).into_owned())),
        _ => Err(AbiError("call outcome")),
    }
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, n: usize) {
        let n = u32::try_from(n).expect("ABI values are smaller than 4 GiB on wasm32");
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len());
        self.0.extend_from_slice(b);
    }
}

struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(rest: &'a [u8], what: &'static str) -> Self {
        Reader { rest, what }
    }

    fn u32(&mut self) -> Result<usize, AbiError> {
        let (head, rest) = self.rest.split_first_chunk::<4>().ok_or(AbiError(self.what))?;
        self.rest = rest;
        Ok(u32::from_le_bytes(*head) as usize)
    }

    fn bytes(&mut self) -> Result<&'a [u8], AbiError> {
        let n = self.u32()?;
        if n > self.rest.len() {
            return Err(AbiError(self.what));
        }
        let (b, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(b)
    }

    fn string(&mut self) -> Result<String, AbiError> {
        let what = self.what;
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| AbiError(what))
    }

    fn finish(self) -> Result<(), AbiError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(AbiError(self.what))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_round_trips() {
        let call = Call { function: "CreateAsset".into(), args: vec![b"a1".to_vec(), vec![], vec![0, 255]] };
        assert_eq!(decode_call(&encode_call(&call)).unwrap(), call);
    }

    #[test]
    fn entries_and_creator_round_trip() {
        let entries = vec![("a".to_string(), b"1".to_vec()), ("b".to_string(), vec![])];
        assert_eq!(decode_entries(&encode_entries(&entries)).unwrap(), entries);
        assert_eq!(decode_creator(&encode_creator("Org1", b"der")).unwrap(), ("Org1".to_string(), b"der".to_vec()));
    }

    #[test]
    fn outcomes_round_trip() {
        for o in [CallOutcome::Ok(b"x".to_vec()), CallOutcome::Err("no".into())] {
            assert_eq!(decode_outcome(&encode_outcome(&o)).unwrap(), o);
        }
        assert!(decode_outcome(&[]).is_err());
        assert!(decode_outcome(&[7]).is_err());
    }

    #[test]
    fn truncated_or_padded_input_is_rejected() {
        let bytes = encode_call(&Call { function: "f".into(), args: vec![b"abc".to_vec()] });
        for cut in 0..bytes.len() {
            assert!(decode_call(&bytes[..cut]).is_err(), "prefix of {cut} bytes decoded");
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(decode_call(&padded).is_err());
        // A count larger than the input must not allocate or panic.
        assert!(decode_call(&[0, 0, 0, 0, 255, 255, 255, 255]).is_err());
    }
}
