//! Templates in, network directories out: every template is valid, and what
//! `init` writes is a consistent network a node can start from.

use std::path::{Path, PathBuf};

use prost::Message;
use weft_identity::{Membership, PublicKey, Role, Signature, SigningKeyPair};
use weft_proto::{payload, Block, ConsensusType, Envelope, Payload};
use weft_provision::{
    init, node_home, prepare_node, read_cert_pem, read_genesis_config, InitOptions, Manifest, NodeConfig, NodeRequest,
    NodeRoleName, ProvisionError, Template,
};

fn templates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/templates")
}

fn template(name: &str) -> Template {
    Template::load(&templates_dir().join(format!("{name}.toml"))).unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn every_shipped_template_is_valid_and_sized_as_named() {
    let expect = [("solo-1", 1, 1), ("raft-3", 3, 3), ("raft-5", 5, 5), ("pbft-4", 4, 4), ("pbft-7", 7, 7)];
    for (name, nodes, orderers) in expect {
        let t = template(name);
        assert_eq!(t.name, name);
        assert_eq!((t.node_count(), t.orderer_count()), (nodes, orderers), "{name}");
    }
    let count = std::fs::read_dir(templates_dir()).unwrap().count();
    assert_eq!(count, expect.len(), "a template was added without a test row");
}

#[test]
fn init_writes_a_network_a_node_can_start_from() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let manifest = init(&template("raft-3"), &out, &InitOptions { base_port: None, ..Default::default() }).unwrap();
    assert_eq!(manifest, Manifest::load(&out).unwrap());
    assert_eq!(manifest.nodes.len(), 3);

    // The genesis block is a valid block 0 the ledger accepts.
    let block = Block::decode(std::fs::read(out.join(&manifest.genesis_block)).unwrap().as_slice()).unwrap();
    let config = read_genesis_config(&block).unwrap();
    assert_eq!(config.channel_id, "weft");
    assert_eq!(config.consensus.unwrap().r#type, ConsensusType::Raft as i32);
    let ledger_dir = tempfile::tempdir().unwrap();
    let ledger = weft_ledger::Ledger::open(ledger_dir.path(), Default::default()).unwrap();
    let mut channel = ledger.channel(&weft_proto::ChannelId::new("weft").unwrap()).unwrap();
    channel.commit(&block, None).unwrap();
    assert_eq!(channel.height(), 1);

    // Every node certificate in the configuration validates against its org
    // with the peer role, and every node's files agree with it.
    let membership = Membership::from_orgs(&config.orgs).unwrap();
    for (node, m) in config.nodes.iter().zip(&manifest.nodes) {
        let identity = weft_proto::SerializedIdentity {
            org_id: node.org_id.clone(),
            certificate_der: node.certificate_der.clone(),
        };
        assert_eq!(membership.validate(&identity, now()).unwrap().role, Role::Peer);
        let cfg = NodeConfig::load(&out.join(&m.config)).unwrap();
        assert_eq!(
            (cfg.node_id.as_str(), cfg.listen.grpc.as_str()),
            (node.node_id.as_str(), node.grpc_address.as_str())
        );
        assert!(cfg.is_peer() && cfg.is_orderer());
        assert_eq!(read_cert_pem(&cfg.certificate).unwrap(), node.certificate_der);
        let key = SigningKeyPair::from_pkcs8_pem(&std::fs::read_to_string(&cfg.key).unwrap()).unwrap();
        assert_eq!(key.public_key(), membership.validate(&identity, now()).unwrap().public_key);
        assert!(cfg.genesis_block.as_ref().unwrap().exists() && cfg.ca_certificates.iter().all(|c| c.exists()));
        assert_eq!(cfg.ca_certificates.len(), 3, "TLS trusts every org's CA");
        let home = out.join(node_home(&m.id));
        let named = [&cfg.key, &cfg.certificate, cfg.genesis_block.as_ref().unwrap()];
        for path in named.into_iter().chain(&cfg.ca_certificates) {
            assert!(path.starts_with(&home), "{} is outside the node's home", path.display());
        }
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&cfg.key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let ports: std::collections::BTreeSet<&str> =
        manifest.nodes.iter().flat_map(|n| [n.grpc.as_str(), n.metrics.as_str()]).collect();
    assert_eq!(ports.len(), 6, "every node gets its own ports");

    // The config transaction is signed by its creator and by every org admin.
    let env = Envelope::decode(block.data.unwrap().envelopes[0].as_slice()).unwrap();
    let payload = Payload::decode(env.payload.as_slice()).unwrap();
    let creator = payload.header.unwrap().creator.unwrap();
    let creator_key = membership.validate(&creator, now()).unwrap();
    assert_eq!(creator_key.role, Role::Admin);
    creator_key.public_key.verify(&env.payload, &Signature::from_bytes(&env.signature).unwrap()).unwrap();
    let Some(payload::Body::ConfigUpdate(update)) = payload.body else { panic!("config body") };
    assert_eq!(update.signatures.len(), 3);
    for s in &update.signatures {
        let id = membership.validate(s.signer.as_ref().unwrap(), now()).unwrap();
        let pk: PublicKey = id.public_key;
        pk.verify(&update.config_bytes, &Signature::from_bytes(&s.signature).unwrap()).unwrap();
    }

    // Admin and client credentials are the roles they claim.
    for org in &manifest.orgs {
        let admin = read_cert_pem(&out.join(&org.admin_certificate)).unwrap();
        let client = read_cert_pem(&out.join(&org.client_certificate)).unwrap();
        let id = |der: Vec<u8>| weft_proto::SerializedIdentity { org_id: org.id.clone(), certificate_der: der };
        assert_eq!(membership.validate(&id(admin), now()).unwrap().role, Role::Admin);
        assert_eq!(membership.validate(&id(client), now()).unwrap().role, Role::Client);
    }
}

#[test]
fn fixed_base_ports_are_laid_out_per_node() {
    let dir = tempfile::tempdir().unwrap();
    let m =
        init(&template("pbft-4"), dir.path(), &InitOptions { base_port: Some(20000), ..Default::default() }).unwrap();
    let grpc: Vec<&str> = m.nodes.iter().map(|n| n.grpc.as_str()).collect();
    assert_eq!(grpc, ["127.0.0.1:20000", "127.0.0.1:20010", "127.0.0.1:20020", "127.0.0.1:20030"]);
    assert_eq!(m.nodes[1].p2p, "/ip4/127.0.0.1/tcp/20011");
    let lookup = |k: &str| match k {
        "WEFT_LISTEN_GRPC" => Some("0.0.0.0:30000".to_string()),
        "WEFT_LOG_LEVEL" => Some("debug".to_string()),
        _ => None,
    };
    let (cfg, used) = NodeConfig::load_with(&dir.path().join(&m.nodes[1].config), &lookup).unwrap();
    assert_eq!((cfg.listen.grpc.as_str(), cfg.log_level.as_str()), ("0.0.0.0:30000", "debug"));
    assert_eq!(used, ["WEFT_LISTEN_GRPC", "WEFT_LOG_LEVEL"]);
    assert!(cfg.key.is_absolute(), "relative paths resolve after overrides");
    let err =
        init(&template("pbft-7"), &dir.path().join("x"), &InitOptions { base_port: Some(65500), ..Default::default() });
    assert!(err.unwrap_err().to_string().contains("choose a base port below"));
    assert!(!dir.path().join("x").exists(), "a failed init leaves nothing behind");
}

#[test]
fn init_refuses_a_directory_that_holds_something() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let err = init(&template("solo-1"), dir.path(), &InitOptions::default()).unwrap_err();
    assert!(matches!(err, ProvisionError::OutputNotEmpty { .. }));
    assert!(err.to_string().contains("choose another --out"));
    assert_eq!(std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(), "mine");
}

#[test]
fn bad_templates_say_what_is_wrong() {
    let base = std::fs::read_to_string(templates_dir().join("solo-1.toml")).unwrap();
    let cases = [
        (base.replace("consensus = \"solo\"", "consensus = \"paxos\""), "unknown variant `paxos`"),
        (base.replace("nodes = 1", "nodes = 2"), "solo ordering needs exactly 1 orderer"),
        (base.replace("consensus = \"solo\"", "consensus = \"pbft\""), "pbft needs at least 4 orderers"),
        (base.replace("id = \"Org1\"", "id = \"Org.1\""), "may contain only letters"),
        (base.replace("roles = [\"peer\", \"orderer\"]", "roles = [\"orderer\"]"), "needs at least one peer"),
        (base.replace("channel = \"weft\"", "channel = \"\""), "`channel`"),
        (format!("{base}\n[policies]\nendorsement = \"AND('Org1.peer'\"\n"), "policy Endorsement"),
        (base.replace("cpu = 1.0", "cpu = 0.0"), "must be > 0"),
        (base.replace("disk_gb = 10", "disk_gb = 10\ndisks = 2"), "unknown field `disks`"),
        (format!("{base}\n[[orgs]]\nid = \"org1\"\nnodes = 1\nroles = [\"peer\"]\n"), "appears twice"),
        // Absurd sizes are refused by name before any arithmetic over them
        // (they overflowed the BaaS's quota sums).
        (base.replace("memory_mb = 1024", "memory_mb = 18446744073709551615"), "memory_mb is more than"),
        (base.replace("disk_gb = 10", "disk_gb = 9223372036854775807"), "disk_gb is more than"),
        (base.replace("cpu = 1.0", "cpu = 1e300"), "cpu is more than"),
        (base.replace("cpu = 1.0", "cpu = inf"), "must be > 0"),
        (
            format!("{base}\n[[orgs]]\nid = \"Org2\"\nnodes = 4294967295\nroles = [\"peer\"]\n"),
            "nodes = 4294967295 is more than",
        ),
    ];
    for (text, want) in cases {
        let err = Template::parse(&text, "test.toml").unwrap_err().to_string();
        assert!(err.starts_with("template test.toml: "), "{err}");
        assert!(err.contains(want), "expected {want:?} in: {err}");
    }
    let pbft = std::fs::read_to_string(templates_dir().join("pbft-4.toml")).unwrap();
    let narrow = pbft.replace("watermark_window = 40", "watermark_window = 15");
    let err = Template::parse(&narrow, "test.toml").unwrap_err().to_string();
    assert!(err.contains("watermark_window = 15 must be at least twice checkpoint_interval = 10"), "{err}");
}

#[test]
fn a_node_prepared_for_a_running_network_is_issued_by_its_org() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let manifest = init(&template("raft-3"), &out, &InitOptions { base_port: None, ..Default::default() }).unwrap();
    let request = NodeRequest {
        org: "Org2".into(),
        roles: vec![NodeRoleName::Peer],
        host: None,
        cert_validity_days: 30,
        join_from_snapshot: true,
    };
    let prepared = prepare_node(&out, &manifest, &request, None).unwrap();
    assert_eq!(prepared.manifest.id, "node1.org2");
    assert_eq!(prepared.dir, out.join("nodes/node1.org2"));
    // The manifest is the caller's to update once the node is in the channel.
    assert_eq!(Manifest::load(&out).unwrap(), manifest);

    let config =
        read_genesis_config(&Block::decode(std::fs::read(out.join("genesis.block")).unwrap().as_slice()).unwrap())
            .unwrap();
    let membership = Membership::from_orgs(&config.orgs).unwrap();
    let identity = weft_proto::SerializedIdentity {
        org_id: "Org2".into(),
        certificate_der: prepared.channel_node.certificate_der.clone(),
    };
    let validated = membership.validate(&identity, now()).unwrap();
    assert_eq!(validated.role, Role::Peer);
    assert_eq!(prepared.channel_node.roles, vec![weft_proto::NodeRole::Peer as i32]);

    let node = NodeConfig::load(&out.join(&prepared.manifest.config)).unwrap();
    assert_eq!((node.node_id.as_str(), node.org_id.as_str()), ("node1.org2", "Org2"));
    assert!(node.join_from_snapshot);
    assert_eq!(node.listen.grpc, prepared.channel_node.grpc_address);
    assert_eq!(read_cert_pem(&node.certificate).unwrap(), prepared.channel_node.certificate_der);
    assert!(node.ca_certificates.iter().all(|p| p.exists() && p.starts_with(&prepared.dir)));
    let genesis = node.genesis_block.as_ref().unwrap();
    assert!(genesis.starts_with(&prepared.dir), "{}", genesis.display());
    assert_eq!(std::fs::read(genesis).unwrap(), std::fs::read(out.join("genesis.block")).unwrap());

    let orderer = NodeRequest { roles: vec![NodeRoleName::Orderer], ..request.clone() };
    let err = prepare_node(&out, &manifest, &orderer, None).unwrap_err().to_string();
    assert!(err.contains("catches up through consensus"), "{err}");
    let unknown = NodeRequest { org: "Org9".into(), ..request };
    let err = prepare_node(&out, &manifest, &unknown, None).unwrap_err().to_string();
    assert!(err.contains("no org \"Org9\"") && err.contains("Org1, Org2, Org3"), "{err}");
}
