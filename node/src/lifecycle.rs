//! `_lifecycle`: the built-in contract that deploys and upgrades wasm
//! contracts. A deploy transaction carries the code, name, version and
//! endorsement policy (a `DeployRequest`) with org admins' approvals that
//! must satisfy the channel's Lifecycle policy. Endorsers check it against
//! the current definition and write the new definition and the code into
//! world state; committers re-check the approvals and that the writes are
//! exactly the ones the request implies, then install the code.
//!
//! Keeping definitions in world state means a restarted node rebuilds its
//! contract directory from state, and MVCC orders concurrent upgrades.

use prost::Message;
use weft_contracts::{CodeHash, Runtime, StateReader};
use weft_identity::{Membership, Policy, Signature, Signer};
use weft_proto::{ContractDefinition, DeployRequest, KvRead, KvWrite, NsRwSet, Proposal, TxRwSet};

/// The namespace and contract name.
pub const LIFECYCLE: &str = "_lifecycle";

const DEFINITION_PREFIX: &str = "contract/";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LifecycleError {
    #[error("_lifecycle has no function {0:?}; use deploy, upgrade, list or get")]
    UnknownFunction(String),
    #[error("malformed deploy request: {0}")]
    Malformed(String),
    #[error("contract name {0:?} is not allowed: use 1-64 letters, digits, '-' or '_', not starting with '_'")]
    BadName(String),
    #[error("contract {name}: code hash in the definition does not match the code sent")]
    CodeHashMismatch { name: String },
    #[error("contract {name}: endorsement policy {rule:?} does not parse: {message}")]
    BadPolicy { name: String, rule: String, message: String },
    #[error("contract {name}: wasm module refused: {message}")]
    BadCode { name: String, message: String },
    #[error("contract {0} is already deployed; use upgrade")]
    AlreadyDeployed(String),
    #[error("contract {0} is not deployed; use deploy")]
    NotDeployed(String),
    #[error("contract {name}: sequence must be {expected}, got {got}")]
    WrongSequence { name: String, expected: u64, got: u64 },
    #[error("contract {name}: version {version:?} is already deployed; an upgrade needs a new version")]
    SameVersion { name: String, version: String },
    #[error("contract {name}: approvals do not satisfy the Lifecycle policy ({valid} valid admin approvals); collect signatures from more org admins")]
    NotApproved { name: String, valid: usize },
    #[error("reading lifecycle state: {0}")]
    State(String),
}

pub fn definition_key(name: &str) -> String {
    format!("{DEFINITION_PREFIX}{name}")
}

pub fn code_key(hash: &[u8]) -> String {
    format!("code/{}", hex::encode(hash))
}

