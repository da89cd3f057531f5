//! Committed state as contracts read it during endorsement: the channel
//! ledger's shareable reader behind the runtime's `StateReader`.

use weft_contracts::{StateError, StateReader};
use weft_ledger::ChannelReader;
use weft_proto::VersionedValue;

pub struct LedgerState(pub ChannelReader);

impl StateReader for LedgerState {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>, StateError> {
        self.0.get_state(namespace, key).map_err(|e| StateError(e.to_string()))
    }

    fn range(
        &self,
        namespace: &str,
        start: &str,
        end: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, VersionedValue)>, StateError> {
        self.0.range(namespace, start, end, limit).map_err(|e| StateError(e.to_string()))
    }
}
