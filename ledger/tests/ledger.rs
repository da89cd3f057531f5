//! The ledger on a real RocksDB in a temporary directory: appending blocks,
//! reading them back, state and tx index, bad input, corruption, snapshots.

use weft_ledger::testkit::{envelope, ns_rwset, tx_id, workload_envelopes};
use weft_ledger::{block_hash, new_block, ChannelLedger, Ledger, LedgerError, LedgerOptions};
use weft_proto::{Block, ChannelId, KvRead, TxId, TxValidationCode, Version};

const CH: &str = "mychannel";

fn channel() -> ChannelId {
    ChannelId::new(CH).unwrap()
}

fn open(dir: &std::path::Path) -> Ledger {
    Ledger::open(dir, LedgerOptions::default()).unwrap()
}

fn next_block(ledger: &ChannelLedger, envelopes: Vec<Vec<u8>>) -> Block {
    new_block(ledger.height(), ledger.last_block_hash(), envelopes)
}

fn commit_workload(ledger: &mut ChannelLedger, blocks: u64) {
    for _ in 0..blocks {
        let envs = workload_envelopes(CH, ledger.height(), 10, 2, 50);
        let block = next_block(ledger, envs);
        ledger.commit(&block, None).unwrap();
    }
}

#[test]
fn append_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let mut ch = ledger.channel(&channel()).unwrap();
    assert_eq!(ch.height(), 0);

    let put =
        |k: &str, v: &[u8], id: &str| envelope(CH, tx_id(id.as_bytes()), ns_rwset("asset", vec![], &[(k, Some(v))]));
    let genesis = next_block(&ch, vec![put("a", b"1", "t0"), put("b", b"2", "t1")]);
    let summary = ch.commit(&genesis, None).unwrap();
    assert_eq!(summary.codes, vec![TxValidationCode::Valid; 2]);
    assert_eq!(summary.hash, block_hash(genesis.header.as_ref().unwrap()));
    assert_eq!(ch.height(), 1);

    let b1 = next_block(
        &ch,
        vec![envelope(
            CH,
            tx_id(b"t2"),
            ns_rwset(
                "asset",
                vec![KvRead { key: "a".into(), version: Some(Version { block_num: 0, tx_num: 0 }) }],
                &[("a", None), ("c", Some(b"3"))],
            ),
        )],
    );
    ch.commit(&b1, None).unwrap();

    assert_eq!(ch.get_state("asset", "a").unwrap(), None);
    let c = ch.get_state("asset", "c").unwrap().unwrap();
    assert_eq!(c.value, b"3");
    assert_eq!(c.version, Some(Version { block_num: 1, tx_num: 0 }));
    let range = ch.range("asset", "", None).unwrap();
    assert_eq!(range.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), vec!["b", "c"]);
    assert_eq!(ch.range("asset", "b", Some("c")).unwrap().len(), 1);
    assert!(ch.range("other", "", None).unwrap().is_empty());

    let stored = ch.block(1).unwrap().unwrap();
    assert_eq!(stored.header, b1.header);
    assert_eq!(stored.metadata.unwrap().validation_codes, vec![TxValidationCode::Valid as i32]);
    assert!(ch.block(2).unwrap().is_none());

    let (block, loc) = ch.block_by_tx_id(&TxId(tx_id(b"t1"))).unwrap().unwrap();
    assert_eq!((block.header.unwrap().number, loc.tx_num), (0, 1));
    assert!(ch.block_by_tx_id(&TxId(tx_id(b"nope"))).unwrap().is_none());

    // Reopening verifies the chain and resumes at the same height.
    drop(ch);
    let ch = ledger.channel(&channel()).unwrap();
    assert_eq!(ch.height(), 2);
}