/// A decoded, self-consistent deploy or upgrade request.
#[derive(Debug, Clone)]
pub struct Deploy {
    pub upgrade: bool,
    pub definition: ContractDefinition,
    pub request: DeployRequest,
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Decodes `proposal` as `_lifecycle.deploy|upgrade(DeployRequest)` and
/// checks everything that does not depend on state or signatures.
pub fn decode_deploy(proposal: &Proposal) -> Result<Deploy, LifecycleError> {
    let upgrade = match proposal.function.as_str() {
        "deploy" => false,
        "upgrade" => true,
        other => return Err(LifecycleError::UnknownFunction(other.into())),
    };
    let [arg] = proposal.args.as_slice() else {
        return Err(LifecycleError::Malformed(format!("expected one argument, got {}", proposal.args.len())));
    };
    let request = DeployRequest::decode(arg.as_slice()).map_err(|e| LifecycleError::Malformed(e.to_string()))?;
    let definition = ContractDefinition::decode(request.definition_bytes.as_slice())
        .map_err(|e| LifecycleError::Malformed(format!("definition: {e}")))?;
    if !valid_name(&definition.name) {
        return Err(LifecycleError::BadName(definition.name));
    }
    if definition.version.is_empty() {
        return Err(LifecycleError::Malformed("version is empty".into()));
    }
    if CodeHash::of(&request.code).0.as_slice() != definition.code_hash.as_slice() {
        return Err(LifecycleError::CodeHashMismatch { name: definition.name });
    }
    if !definition.endorsement_policy.is_empty() {
        Policy::parse(&definition.endorsement_policy).map_err(|e| LifecycleError::BadPolicy {
            name: definition.name.clone(),
            rule: definition.endorsement_policy.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(Deploy { upgrade, definition, request })
}

/// The `_lifecycle` writes a deploy implies, sorted by key.
pub fn expected_writes(deploy: &Deploy) -> Vec<KvWrite> {
    let mut writes = vec![
        KvWrite {
            key: definition_key(&deploy.definition.name),
            is_delete: false,
            value: deploy.request.definition_bytes.clone(),
        },
        KvWrite { key: code_key(&deploy.definition.code_hash), is_delete: false, value: deploy.request.code.clone() },
    ];
    writes.sort_by(|a, b| a.key.cmp(&b.key));
    writes
}

/// True when `rwset` writes exactly what `deploy` implies and nothing else.
pub fn writes_match(rwset: &TxRwSet, deploy: &Deploy) -> bool {
    let expected = expected_writes(deploy);
    let mut seen = false;
    for ns in &rwset.ns_rwsets {
        if ns.namespace != LIFECYCLE {
            if !ns.writes.is_empty() {
                return false;
            }
            continue;
        }
        if seen {
            return false;
        }
        seen = true;
        if ns.writes != expected {
            return false;
        }
    }
    seen
}

/// Whether valid admin approvals over the definition satisfy `policy`.
/// Returns the number of valid approvals when they do not.
pub fn check_approvals(
    deploy: &Deploy,
    membership: &Membership,
    policy: &Policy,
    orgs: &[String],
    now_unix: i64,
) -> Result<(), LifecycleError> {
    let mut signers: Vec<Signer> = Vec::new();
    for approval in &deploy.request.approvals {
        let Some(signer) = &approval.signer else { continue };
        let Ok(identity) = membership.validate(signer, now_unix) else { continue };
        let Ok(signature) = Signature::from_bytes(&approval.signature) else { continue };
        if identity.public_key.verify(&deploy.request.definition_bytes, &signature).is_ok() {
            signers.push(Signer { id: identity.id, org: identity.org, role: identity.role });
        }
    }
    if policy.is_satisfied_by(&signers, orgs) {
        Ok(())
    } else {
        Err(LifecycleError::NotApproved { name: deploy.definition.name.clone(), valid: signers.len() })
    }
}

/// What an endorser needs to run `_lifecycle`.
pub struct LifecycleContext<'a> {
    pub membership: &'a Membership,
    pub policy: &'a Policy,
    pub orgs: &'a [String],
    pub now_unix: i64,
    pub runtime: &'a Runtime,
}

/// Simulates a deploy or upgrade: the rwset to endorse and the response
/// (the encoded definition).
pub fn simulate_deploy(
    proposal: &Proposal,
    state: &dyn StateReader,
    ctx: &LifecycleContext<'_>,
) -> Result<(TxRwSet, Vec<u8>), LifecycleError> {
    let deploy = decode_deploy(proposal)?;
    let name = deploy.definition.name.clone();
    let key = definition_key(&name);
    let current = state.get(LIFECYCLE, &key).map_err(|e| LifecycleError::State(e.to_string()))?;
    let expected_sequence = match (&current, deploy.upgrade) {
        (Some(_), false) => return Err(LifecycleError::AlreadyDeployed(name)),
        (None, true) => return Err(LifecycleError::NotDeployed(name)),
        (None, false) => 1,
        (Some(v), true) => {
            let old = ContractDefinition::decode(v.value.as_slice())
                .map_err(|e| LifecycleError::State(format!("stored definition of {name}: {e}")))?;
            if old.version == deploy.definition.version {
                return Err(LifecycleError::SameVersion { name, version: old.version });
            }
            old.sequence + 1
        }
    };
    if deploy.definition.sequence != expected_sequence {
        return Err(LifecycleError::WrongSequence {
            name,
            expected: expected_sequence,
            got: deploy.definition.sequence,
        });
    }
    check_approvals(&deploy, ctx.membership, ctx.policy, ctx.orgs, ctx.now_unix)?;
    ctx.runtime
        .install(&deploy.request.code)
        .map_err(|e| LifecycleError::BadCode { name: name.clone(), message: e.to_string() })?;
    let rwset = TxRwSet {
        ns_rwsets: vec![NsRwSet {
            namespace: LIFECYCLE.into(),
            reads: vec![KvRead { key, version: current.and_then(|v| v.version) }],
            range_queries: Vec::new(),
            writes: expected_writes(&deploy),
        }],
    };
    Ok((rwset, deploy.request.definition_bytes))
}

/// The deployed version of `contract`, or "" when it has no definition.
pub fn current_version(state: &dyn StateReader, contract: &str) -> String {
    state
        .get(LIFECYCLE, &definition_key(contract))
        .ok()
        .flatten()
        .and_then(|v| ContractDefinition::decode(v.value.as_slice()).ok())
        .map(|d| d.version)
        .unwrap_or_default()
}

/// Every deployed definition, by name.
pub fn load_definitions(state: &dyn StateReader) -> Result<Vec<ContractDefinition>, LifecycleError> {
    let entries = state
        .range(LIFECYCLE, DEFINITION_PREFIX, Some("contract0"), usize::MAX)
        .map_err(|e| LifecycleError::State(e.to_string()))?;
    entries
        .into_iter()
        .map(|(key, v)| {
            ContractDefinition::decode(v.value.as_slice())
                .map_err(|e| LifecycleError::State(format!("stored definition {key}: {e}")))
        })
        .collect()
}

/// The wasm code stored for `hash`.
pub fn load_code(state: &dyn StateReader, hash: &[u8]) -> Result<Vec<u8>, LifecycleError> {
    state
        .get(LIFECYCLE, &code_key(hash))
        .map_err(|e| LifecycleError::State(e.to_string()))?
        .map(|v| v.value)
        .ok_or_else(|| LifecycleError::State(format!("code {} missing from state", hex::encode(hash))))
}

/// Queries: `list` (all definitions) and `get NAME`, as JSON.
pub fn query(proposal: &Proposal, state: &dyn StateReader) -> Result<Vec<u8>, LifecycleError> {
    let json = |d: &ContractDefinition| {
        serde_json::json!({
            "name": d.name,
            "version": d.version,
            "sequence": d.sequence,
            "endorsement_policy": d.endorsement_policy,
            "code_hash": hex::encode(&d.code_hash),
        })
    };
    match proposal.function.as_str() {
        "list" => {
            let all: Vec<_> = load_definitions(state)?.iter().map(json).collect();
            Ok(serde_json::to_vec(&all).expect("json"))
        }
        "get" => {
            let name = proposal.args.first().map(|a| String::from_utf8_lossy(a).into_owned()).unwrap_or_default();
            let found = load_definitions(state)?.into_iter().find(|d| d.name == name);
            match found {
                Some(d) => Ok(serde_json::to_vec(&json(&d)).expect("json")),
                None => Err(LifecycleError::NotDeployed(name)),
            }
        }
        other => Err(LifecycleError::UnknownFunction(other.into())),
    }
}
