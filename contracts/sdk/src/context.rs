//! The ledger as a contract sees it during one call.
//!
//! Reads see the committed state the endorsing peer simulated against: a
//! contract does *not* read its own writes from the same transaction (as in
//! Fabric). Every read and range is recorded and re-checked at commit time,
//! so a transaction that read a value someone else changed first is marked
//! invalid rather than committed on stale data.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ContractError;

/// Who signed the transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Creator {
    /// The creator's organisation (MSP) id.
    pub org_id: String,
    /// The creator's X.509 certificate, DER.
    pub certificate_der: Vec<u8>,
}

/// Host services available to a contract function.
///
/// Keys are UTF-8 and scoped to the running contract: two contracts never see
/// each other's keys except through [`Context::invoke`].
pub trait Context {
    /// The committed value of `key`, or `None`.
    fn get(&mut self, key: &str) -> Option<Vec<u8>>;

    /// Writes `value` at `key` when the transaction commits.
    fn put(&mut self, key: &str, value: &[u8]);

    /// Deletes `key` when the transaction commits.
    fn delete(&mut self, key: &str);

    /// Committed entries with `start <= key < end`, in key order; an empty
    /// `end` means to the end. The range is recorded so that a key inserted
    /// into it before this transaction commits invalidates it (phantom read).
    fn range(&mut self, start: &str, end: &str) -> Vec<(String, Vec<u8>)>;

    fn creator(&mut self) -> Creator;

    /// The transaction id, `sha256(nonce ‖ creator certificate)`.
    fn tx_id(&mut self) -> [u8; 32];

    /// The time the client put in the proposal, milliseconds since the Unix
    /// epoch. Contracts have no clock; this is the only time they see, and
    /// every endorser sees the same one.
    fn tx_timestamp_ms(&mut self) -> u64;

    /// A private input passed with the proposal and never written to the
    /// ledger.
    fn transient(&mut self, key: &str) -> Option<Vec<u8>>;

    /// Emits an event delivered to listeners after the transaction commits.
    fn set_event(&mut self, name: &str, payload: &[u8]);

    /// Calls `function` of another contract deployed on the channel. Its reads
    /// and writes become part of this transaction.
    fn invoke(&mut self, contract: &str, function: &str, args: &[Vec<u8>]) -> Result<Vec<u8>, ContractError>;

    /// A line in the endorsing peer's log (at info level), tagged with the
    /// contract and tx id.
    fn log(&mut self, message: &str);
}

impl dyn Context + '_ {
    /// Reads `key` as JSON.
    pub fn get_json<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>, ContractError> {
        match self.get(key) {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ContractError::new(format!("value at {key:?} is not the expected JSON: {e}"))),
        }
    }

    /// Writes `value` as JSON at `key`.
    pub fn put_json<T: Serialize>(&mut self, key: &str, value: &T) -> Result<(), ContractError> {
        let bytes = serde_json::to_vec(value)?;
        self.put(key, &bytes);
        Ok(())
    }

    /// The transaction id as lowercase hex, the form clients and explorers show.
    pub fn tx_id_hex(&mut self) -> String {
        self.tx_id().iter().map(|b| format!("{b:02x}")).collect()
    }
}
