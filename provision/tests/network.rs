//! A network directory's errors say what went wrong as a type a caller can
//! act on: an org the network lacks, a node that is not up, material that
//! is missing, a block that is not the configuration block it was taken for.

use std::path::Path;

use weft_proto::{Block, BlockData, BlockHeader};
use weft_provision::network::{NetworkDir, NetworkError};
use weft_provision::{init, read_config_block, read_genesis_config, ConfigBlockError, InitOptions, Template};

#[tokio::test]
async fn a_network_directory_tells_a_missing_org_from_a_node_that_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/templates");
    let template = Template::load(&templates.join("solo-1.toml")).unwrap();
    // Free ports picked now, and no node started: nothing listens there.
    init(&template, &out, &InitOptions { base_port: None, ..Default::default() }).unwrap();
    let net = NetworkDir::open(&out).unwrap();
    let org = net.manifest().orgs[0].id.clone();

    let err = net.admin("Nobody").err().expect("no such org");
    assert!(matches!(&err, NetworkError::NoOrg { org: asked, known } if asked == "Nobody" && known.contains(&org)));

    let node = net.manifest().nodes[0].clone();
    let err = net.status(&node).await.unwrap_err();
    let down = match &err {
        NetworkError::Refused { status, .. } => status.code() == tonic::Code::Unavailable,
        NetworkError::Timeout { .. } => true,
        _ => false,
    };
    assert!(down, "a node that is not up: {err:?}");
    assert!(err.to_string().contains(&node.grpc), "the error names the address: {err}");

    let err = net.height(&org).await.unwrap_err();
    assert!(
        matches!(&err, NetworkError::NoAnswer { last, .. } if matches!(**last, NetworkError::Refused { .. } | NetworkError::Timeout { .. })),
        "{err}"
    );

    let err = NetworkDir::open(&dir.path().join("missing")).err().expect("no manifest there");
    assert!(matches!(&err, NetworkError::Read { path, .. } if path.ends_with("network.toml")), "{err}");
}

#[test]
fn a_block_that_is_not_a_configuration_block_says_why() {
    let err = read_config_block(&Block::default()).unwrap_err();
    assert!(matches!(err, ConfigBlockError::Missing("header")), "{err}");

    let empty = Block {
        header: Some(BlockHeader { number: 3, ..Default::default() }),
        data: Some(BlockData { envelopes: Vec::new() }),
        metadata: None,
    };
    let err = read_config_block(&empty).unwrap_err();
    assert!(matches!(err, ConfigBlockError::TransactionCount { number: 3, count: 0 }), "{err}");
    assert!(matches!(read_genesis_config(&empty).unwrap_err(), ConfigBlockError::NotGenesis(3)));

    let junk = Block { data: Some(BlockData { envelopes: vec![vec![0xff, 0xff]] }), ..empty };
    let err = read_config_block(&junk).unwrap_err();
    assert!(matches!(err, ConfigBlockError::Decode { part: "envelope", .. }), "{err}");
}
