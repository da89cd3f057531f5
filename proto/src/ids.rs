//! Identifier newtypes shared by every crate: what a value means is in its type.

use std::fmt;

/// A channel id: 1–249 characters of `a-z`, `0-9`, `.` and `-`, starting with
/// a letter (the same rule as Fabric, so names carry over).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(String);

/// A name that breaks the channel id rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid channel id '{0}': use 1-{max} characters of a-z, 0-9, '.' and '-', starting with a letter", max = ChannelId::MAX_LEN)]
pub struct InvalidChannelId(pub String);

impl ChannelId {
    pub const MAX_LEN: usize = 249;

    pub fn new(id: impl Into<String>) -> Result<Self, InvalidChannelId> {
        let id = id.into();
        let valid_chars = id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        let starts_with_letter = id.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if id.is_empty() || id.len() > Self::MAX_LEN || !valid_chars || !starts_with_letter {
            return Err(InvalidChannelId(id));
        }
        Ok(ChannelId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A transaction id: sha256(nonce ‖ creator certificate).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxId(pub [u8; 32]);

impl TxId {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(TxId)
    }

    /// The id of the transaction a creator makes with `nonce`: clients
    /// compute it, endorsers and validators recompute and compare it.
    pub fn derive(nonce: &[u8], creator_certificate_der: &[u8]) -> TxId {
        use sha2::{Digest, Sha256};
        TxId(Sha256::new().chain_update(nonce).chain_update(creator_certificate_der).finalize().into())
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxId({self})")
    }
}

/// A block's position in its channel's chain; the genesis block is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BlockNumber(pub u64);

impl BlockNumber {
    pub fn next(self) -> BlockNumber {
        BlockNumber(self.0 + 1)
    }
}

impl fmt::Display for BlockNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_id_rules() {
        for ok in ["mychannel", "a", "ch-1.test"] {
            assert!(ChannelId::new(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(250);
        for bad in ["", "1abc", "MyChannel", "ch_1", "ch 1", long.as_str()] {
            let err = ChannelId::new(bad).unwrap_err();
            assert!(err.to_string().contains("invalid channel id"), "{bad}: {err}");
        }
    }

    #[test]
    fn tx_id_displays_as_hex() {
        let id = TxId::from_slice(&[0xab; 32]).unwrap();
        assert_eq!(id.to_string(), "ab".repeat(32));
        assert!(TxId::from_slice(&[1; 31]).is_none());
    }
}
