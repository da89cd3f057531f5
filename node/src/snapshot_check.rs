//! `weft-node --check-snapshot FILE`: restores a state snapshot into a
//! throwaway ledger and reports the height and the state hash recomputed
//! from what was restored — how a backup is proved usable (the BaaS runs
//! it on every backup it takes) without touching a running node.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use weft_ledger::{Ledger, LedgerOptions};

#[derive(Debug, Serialize)]
pub struct Checked {
    pub channel_id: String,
    pub height: u64,
    /// Hex SHA-256 over the restored world state.
    pub state_hash: String,
}

pub fn check(file: &Path) -> anyhow::Result<Checked> {
    let scratch = std::env::temp_dir().join(format!(
        "weft-check-snapshot-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
    ));
    let result = (|| {
        let input = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let ledger = Ledger::open(&scratch, LedgerOptions::default()).context("opening a scratch ledger")?;
        let restored = ledger
            .import_snapshot(std::io::BufReader::new(input))
            .with_context(|| format!("restoring {}", file.display()))?;
        let hash = restored.state_hash().context("hashing the restored state")?;
        Ok(Checked {
            channel_id: restored.channel_id().to_string(),
            height: restored.height(),
            state_hash: hex::encode(hash),
        })
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_a_snapshot_does_not_restore() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.snapshot");
        std::fs::write(&file, b"\x05not a snapshot at all").unwrap();
        let why = format!("{:#}", check(&file).unwrap_err());
        assert!(why.contains("restoring") && why.contains("bad.snapshot"), "{why}");
        assert!(format!("{:#}", check(&dir.path().join("missing")).unwrap_err()).contains("opening"));
    }
}
