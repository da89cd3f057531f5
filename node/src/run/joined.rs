//! The channels a node joined, kept in its data directory so that a
//! restart rejoins them: `channels/<id>/join.block` (the block it joined
//! from) and `channels/<id>/roles.toml` (its roles there). Files are
//! written whole (temporary file, sync, rename), so a node killed while
//! joining finds the channel either joined or not.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use prost::Message;
use serde::{Deserialize, Serialize};
use weft_proto::{Block, ChannelId};
use weft_provision::NodeRoleName;

/// One joined channel as the data directory records it.
#[derive(Debug, Clone)]
pub struct Joined {
    pub channel: ChannelId,
    pub block: Block,
    pub roles: Vec<NodeRoleName>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    roles: Vec<NodeRoleName>,
}

fn root(data_dir: &Path) -> PathBuf {
    data_dir.join("channels")
}

fn dir(data_dir: &Path, channel: &ChannelId) -> PathBuf {
    root(data_dir).join(channel.as_str())
}

/// Where the channel's ordering engine keeps its log.
pub fn consensus_dir(data_dir: &Path, channel: &ChannelId) -> PathBuf {
    data_dir.join("consensus").join(channel.as_str())
}

fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("partial");
    let mut file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} into place", tmp.display()))
}

/// Every channel recorded, by id.
pub fn list(data_dir: &Path) -> anyhow::Result<Vec<Joined>> {
    let root = root(data_dir);
    let entries = match std::fs::read_dir(&root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", root.display())),
    };
    let mut joined = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", root.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let channel = ChannelId::new(name.clone())
            .map_err(|e| anyhow::anyhow!("{}: not a channel directory ({e})", entry.path().display()))?;
        let block_path = entry.path().join("join.block");
        let bytes = std::fs::read(&block_path).with_context(|| format!("reading {}", block_path.display()))?;
        let block =
            Block::decode(bytes.as_slice()).with_context(|| format!("{} is not a block", block_path.display()))?;
        let roles_path = entry.path().join("roles.toml");
        let text = std::fs::read_to_string(&roles_path).with_context(|| format!("reading {}", roles_path.display()))?;
        let roles: RolesFile = toml::from_str(&text).with_context(|| format!("parsing {}", roles_path.display()))?;
        joined.push(Joined { channel, block, roles: roles.roles });
    }
    joined.sort_by(|a, b| a.channel.as_str().cmp(b.channel.as_str()));
    Ok(joined)
}

/// Records a channel as joined; the roles are written last, so a channel
/// is listed only once both files are whole.
pub fn record(data_dir: &Path, joined: &Joined) -> anyhow::Result<()> {
    let dir = dir(data_dir, &joined.channel);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write_whole(&dir.join("join.block"), &joined.block.encode_to_vec())?;
    let roles = toml::to_string(&RolesFile { roles: joined.roles.clone() }).expect("roles serialise");
    write_whole(&dir.join("roles.toml"), roles.as_bytes())
}

fn remove_dir_if_present(dir: &Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// Forgets a channel: a restart no longer rejoins it.
pub fn forget(data_dir: &Path, channel: &ChannelId) -> anyhow::Result<()> {
    remove_dir_if_present(&dir(data_dir, channel))
}

/// Deletes the channel's consensus log.
pub fn remove_consensus_log(data_dir: &Path, channel: &ChannelId) -> anyhow::Result<()> {
    remove_dir_if_present(&consensus_dir(data_dir, channel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_channels_are_listed_until_forgotten() {
        let data = tempfile::tempdir().unwrap();
        assert!(list(data.path()).unwrap().is_empty());
        let block =
            Block { header: Some(weft_proto::BlockHeader { number: 0, ..Default::default() }), ..Default::default() };
        for (id, roles) in
            [("beta", vec![NodeRoleName::Peer]), ("alpha", vec![NodeRoleName::Peer, NodeRoleName::Orderer])]
        {
            let joined = Joined { channel: ChannelId::new(id).unwrap(), block: block.clone(), roles };
            record(data.path(), &joined).unwrap();
        }
        let listed = list(data.path()).unwrap();
        let names: Vec<&str> = listed.iter().map(|j| j.channel.as_str()).collect();
        assert_eq!(names, ["alpha", "beta"]);
        assert_eq!(listed[0].roles, [NodeRoleName::Peer, NodeRoleName::Orderer]);
        assert_eq!(listed[1].block, block);
        forget(data.path(), &ChannelId::new("alpha").unwrap()).unwrap();
        let names: Vec<String> = list(data.path()).unwrap().iter().map(|j| j.channel.to_string()).collect();
        assert_eq!(names, ["beta"]);
        forget(data.path(), &ChannelId::new("alpha").unwrap()).unwrap();
    }

    #[test]
    fn a_stray_directory_is_named_in_the_error() {
        let data = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(data.path().join("channels/Not_A_Channel")).unwrap();
        let e = list(data.path()).unwrap_err().to_string();
        assert!(e.contains("Not_A_Channel") && e.contains("not a channel directory"), "{e}");
    }
}
