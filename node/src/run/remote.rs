//! gRPC channels from this node to other nodes of the channel (a gateway
//! asking other orgs' peers to endorse, a peer sending to and pulling blocks
//! from the orderer), over mutual TLS with the node's own certificate and
//! the roots in force (see `trust`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tonic::transport::Channel;
use weft_identity::ClientIdentity;
use weft_proto::connect::{ConnectError, TrustRoots};
use weft_proto::{NodeConfig, NodeRole};

use super::trust::Trust;

pub struct Remote {
    me: ClientIdentity,
    trust: Arc<Trust>,
    /// Channels made with the roots of this generation of `trust`.
    channels: Mutex<(u64, HashMap<String, Channel>)>,
    /// Addresses that failed to answer, until when callers that may do
    /// without them give them only a short deadline.
    silent: Mutex<HashMap<String, Instant>>,
}

/// How long an address that did not answer is treated as likely gone.
pub const HOLD_DOWN: Duration = Duration::from_secs(60);

impl Remote {
    pub fn new(me: ClientIdentity, trust: Arc<Trust>) -> Remote {
        Remote { me, trust, channels: Mutex::new((0, HashMap::new())), silent: Mutex::new(HashMap::new()) }
    }

    /// Records whether `address` answered: one that did not is treated as
    /// likely gone for [`HOLD_DOWN`] after its last failure.
    pub fn answered(&self, address: &str, answered: bool) {
        let mut silent = self.silent.lock().expect("remote lock");
        if answered {
            silent.remove(address);
        } else {
            silent.insert(address.to_string(), Instant::now() + HOLD_DOWN);
        }
    }

    /// Whether `address` failed to answer within the last [`HOLD_DOWN`].
    pub fn held_down(&self, address: &str) -> bool {
        self.silent.lock().expect("remote lock").get(address).is_some_and(|until| *until > Instant::now())
    }

    /// A (cached, lazily connecting) channel to `address`. When the roots
    /// change the cache starts again: a node of a newly trusted org is
    /// reached with roots that include its CA (streams already open go on).
    pub fn channel(&self, address: &str) -> Result<Channel, ConnectError> {
        let (roots, generation) = self.trust.client_roots();
        let mut cached = self.channels.lock().expect("remote lock");
        let (made_with, channels) = &mut *cached;
        if *made_with != generation {
            channels.clear();
            *made_with = generation;
        }
        if let Some(c) = channels.get(address) {
            return Ok(c.clone());
        }
        let c = connect(address, &roots, &self.me)?;
        channels.insert(address.into(), c.clone());
        Ok(c)
    }

    pub fn identity(&self) -> &ClientIdentity {
        &self.me
    }

    /// The roots in force, for a connection made elsewhere.
    pub fn roots(&self) -> TrustRoots {
        self.trust.client_roots().0
    }
}

/// A lazily connecting mutual-TLS channel to `address` as `me`.
pub fn connect(address: &str, roots: &TrustRoots, me: &ClientIdentity) -> Result<Channel, ConnectError> {
    let (certificate, key) = me.tls_pems();
    weft_proto::connect::channel(address, roots, (&certificate, &key))
}

/// Nodes of the channel with `role`, other than `except`.
pub fn nodes_with<'a>(
    nodes: &'a [NodeConfig],
    role: NodeRole,
    except: &'a str,
) -> impl Iterator<Item = &'a NodeConfig> {
    nodes.iter().filter(move |n| n.node_id != except && n.roles.contains(&(role as i32)))
}
