//! What a committing peer checks about each transaction before MVCC: the
//! envelope decodes, belongs to this channel, has the tx id its nonce and
//! creator imply, carries a result endorsed for exactly its proposal, was
//! signed by a valid, unrevoked, unexpired member, and
//! carries endorsements that satisfy the contract's endorsement policy. A
//! configuration transaction must be signed as the Admins policy requires;
//! a `_lifecycle` deploy must carry admin approvals that satisfy the
//! Lifecycle policy and write exactly the definition and code it names.
//!
//! Every signature in the block is checked in batches (`verify_batch`), one
//! per core, in parallel,
//! the costliest part of validation; the rest is lookups.

use std::collections::{BTreeMap, HashMap};

use crate::lifecycle::{self, LIFECYCLE};
use crate::{endorsement_message, ChannelRules};
use prost::Message;
use sha2::{Digest, Sha256};
use weft_identity::{verify_batch, Identity, IdentityError, Membership, Policy, SignatureCheck, Signer};
use weft_proto::{
    payload, ChannelConfig, ChannelHeader, Envelope, HeaderType, Payload, Proposal, ProposalResult, SerializedIdentity,
    TxId, TxValidationCode,
};

/// The channel state the checks depend on.
pub struct TxRules<'a> {
    pub channel_id: &'a str,
    pub membership: &'a Membership,
    /// Org ids of the channel, for MAJORITY/ANY/ALL.
    pub channel_orgs: &'a [String],
    /// Endorsement policy of each contract deployed on the channel.
    pub endorsement_policies: &'a BTreeMap<String, Policy>,
    /// Who must sign a configuration update.
    pub admins: &'a Policy,
    /// Who must approve a contract deployment.
    pub lifecycle: &'a Policy,
    /// Endorsement policy of `_lifecycle` itself.
    pub default_endorsement: &'a Policy,
    /// Current configuration sequence; an update must carry the next one.
    pub config_sequence: u64,
    /// PBFT channels: the orderers' certificates. An update may neither
    /// change them (PBFT membership changes are not supported yet) nor
    /// leave PBFT.
    pub pbft_orderers: Option<&'a [Vec<u8>]>,
    /// Certificates are judged at this time (the block's, not the wall clock).
    pub now_unix: i64,
}

/// A signature to check and who made it.
struct Claim {
    message: Vec<u8>,
    signature: Vec<u8>,
    signer: Identity,
}

enum Kind {
    Endorser { contract: String },
    Lifecycle,
    Config,
}

/// A transaction that passed the structural checks, waiting for signatures.
struct Pending {
    creator: Claim,
    kind: Kind,
    /// Endorsements (or config signatures) whose certificates are valid.
    approvals: Vec<Claim>,
    /// Org admins' approvals of a contract definition.
    admin_approvals: Vec<Claim>,
}

