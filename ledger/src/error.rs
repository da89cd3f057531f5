use thiserror::Error;

/// What went wrong in the ledger. Nothing is written when any of these is
/// returned from a commit or an import.
#[derive(Debug, Error)]
pub enum LedgerError {
    #[error("channel '{channel}': cannot append block {got}, the next block must be {expected}")]
    WrongBlockNumber { channel: String, expected: u64, got: u64 },
    #[error("channel '{channel}': block {number} has previous hash {got} but the last block's hash is {expected}; it belongs to another chain or fork")]
    PreviousHashMismatch { channel: String, number: u64, expected: String, got: String },
    #[error("channel '{channel}': block {number}'s data hash does not match its transactions; the block is corrupt or was altered")]
    DataHashMismatch { channel: String, number: u64 },
    #[error("malformed block: {0}")]
    MalformedBlock(String),
    #[error(
        "channel '{channel}': block {number} has {envelopes} transactions but {codes} validation codes were given"
    )]
    CodeCountMismatch { channel: String, number: u64, envelopes: usize, codes: usize },
    #[error("ledger data is corrupt: {0}. Restore this node from a backup or a snapshot; nothing was changed")]
    Corruption(String),
    #[error("cannot decode {what}: {source}")]
    Decode { what: &'static str, source: prost::DecodeError },
    #[error("invalid channel id: {0}")]
    InvalidChannel(String),
    #[error("channel '{0}' is already open in this process; share the one ChannelLedger")]
    AlreadyOpen(String),
    #[error("channel '{0}' already has blocks or state; a snapshot can only be imported into an empty channel")]
    NotEmpty(String),
    #[error("snapshot rejected: {0}; nothing was imported")]
    BadSnapshot(String),
    #[error("storage error: {0}")]
    Storage(String),
    #[error("I/O error while {context}: {source}")]
    Io { context: &'static str, source: std::io::Error },
}

impl From<rocksdb::Error> for LedgerError {
    fn from(e: rocksdb::Error) -> Self {
        match e.kind() {
            rocksdb::ErrorKind::Corruption => LedgerError::Corruption(e.into_string()),
            _ => LedgerError::Storage(e.into_string()),
        }
    }
}