#[test]
fn codes_duplicates_and_conflicts_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let mut ch = ledger.channel(&channel()).unwrap();
    let read_a_absent = |id: &str| {
        envelope(
            CH,
            tx_id(id.as_bytes()),
            ns_rwset("ns", vec![KvRead { key: "a".into(), version: None }], &[("a", Some(b"x"))]),
        )
    };
    let block = next_block(
        &ch,
        vec![
            read_a_absent("t0"),
            read_a_absent("t1"), // reads what t0 wrote: conflict
            read_a_absent("t0"), // same tx id again
            b"garbage".to_vec(), // undecodable
            envelope(CH, tx_id(b"t4"), ns_rwset("ns", vec![], &[("z", Some(b"1"))])), // policy said no
        ],
    );
    let pre = [
        TxValidationCode::Valid,
        TxValidationCode::Valid,
        TxValidationCode::Valid,
        TxValidationCode::Valid,
        TxValidationCode::EndorsementPolicyFailure,
    ];
    let summary = ch.commit(&block, Some(&pre)).unwrap();
    assert_eq!(
        summary.codes,
        vec![
            TxValidationCode::Valid,
            TxValidationCode::MvccReadConflict,
            TxValidationCode::DuplicateTxid,
            TxValidationCode::BadPayload,
            TxValidationCode::EndorsementPolicyFailure,
        ]
    );
    assert!(ch.get_state("ns", "z").unwrap().is_none(), "invalid tx's write applied");
    let loc = ch.tx_location(&TxId(tx_id(b"t0"))).unwrap().unwrap();
    assert_eq!((loc.tx_num, loc.code), (0, TxValidationCode::Valid as i32), "duplicate overwrote the index");

    // A tx id committed in an earlier block is a duplicate too.
    let again = next_block(&ch, vec![envelope(CH, tx_id(b"t1"), ns_rwset("ns", vec![], &[("q", Some(b"1"))]))]);
    assert_eq!(ch.commit(&again, None).unwrap().codes, vec![TxValidationCode::DuplicateTxid]);
}

#[test]
fn bad_blocks_are_typed_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let mut ch = ledger.channel(&channel()).unwrap();
    commit_workload(&mut ch, 3);
    let height = ch.height();
    let state = ch.state_hash().unwrap();
    let good = next_block(&ch, workload_envelopes(CH, height, 5, 2, 50));

    let mut wrong_number = good.clone();
    wrong_number.header.as_mut().unwrap().number = height + 1;
    let mut wrong_prev = good.clone();
    wrong_prev.header.as_mut().unwrap().previous_hash = vec![9; 32];
    let mut corrupt_payload = good.clone();
    corrupt_payload.data.as_mut().unwrap().envelopes[2][10] ^= 0xff;
    let mut no_header = good.clone();
    no_header.header = None;

    let wrong_count = [TxValidationCode::Valid];
    type Row<'a> = (&'a str, &'a Block, Option<&'a [TxValidationCode]>, fn(&LedgerError) -> bool);
    let cases: Vec<Row> = vec![
        ("wrong number", &wrong_number, None, |e| {
            matches!(e, LedgerError::WrongBlockNumber { expected: 3, got: 4, .. })
        }),
        ("wrong previous hash", &wrong_prev, None, |e| matches!(e, LedgerError::PreviousHashMismatch { .. })),
        ("corrupt payload", &corrupt_payload, None, |e| matches!(e, LedgerError::DataHashMismatch { .. })),
        ("no header", &no_header, None, |e| matches!(e, LedgerError::MalformedBlock(_))),
        ("code count", &good, Some(&wrong_count), |e| matches!(e, LedgerError::CodeCountMismatch { .. })),
    ];
    for (name, block, codes, check) in cases {
        let err = ch.commit(block, codes).expect_err(name);
        assert!(check(&err), "{name}: {err}");
        assert_eq!(ch.height(), height, "{name}");
        assert_eq!(ch.state_hash().unwrap(), state, "{name} changed state");
    }
    // The same ledger still takes the good block.
    ch.commit(&good, None).unwrap();
    drop(ch);
    assert_eq!(ledger.channel(&channel()).unwrap().height(), height + 1);
}

#[test]
fn one_open_handle_per_channel() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let first = ledger.channel(&channel()).unwrap();
    assert!(matches!(ledger.channel(&channel()), Err(LedgerError::AlreadyOpen(_))));
    let other = ledger.channel(&ChannelId::new("other").unwrap());
    assert!(other.is_ok(), "channels are independent");
    drop(first);
    assert!(ledger.channel(&channel()).is_ok());
}

