//! TLS connections to Weft nodes, as `weft_proto::connect` makes them,
//! for a [`ClientIdentity`].

pub use weft_proto::connect::{ConnectError, TrustRoots};
pub use weft_proto::MAX_MESSAGE_BYTES;

use tonic::transport::Channel;

use crate::ClientIdentity;

/// A lazily connecting channel to `address` (`host:port`) over mutual TLS
/// as `client`.
pub fn channel(address: &str, roots: &TrustRoots, client: &ClientIdentity) -> Result<Channel, ConnectError> {
    let (cert, key) = client.tls_pems();
    weft_proto::connect::channel(address, roots, (&cert, &key))
}
