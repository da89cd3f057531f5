//! Byte layout of the keys in each column family.
//!
//! Every key starts with the channel: `[len u8][channel id]`. State keys then
//! carry `[len u16 BE][namespace][key]`, so one namespace's keys are
//! contiguous and sorted by the key's bytes, which range scans rely on.

use weft_proto::ChannelId;

pub(crate) const CF_BLOCKS: &str = "blocks";
pub(crate) const CF_STATE: &str = "state";
pub(crate) const CF_TX_INDEX: &str = "tx_index";
pub(crate) const CF_META: &str = "meta";
pub(crate) const ALL_CFS: [&str; 4] = [CF_BLOCKS, CF_STATE, CF_TX_INDEX, CF_META];

pub(crate) fn channel_prefix(channel: &ChannelId) -> Vec<u8> {
    let id = channel.as_str().as_bytes();
    let mut out = Vec::with_capacity(1 + id.len());
    out.push(u8::try_from(id.len()).expect("ChannelId is at most 249 bytes"));
    out.extend_from_slice(id);
    out
}

pub(crate) fn block_key(prefix: &[u8], number: u64) -> Vec<u8> {
    [prefix, &number.to_be_bytes()].concat()
}

pub(crate) fn tx_key(prefix: &[u8], tx_id: &[u8]) -> Vec<u8> {
    [prefix, tx_id].concat()
}

pub(crate) fn savepoint_key(prefix: &[u8]) -> Vec<u8> {
    [prefix, b"savepoint"].concat()
}

/// Longest namespace; its length must fit the u16 length field.
pub const MAX_NAMESPACE_LEN: usize = u16::MAX as usize;

pub(crate) fn namespace_prefix(prefix: &[u8], namespace: &str) -> Vec<u8> {
    let ns = namespace.as_bytes();
    let len = u16::try_from(ns.len()).expect("namespace length checked against MAX_NAMESPACE_LEN");
    let mut out = Vec::with_capacity(prefix.len() + 2 + ns.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(ns);
    out
}

pub(crate) fn state_key(prefix: &[u8], namespace: &str, key: &str) -> Vec<u8> {
    let mut out = namespace_prefix(prefix, namespace);
    out.extend_from_slice(key.as_bytes());
    out
}

/// Splits a state key (with the channel prefix already removed) into
/// namespace and key.
pub(crate) fn split_state_key(rest: &[u8]) -> Option<(String, String)> {
    let len = u16::from_be_bytes(rest.get(..2)?.try_into().ok()?) as usize;
    let ns = rest.get(2..2 + len)?;
    let key = rest.get(2 + len..)?;
    Some((String::from_utf8(ns.to_vec()).ok()?, String::from_utf8(key.to_vec()).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_keys_split_back() {
        let ch = ChannelId::new("ch").unwrap();
        let p = channel_prefix(&ch);
        let k = state_key(&p, "asset", "car/1");
        assert_eq!(split_state_key(&k[p.len()..]), Some(("asset".into(), "car/1".into())));
        assert_eq!(split_state_key(&[0, 9, b'a']), None);
    }

    #[test]
    fn namespaces_do_not_interleave() {
        // "a" + key "b..." must not sort inside namespace "ab".
        let p = channel_prefix(&ChannelId::new("ch").unwrap());
        let a_keys = state_key(&p, "a", "bzzz");
        let ab_prefix = namespace_prefix(&p, "ab");
        assert!(!a_keys.starts_with(&ab_prefix));
    }
}