#[test]
fn channels_do_not_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let mut a = ledger.channel(&ChannelId::new("a").unwrap()).unwrap();
    let mut b = ledger.channel(&ChannelId::new("b").unwrap()).unwrap();
    let blk = new_block(0, &[], vec![envelope("a", tx_id(b"x"), ns_rwset("ns", vec![], &[("k", Some(b"a"))]))]);
    a.commit(&blk, None).unwrap();
    assert!(b.get_state("ns", "k").unwrap().is_none());
    assert_eq!(b.height(), 0);
    // The same tx id on another channel is not a duplicate.
    let blk = new_block(0, &[], vec![envelope("b", tx_id(b"x"), ns_rwset("ns", vec![], &[("k", Some(b"b"))]))]);
    assert_eq!(b.commit(&blk, None).unwrap().codes, vec![TxValidationCode::Valid]);
}

#[test]
fn a_removed_channel_is_empty_and_its_neighbours_are_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let ids = ["a", "ab", "b"].map(|c| ChannelId::new(c).unwrap());
    for id in &ids {
        let mut ch = ledger.channel(id).unwrap();
        let write = ns_rwset("ns", vec![], &[("k", Some(id.as_str().as_bytes()))]);
        let blk = new_block(0, &[], vec![envelope(id.as_str(), tx_id(b"x"), write)]);
        ch.commit(&blk, None).unwrap();
    }
    let open_a = ledger.channel(&ids[0]).unwrap();
    assert!(matches!(ledger.remove_channel(&ids[0]), Err(LedgerError::AlreadyOpen(_))), "not while open");
    assert_eq!(open_a.height(), 1, "a refused removal changes nothing");
    drop(open_a);
    ledger.remove_channel(&ids[0]).unwrap();
    let a = ledger.channel(&ids[0]).unwrap();
    assert_eq!((a.height(), a.get_state("ns", "k").unwrap()), (0, None));
    for id in &ids[1..] {
        let ch = ledger.channel(id).unwrap();
        assert_eq!(ch.height(), 1, "{id}");
        assert_eq!(ch.get_state("ns", "k").unwrap().unwrap().value, id.as_str().as_bytes(), "{id}");
    }
}

#[test]
fn corrupted_database_file_is_a_typed_error_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ledger = open(dir.path());
        let mut ch = ledger.channel(&channel()).unwrap();
        commit_workload(&mut ch, 20);
        ledger.flush().unwrap();
    }
    let ssts: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sst"))
        .collect();
    assert!(!ssts.is_empty(), "flush wrote no SST files");
    for sst in &ssts {
        corrupt_middle(sst);
    }
    let snapshot_of_files = files_digest(dir.path(), "sst");
    let result = Ledger::open(dir.path(), LedgerOptions::default()).and_then(|l| l.channel(&channel()).map(|_| ()));
    let err = result.expect_err("a corrupted ledger opened cleanly");
    assert!(matches!(err, LedgerError::Corruption(_) | LedgerError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("corrupt") || err.to_string().contains("decode"), "{err}");
    assert_eq!(files_digest(dir.path(), "sst"), snapshot_of_files, "data files were rewritten");
}

fn corrupt_middle(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let (len, mid) = (bytes.len(), bytes.len() / 2);
    for b in &mut bytes[mid.saturating_sub(64)..(mid + 64).min(len)] {
        *b ^= 0x5a;
    }
    std::fs::write(path, bytes).unwrap();
}

