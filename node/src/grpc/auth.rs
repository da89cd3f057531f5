//! Who is calling: signed requests (the caller's identity is inside the
//! signed bytes) and, for Admin, the TLS client certificate.

use std::sync::Arc;

use prost::Message;
use tonic::{Request, Status};
use weft_identity::{Identity, IdentityError, Membership, Role, Signature};
use weft_proto::SerializedIdentity;

use crate::run::served::ServedChannel;
use crate::run::NodeCore;
use crate::Acl;

/// Status for a certificate the channel does not accept.
pub fn identity_status(e: &IdentityError) -> Status {
    Status::permission_denied(format!("identity rejected: {e}"))
}

/// Checks that the identity a request names is a valid channel member and
/// that `signature` is that member's over the request's bytes.
fn verify_signer(
    request: &[u8],
    signature: &[u8],
    named: Option<&SerializedIdentity>,
    membership: &Membership,
    now_unix: i64,
) -> Result<Identity, Status> {
    let identity = named.ok_or_else(|| Status::invalid_argument("request names no identity"))?;
    let identity = membership.validate(identity, now_unix).map_err(|e| identity_status(&e))?;
    let signature = Signature::from_bytes(signature)
        .map_err(|_| Status::unauthenticated("request signature is not a 64-byte Ed25519 signature"))?;
    identity
        .public_key
        .verify(request, &signature)
        .map_err(|_| Status::unauthenticated("request signature does not verify against the named certificate"))?;
    Ok(identity)
}

/// Admits only a TLS client certificate that is a valid admin certificate of
/// `org` in every one of `memberships`.
pub fn require_admin<T>(
    request: &Request<T>,
    org: &str,
    memberships: &[Membership],
    now_unix: i64,
) -> Result<(), Status> {
    let certs = request.peer_certs().ok_or_else(|| {
        Status::unauthenticated("Admin needs mutual TLS: connect with an admin certificate of this node's org")
    })?;
    let cert = certs.first().ok_or_else(|| Status::unauthenticated("no TLS client certificate presented"))?;
    let claimed = SerializedIdentity { org_id: org.into(), certificate_der: cert.as_ref().to_vec() };
    for membership in memberships {
        let identity = membership
            .validate(&claimed, now_unix)
            .map_err(|e| Status::permission_denied(format!("Admin is only for {org}'s admins: {e}")))?;
        if identity.role != Role::Admin {
            return Err(Status::permission_denied(format!(
                "Admin is only for {org}'s admins; {} has role {:?}",
                identity.common_name, identity.role
            )));
        }
    }
    Ok(())
}

/// The channel a request names, or NOT_FOUND. The channels served are not
/// listed: a caller not yet shown to be a member of any learns nothing
/// (Admin's own lookup lists them for the node's admins).
pub fn served(core: &NodeCore, asked: &str) -> Result<Arc<ServedChannel>, Status> {
    core.channel(asked).ok_or_else(|| Status::not_found(format!("this node serves no channel {asked:?}")))
}

/// [`served`] for the node's admins: NOT_FOUND names the channels served.
pub fn served_for_admin(core: &NodeCore, asked: &str) -> Result<Arc<ServedChannel>, Status> {
    core.channel(asked).ok_or_else(|| {
        Status::not_found(format!(
            "this node serves no channel {asked:?}; it serves: {} (ListChannels lists them)",
            core.served_names()
        ))
    })
}

/// NOT_FOUND for a request naming another channel than `served`.
pub fn wrong_channel(served: &str, asked: &str) -> Status {
    Status::not_found(format!("this is channel {served}, not {asked:?}"))
}

/// A signed request (`request` bytes naming their signer and a channel):
/// decoded, for a channel this node serves, signed by a valid member of it.
pub fn signed_for_channel<M: Message + Default>(
    core: &NodeCore,
    request: &[u8],
    signature: &[u8],
    who: impl Fn(&M) -> Option<&SerializedIdentity>,
    channel: impl Fn(&M) -> &str,
) -> Result<(M, Arc<ServedChannel>, Identity), Status> {
    let message = M::decode(request).map_err(|e| Status::invalid_argument(format!("request does not decode: {e}")))?;
    let served = served(core, channel(&message))?;
    let membership = &served.chain.view().rules.membership;
    let identity = verify_signer(request, signature, who(&message), membership, super::now_unix())?;
    Ok((message, served, identity))
}

/// [`signed_for_channel`], by a signer the channel's Readers policy admits
/// (every such request reads: blocks, events, commit status).
pub fn verify_channel_request<M: Message + Default>(
    core: &NodeCore,
    request: &[u8],
    signature: &[u8],
    who: impl Fn(&M) -> Option<&SerializedIdentity>,
    channel: impl Fn(&M) -> &str,
) -> Result<(M, Arc<ServedChannel>), Status> {
    let (message, served, identity) = signed_for_channel(core, request, signature, who, channel)?;
    let view = served.chain.view();
    view.rules
        .access(Acl::Readers)
        .admit(&identity, &view.rules.orgs)
        .map_err(|e| Status::permission_denied(e.to_string()))?;
    Ok((message, served))
}