/// One code per envelope, in order. `VALID` means "passed these checks";
/// the ledger then applies duplicate-tx-id and MVCC checks.
pub fn prevalidate(envelopes: &[Vec<u8>], rules: &TxRules<'_>) -> Vec<TxValidationCode> {
    let mut identities = Identities::new(rules);
    let parsed: Vec<Result<Pending, TxValidationCode>> =
        envelopes.iter().map(|e| parse(e, rules, &mut identities)).collect();

    let claims: Vec<&Claim> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .flat_map(|p| std::iter::once(&p.creator).chain(&p.approvals).chain(&p.admin_approvals))
        .collect();
    let checks: Vec<SignatureCheck<'_>> = claims
        .iter()
        .map(|c| SignatureCheck { message: &c.message, signature: &c.signature, public_key: &c.signer.public_key })
        .collect();
    let mut verdicts = verify_in_parallel(&checks).into_iter();
    // One configuration change per block: a second update in the same block
    // was made against the configuration the first one replaces.
    let mut config_taken = false;

    parsed
        .into_iter()
        .map(|p| {
            let p = p?;
            let creator_ok = verdicts.next().expect("one verdict per claim");
            let mut signers_of = |claims: &[Claim]| -> Vec<Signer> {
                claims
                    .iter()
                    .zip(verdicts.by_ref())
                    .filter(|(_, ok)| *ok)
                    .map(|(c, _)| Signer { id: c.signer.id, org: c.signer.org.clone(), role: c.signer.role })
                    .collect()
            };
            let signers = signers_of(&p.approvals);
            let admins = signers_of(&p.admin_approvals);
            if !creator_ok {
                return Err(TxValidationCode::BadCreatorSignature);
            }
            match p.kind {
                Kind::Endorser { contract } => {
                    let policy = rules.endorsement_policies.get(&contract).ok_or(TxValidationCode::UnknownContract)?;
                    if !policy.is_satisfied_by(&signers, rules.channel_orgs) {
                        return Err(TxValidationCode::EndorsementPolicyFailure);
                    }
                }
                Kind::Lifecycle => {
                    if !rules.default_endorsement.is_satisfied_by(&signers, rules.channel_orgs)
                        || !rules.lifecycle.is_satisfied_by(&admins, rules.channel_orgs)
                    {
                        return Err(TxValidationCode::EndorsementPolicyFailure);
                    }
                }
                Kind::Config => {
                    if config_taken || !rules.admins.is_satisfied_by(&signers, rules.channel_orgs) {
                        return Err(TxValidationCode::InvalidConfigTransaction);
                    }
                    config_taken = true;
                }
            }
            Ok(TxValidationCode::Valid)
        })
        .map(|r: Result<TxValidationCode, TxValidationCode>| r.unwrap_or_else(|code| code))
        .collect()
}

/// Below this many signatures per thread a second thread costs more than
/// it saves.
const MIN_PER_THREAD: usize = 64;

/// `verify_batch` over one chunk per core. The verdicts do not depend on
/// the split: a failed batch falls back to checking its signatures one by one.
fn verify_in_parallel(checks: &[SignatureCheck<'_>]) -> Vec<bool> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = cores.min(checks.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return verify_batch(checks);
    }
    let chunk = checks.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = checks.chunks(chunk).map(|c| scope.spawn(move || verify_batch(c))).collect();
        handles.into_iter().flat_map(|h| h.join().expect("signature verification thread")).collect()
    })
}

/// Certificate checks memoised for one block: the same clients and peers
/// sign most transactions, and checking a certificate costs an Ed25519
/// verification of its own (the CA's signature) that batching cannot share.
/// Within one call the inputs (membership, time) are fixed, so reuse is exact.
struct Identities<'a> {
    rules: &'a TxRules<'a>,
    /// By certificate; the org it was presented for is part of the answer.
    seen: HashMap<Vec<u8>, (String, Result<Identity, TxValidationCode>)>,
}

impl<'a> Identities<'a> {
    fn new(rules: &'a TxRules<'a>) -> Self {
        Identities { rules, seen: HashMap::new() }
    }

    /// The identity, or the code a creator with this certificate gets.
    fn validate(&mut self, id: &SerializedIdentity) -> Result<Identity, TxValidationCode> {
        if let Some((org, result)) = self.seen.get(id.certificate_der.as_slice()) {
            if *org == id.org_id {
                return result.clone();
            }
        }
        let result = self.rules.membership.validate(id, self.rules.now_unix).map_err(|e| match e {
            IdentityError::Expired { .. } | IdentityError::NotYetValid { .. } => TxValidationCode::ExpiredCreator,
            IdentityError::Revoked { .. } => TxValidationCode::RevokedCreator,
            _ => TxValidationCode::BadCreatorSignature,
        });
        self.seen.insert(id.certificate_der.clone(), (id.org_id.clone(), result.clone()));
        result
    }
}