fn files_digest(dir: &std::path::Path, ext: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn snapshot_export_import_continues_the_chain() {
    let src_dir = tempfile::tempdir().unwrap();
    let src = open(src_dir.path());
    let mut ch = src.channel(&channel()).unwrap();
    commit_workload(&mut ch, 15);
    let mut file = Vec::new();
    let header = ch.export_snapshot(&mut file).unwrap();
    assert_eq!(header.height, 15);
    assert_eq!(header.state_hash, ch.state_hash().unwrap().to_vec());
    assert!(header.entry_count > 0);

    let dst_dir = tempfile::tempdir().unwrap();
    let dst = open(dst_dir.path());
    let mut imported = dst.import_snapshot(file.as_slice()).unwrap();
    assert_eq!(imported.height(), 15);
    assert_eq!(imported.base_height(), 15);
    assert_eq!(imported.state_hash().unwrap(), ch.state_hash().unwrap());
    assert!(imported.block(3).unwrap().is_none(), "blocks before the snapshot are not held");

    // The tx index came along: a transaction from before the snapshot is
    // still a duplicate, and the configuration block is kept.
    let old_tx = ch.block(7).unwrap().unwrap().data.unwrap().envelopes[0].clone();
    let old_id = weft_ledger::decode_envelope(&old_tx).unwrap().tx_id;
    assert_eq!(imported.tx_location(&old_id).unwrap(), ch.tx_location(&old_id).unwrap());
    assert_eq!(header.tx_count, 150);
    assert_eq!(imported.last_config_block(), 0);
    assert_eq!(imported.config_block().unwrap(), ch.block(0).unwrap(), "the configuration block is kept");
    assert!(imported.block(0).unwrap().is_none(), "but not served as part of the chain");
    let replay = next_block(&imported, vec![old_tx]);
    assert_eq!(imported.commit(&replay, None).unwrap().codes, vec![TxValidationCode::DuplicateTxid]);
    let replay = next_block(&ch, replay.data.unwrap().envelopes);
    ch.commit(&replay, None).unwrap();

    // Both peers commit the same next block and stay identical.
    let envs = workload_envelopes(CH, 16, 10, 2, 50);
    let block = next_block(&ch, envs);
    assert_eq!(ch.commit(&block, None).unwrap(), imported.commit(&block, None).unwrap());
    assert_eq!(ch.state_hash().unwrap(), imported.state_hash().unwrap());
    drop(imported);
    let reopened = dst.channel(&channel()).unwrap();
    assert_eq!(reopened.height(), 17);

    // Importing over a channel that has data is refused.
    drop(reopened);
    assert!(matches!(dst.import_snapshot(file.as_slice()), Err(LedgerError::NotEmpty(_))));
}

#[test]
fn damaged_snapshots_are_rejected_and_import_nothing() {
    let src_dir = tempfile::tempdir().unwrap();
    let src = open(src_dir.path());
    let mut ch = src.channel(&channel()).unwrap();
    commit_workload(&mut ch, 5);
    let mut file = Vec::new();
    ch.export_snapshot(&mut file).unwrap();

    let mut flipped = file.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1; // inside the last entry's value
    let truncated = file[..file.len() - 10].to_vec();
    let mut huge_len = file.clone();
    huge_len[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    let mut extra = file.clone();
    extra.extend_from_slice(&file[..20]);

    for (name, bytes) in
        [("flipped", flipped), ("truncated", truncated), ("huge length", huge_len), ("extra", extra), ("empty", vec![])]
    {
        let dst_dir = tempfile::tempdir().unwrap();
        let dst = open(dst_dir.path());
        let err = dst.import_snapshot(bytes.as_slice()).err().unwrap_or_else(|| panic!("{name} imported"));
        assert!(matches!(err, LedgerError::BadSnapshot(_)), "{name}: {err}");
        let ch = dst.channel(&channel()).unwrap();
        assert_eq!((ch.height(), ch.range("bench", "", None).unwrap().len()), (0, 0), "{name} left data behind");
    }
}

#[test]
fn a_reader_follows_commits_from_another_thread() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let mut ch = ledger.channel(&channel()).unwrap();
    let reader = ch.reader();
    assert_eq!(reader.height().unwrap(), 0);
    let watcher = {
        let reader = reader.clone();
        std::thread::spawn(move || {
            // Reads run beside the committer and only ever see whole blocks.
            let mut seen = 0;
            while seen < 5 {
                let h = reader.height().unwrap();
                if h > 0 {
                    let v = reader.get_state("asset", &format!("k{}", h - 1)).unwrap();
                    assert!(v.is_some(), "height {h} visible before its writes");
                }
                seen = h;
            }
        })
    };
    for n in 0..5u64 {
        let env = envelope(CH, tx_id(&n.to_be_bytes()), ns_rwset("asset", vec![], &[(&format!("k{n}"), Some(b"v"))]));
        ch.commit(&next_block(&ch, vec![env]), None).unwrap();
    }
    watcher.join().unwrap();
    assert_eq!(reader.block(4).unwrap().unwrap().header.unwrap().number, 4);
    assert!(reader.block(5).unwrap().is_none());
    assert_eq!(reader.range("asset", "k1", Some("k4"), 2).unwrap().len(), 2, "the limit stops the scan");
    assert!(reader.tx_location(&TxId(tx_id(&3u64.to_be_bytes()))).unwrap().is_some());
}
