//! gRPC channels from this node to other nodes of the channel (a gateway
//! asking other orgs' peers to endorse, a peer sending to and pulling blocks
//! from the orderer), over mutual TLS with the node's own certificate.

use std::collections::HashMap;
use std::sync::Mutex;

use tonic::transport::Channel;
use weft_proto::{NodeConfig, NodeRole};
use weft_sdk::{ClientIdentity, ConnectError, TrustRoots};

pub struct Remote {
    me: ClientIdentity,
    roots: TrustRoots,
    channels: Mutex<HashMap<String, Channel>>,
}

impl Remote {
    pub fn new(me: ClientIdentity, roots: TrustRoots) -> Remote {
        Remote { me, roots, channels: Mutex::new(HashMap::new()) }
    }

    /// A (cached, lazily connecting) channel to `address`.
    pub fn channel(&self, address: &str) -> Result<Channel, ConnectError> {
        let mut channels = self.channels.lock().expect("remote lock");
        if let Some(c) = channels.get(address) {
            return Ok(c.clone());
        }
        let c = weft_sdk::channel(address, &self.roots, &self.me)?;
        channels.insert(address.into(), c.clone());
        Ok(c)
    }

    pub fn identity(&self) -> &ClientIdentity {
        &self.me
    }
}

/// Nodes of the channel with `role`, other than `except`.
pub fn nodes_with<'a>(
    nodes: &'a [NodeConfig],
    role: NodeRole,
    except: &'a str,
) -> impl Iterator<Item = &'a NodeConfig> {
    nodes.iter().filter(move |n| n.node_id != except && n.roles.contains(&(role as i32)))
}