fn parse(bytes: &[u8], rules: &TxRules<'_>, identities: &mut Identities<'_>) -> Result<Pending, TxValidationCode> {
    use TxValidationCode as Code;
    if bytes.is_empty() {
        return Err(Code::NilEnvelope);
    }
    let env = Envelope::decode(bytes).map_err(|_| Code::BadPayload)?;
    let payload = Payload::decode(env.payload.as_slice()).map_err(|_| Code::BadPayload)?;
    let header: ChannelHeader = payload.header.ok_or(Code::BadPayload)?;
    let header_copy = header.clone();
    if header.channel_id != rules.channel_id {
        return Err(Code::BadChannel);
    }
    let creator_id: SerializedIdentity = header.creator.clone().ok_or(Code::BadPayload)?;
    let creator = identities.validate(&creator_id)?;
    if header.tx_id != TxId::derive(&header.nonce, &creator_id.certificate_der).0 {
        return Err(Code::BadProposalTxid);
    }
    let creator = Claim { message: env.payload.clone(), signature: env.signature, signer: creator };
    match (HeaderType::try_from(header.r#type), payload.body) {
        (Ok(HeaderType::EndorserTransaction), Some(payload::Body::Transaction(tx))) => {
            let result = ProposalResult::decode(tx.result_bytes.as_slice()).map_err(|_| Code::BadPayload)?;
            // The endorsed result must be for this very proposal: same header
            // (tx id, creator, channel), same contract, and its hash. A
            // proposal still carrying transient data would put private inputs
            // on the ledger.
            let proposal = Proposal::decode(tx.proposal_bytes.as_slice()).map_err(|_| Code::BadPayload)?;
            let hash = Sha256::digest(&tx.proposal_bytes);
            if proposal.header.as_ref() != Some(&header_copy)
                || proposal.contract != result.contract
                || !proposal.transient.is_empty()
                || result.proposal_hash != hash.as_slice()
            {
                return Err(Code::BadPayload);
            }
            let approvals = tx
                .endorsements
                .into_iter()
                .filter_map(|e| {
                    let endorser = e.endorser?;
                    let signer = identities.validate(&endorser).ok()?;
                    let message = endorsement_message(&tx.result_bytes, &endorser.certificate_der);
                    Some(Claim { message, signature: e.signature, signer })
                })
                .collect();
            let rwset = result.rwset.clone().unwrap_or_default();
            let (kind, admin_approvals) = if result.contract == LIFECYCLE {
                let deploy = lifecycle::decode_deploy(&proposal).map_err(|_| Code::BadPayload)?;
                if !lifecycle::writes_match(&rwset, &deploy) {
                    return Err(Code::BadRwset);
                }
                let claims = deploy
                    .request
                    .approvals
                    .into_iter()
                    .filter_map(|a| {
                        let signer = identities.validate(a.signer.as_ref()?).ok()?;
                        let message = deploy.request.definition_bytes.clone();
                        Some(Claim { message, signature: a.signature, signer })
                    })
                    .collect();
                (Kind::Lifecycle, claims)
            } else {
                // Only `_lifecycle` may change contract definitions.
                if rwset.ns_rwsets.iter().any(|ns| ns.namespace == LIFECYCLE && !ns.writes.is_empty()) {
                    return Err(Code::BadRwset);
                }
                (Kind::Endorser { contract: result.contract }, Vec::new())
            };
            Ok(Pending { creator, kind, approvals, admin_approvals })
        }
        (Ok(HeaderType::Config), Some(payload::Body::ConfigUpdate(update))) => {
            let config =
                ChannelConfig::decode(update.config_bytes.as_slice()).map_err(|_| Code::InvalidConfigTransaction)?;
            let next = ChannelRules::from_config(&config);
            let usable = config.channel_id == rules.channel_id
                && config.sequence == rules.config_sequence + 1
                && next.as_ref().is_ok_and(|next| {
                    rules
                        .pbft_orderers
                        .is_none_or(|fixed| next.commit_certificates.is_some() && same_members(&next.orderers, fixed))
                });
            if !usable {
                return Err(Code::InvalidConfigTransaction);
            }
            let approvals = update
                .signatures
                .into_iter()
                .filter_map(|s| {
                    let signer = identities.validate(s.signer.as_ref()?).ok()?;
                    Some(Claim { message: update.config_bytes.clone(), signature: s.signature, signer })
                })
                .collect();
            Ok(Pending { creator, kind: Kind::Config, approvals, admin_approvals: Vec::new() })
        }
        _ => Err(Code::BadPayload),
    }
}

#[cfg(test)]
mod tests;

fn same_members(a: &[Vec<u8>], b: &[Vec<u8>]) -> bool {
    let set = |v: &[Vec<u8>]| v.iter().cloned().collect::<std::collections::BTreeSet<_>>();
    set(a) == set(b)
}
