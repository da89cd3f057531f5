//! Node-to-node transport over libp2p: TCP, Noise (the node's certificate
//! key is its libp2p identity), Yamux, and one request-response protocol
//! carrying consensus messages and block transfers. One transport serves
//! every channel the node joined: each request names its channel and is
//! served only if the asking node is in that channel's configuration. The
//! allow list (the union of the channels' nodes) refuses every other peer
//! id before a request reaches us.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{allow_block_list, identity, noise, tcp, yamux, Multiaddr, PeerId, StreamProtocol};
use prost::Message as _;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use tokio::sync::{mpsc, oneshot};
use weft_identity::{ParsedCertificate, SigningKeyPair};
use weft_proto::{Block, NodeConfig as ChannelNode};

use crate::run::chain::Chain;

const PROTOCOL: StreamProtocol = StreamProtocol::new("/weft/node/1");
/// Raft entries carry whole batches (2 MiB preferred, 10 MiB at most).
const MAX_MESSAGE: u64 = 16 << 20;
/// Blocks per transfer request.
pub const BLOCKS_PER_REQUEST: u64 = 64;
/// The most block bytes one catch-up response carries (half the transport's
/// message limit, leaving room for framing); at least one block is sent.
const BLOCK_RESPONSE_BYTES: usize = (MAX_MESSAGE / 2) as usize;

#[derive(Debug, Serialize, Deserialize)]
enum Request {
    Consensus { channel: String, payload: ByteBuf },
    Blocks { channel: String, from: u64, to: u64 },
}

#[derive(Debug, Serialize, Deserialize)]
enum Response {
    Ack,
    Blocks(Vec<ByteBuf>),
    Refused(String),
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    allowed: allow_block_list::Behaviour<allow_block_list::AllowedPeers>,
    rr: request_response::cbor::Behaviour<Request, Response>,
}

enum Command {
    Join { channel: String, peers: Peers, chain: Arc<Chain>, inbound: mpsc::Sender<(String, Vec<u8>)> },
    Leave { channel: String },
    SetNodes { channel: String, nodes: Vec<ChannelNode> },
    Send { channel: String, to: String, payload: Vec<u8> },
    Fetch { channel: String, from: u64, to: u64, reply: oneshot::Sender<Result<Vec<Block>, String>> },
}

/// A peer as the admin status shows it.
#[derive(Debug, Clone)]
pub struct PeerContact {
    pub node_id: String,
    pub connected: bool,
    pub last_contact: Option<Instant>,
}

/// The node's transport, shared by its channels.
#[derive(Clone)]
pub struct Transport {
    me: String,
    commands: mpsc::UnboundedSender<Command>,
    contacts: Arc<Mutex<HashMap<String, PeerContact>>>,
}

/// One channel's handle on the transport.
#[derive(Clone)]
pub struct P2p {
    channel: String,
    transport: Transport,
}

struct Peer {
    node_id: String,
    address: Multiaddr,
    /// Redial schedule while not connected.
    next_dial: Instant,
    backoff: Duration,
}

/// Redial backoff bounds for a node that is down or unreachable.
const REDIAL_MIN: Duration = Duration::from_millis(500);
const REDIAL_MAX: Duration = Duration::from_secs(10);

/// The libp2p peer id of a channel node: from its certificate's key.
pub fn peer_id_of(node: &ChannelNode) -> anyhow::Result<PeerId> {
    let cert = ParsedCertificate::parse(&node.certificate_der)
        .map_err(|e| anyhow::anyhow!("node {}'s certificate: {e}", node.node_id))?;
    let key = identity::ed25519::PublicKey::try_from_bytes(&cert.public_key.to_bytes())
        .with_context(|| format!("node {}'s key as a libp2p key", node.node_id))?;
    Ok(identity::PublicKey::from(key).to_peer_id())
}

/// Admitted nodes by peer id: node id and address.
type Peers = HashMap<PeerId, (String, Multiaddr)>;

/// `nodes` (less `me`) as peers, and what is wrong with those that cannot
/// be: certificates that are no Ed25519 libp2p key, addresses that are no
/// multiaddress.
fn peers_of(me: &str, nodes: &[ChannelNode]) -> (Peers, Vec<String>) {
    let mut problems = Vec::new();
    let mut wanted = HashMap::new();
    for n in nodes.iter().filter(|n| n.node_id != me) {
        let address = n.p2p_address.parse::<Multiaddr>().map_err(|e| anyhow::anyhow!("{e}"));
        match (peer_id_of(n), address) {
            (Ok(id), Ok(address)) => {
                wanted.insert(id, (n.node_id.clone(), address));
            }
            (Err(e), _) => problems.push(format!("{e:#}")),
            (_, Err(e)) => problems.push(format!("node {}'s p2p address {:?}: {e}", n.node_id, n.p2p_address)),
        }
    }
    (wanted, problems)
}

impl Transport {
    /// Listens on `listen`; channels then [`join`](Self::join) it.
    pub fn start(me: &str, key: &SigningKeyPair, listen: &str) -> anyhow::Result<Transport> {
        let mut seed = key.seed();
        let keypair = identity::Keypair::ed25519_from_bytes(&mut seed).context("the node key as a libp2p key")?;
        let codec = request_response::cbor::codec::Codec::default()
            .set_request_size_maximum(MAX_MESSAGE)
            .set_response_size_maximum(MAX_MESSAGE);
        let rr = request_response::cbor::Behaviour::with_codec(
            codec,
            [(PROTOCOL, ProtocolSupport::Full)],
            request_response::Config::default().with_request_timeout(Duration::from_secs(10)),
        );
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
            .context("building the libp2p transport")?
            .with_behaviour(|_| Behaviour { allowed: Default::default(), rr })
            .context("building the libp2p behaviour")?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
            .build();
        let listen: Multiaddr = listen.parse().with_context(|| format!("p2p listen address {listen:?}"))?;
        swarm.listen_on(listen.clone()).with_context(|| format!("listening on {listen}"))?;

        let (tx, rx) = mpsc::unbounded_channel();
        let contacts = Arc::new(Mutex::new(HashMap::new()));
        let task = Task {
            swarm,
            me: me.to_string(),
            peers: HashMap::new(),
            channels: HashMap::new(),
            contacts: contacts.clone(),
            fetches: HashMap::new(),
        };
        tokio::spawn(task.run(rx));
        tracing::info!(%listen, "p2p transport listening");
        Ok(Transport { me: me.to_string(), commands: tx, contacts })
    }

    /// Admits `channel`'s `nodes` (other than this one) for it; consensus
    /// payloads for the channel arrive on `inbound` as (node id, bytes).
    pub fn join(
        &self,
        channel: &str,
        nodes: &[ChannelNode],
        chain: Arc<Chain>,
        inbound: mpsc::Sender<(String, Vec<u8>)>,
    ) -> anyhow::Result<P2p> {
        let (peers, problems) = peers_of(&self.me, nodes);
        anyhow::ensure!(problems.is_empty(), "the channel configuration's nodes: {}", problems.join("; "));
        let command = Command::Join { channel: channel.into(), peers, chain, inbound };
        self.commands.send(command).map_err(|_| anyhow::anyhow!("the p2p transport has stopped"))?;
        Ok(P2p { channel: channel.into(), transport: self.clone() })
    }

    /// Every node any channel admits, as the admin status shows it.
    pub fn contacts(&self) -> Vec<PeerContact> {
        let mut v: Vec<PeerContact> = self.contacts.lock().expect("contacts lock").values().cloned().collect();
        v.sort_by(|a, b| a.node_id.cmp(&b.node_id));
        v
    }
}

impl P2p {
    /// Admits exactly `nodes` for this channel from now on (after a
    /// configuration update): new ones are dialled, ones no channel admits
    /// any more are disconnected and refused.
    pub fn set_nodes(&self, nodes: Vec<ChannelNode>) {
        let _ = self.transport.commands.send(Command::SetNodes { channel: self.channel.clone(), nodes });
    }

    /// Fire and forget: consensus protocols resend what is lost.
    pub fn send(&self, to: String, payload: Vec<u8>) {
        let _ = self.transport.commands.send(Command::Send { channel: self.channel.clone(), to, payload });
    }

    /// Blocks `from..to` from some other node of the channel.
    pub async fn fetch_blocks(&self, from: u64, to: u64) -> Result<Vec<Block>, String> {
        let (reply, rx) = oneshot::channel();
        let command = Command::Fetch { channel: self.channel.clone(), from, to, reply };
        self.transport.commands.send(command).map_err(|_| "p2p transport stopped".to_string())?;
        rx.await.map_err(|_| "p2p transport stopped".to_string())?
    }

    pub fn contacts(&self) -> Vec<PeerContact> {
        self.transport.contacts()
    }

    /// Stops serving and admitting for this channel (the node left it).
    pub fn leave(&self) {
        let _ = self.transport.commands.send(Command::Leave { channel: self.channel.clone() });
    }
}

struct Task {
    swarm: libp2p::Swarm<Behaviour>,
    me: String,
    /// Every node some channel admits.
    peers: HashMap<PeerId, Peer>,
    channels: HashMap<String, Link>,
    contacts: Arc<Mutex<HashMap<String, PeerContact>>>,
    /// Block fetches in flight, with the peers not yet asked.
    fetches: HashMap<OutboundRequestId, Fetch>,
}

/// One joined channel: its admitted nodes, its chain (blocks served from
/// it) and its ordering engine's inbox.
struct Link {
    nodes: Peers,
    chain: Arc<Chain>,
    inbound: mpsc::Sender<(String, Vec<u8>)>,
}

impl Link {
    fn peer_of(&self, node_id: &str) -> Option<PeerId> {
        self.nodes.iter().find(|(_, (n, _))| n == node_id).map(|(id, _)| *id)
    }
}

struct Fetch {
    channel: String,
    from: u64,
    to: u64,
    untried: Vec<PeerId>,
    reply: oneshot::Sender<Result<Vec<Block>, String>>,
}

impl Task {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut redial = tokio::time::interval(REDIAL_MIN);
        redial.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    None => break,
                    Some(c) => self.command(c),
                },
                event = self.swarm.select_next_some() => self.event(event),
                _ = redial.tick() => self.redial(),
            }
        }
        tracing::info!("p2p transport stopped");
    }

    /// Keeps a connection to every admitted node, so that followers, who
    /// send to no one but the leader, are connected too and a healed
    /// partition is noticed by both sides; each unreachable node is
    /// redialled with its own exponential backoff.
    fn redial(&mut self) {
        let now = Instant::now();
        let swarm = &self.swarm;
        let due: Vec<(PeerId, Multiaddr)> = self
            .peers
            .iter_mut()
            .filter(|(id, p)| p.next_dial <= now && !swarm.is_connected(id))
            .map(|(id, p)| {
                p.next_dial = now + p.backoff;
                p.backoff = (p.backoff * 2).min(REDIAL_MAX);
                (*id, p.address.clone())
            })
            .collect();
        for (id, address) in due {
            let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(id)
                .addresses(vec![address])
                .condition(libp2p::swarm::dial_opts::PeerCondition::DisconnectedAndNotDialing)
                .build();
            let _ = self.swarm.dial(opts);
        }
    }

    fn touch(&self, peer: &PeerId, connected: Option<bool>) {
        let Some(p) = self.peers.get(peer) else { return };
        let mut contacts = self.contacts.lock().expect("contacts lock");
        if let Some(c) = contacts.get_mut(&p.node_id) {
            c.last_contact = Some(Instant::now());
            if let Some(up) = connected {
                c.connected = up;
            }
        }
    }

    /// Makes the union of the channels' nodes the admitted set: new ones
    /// are dialled, ones no channel names are disconnected and refused.
    fn admit(&mut self) {
        let mut wanted = Peers::new();
        for link in self.channels.values() {
            for (id, node) in &link.nodes {
                wanted.insert(*id, node.clone());
            }
        }
        let gone: Vec<PeerId> = self.peers.keys().filter(|id| !wanted.contains_key(id)).copied().collect();
        let mut contacts = self.contacts.lock().expect("contacts lock");
        for id in gone {
            let p = self.peers.remove(&id).expect("listed above");
            // Disallowing also closes its connections.
            self.swarm.behaviour_mut().allowed.disallow_peer(id);
            contacts.remove(&p.node_id);
            tracing::info!(node = %p.node_id, "p2p: node is in no channel configuration any more; no longer admitted");
        }
        for (id, (node_id, address)) in wanted {
            if self.peers.get(&id).is_some_and(|old| old.address == address && old.node_id == node_id) {
                continue;
            }
            if self.peers.contains_key(&id) {
                // It moved: drop the connection to the old address. libp2p
                // keeps dialling that one too, failing over to the new one.
                self.swarm.behaviour_mut().allowed.disallow_peer(id);
            }
            tracing::info!(node = %node_id, %address, "p2p: admitting node of a channel");
            self.swarm.behaviour_mut().allowed.allow_peer(id);
            self.swarm.add_peer_address(id, address.clone());
            contacts.entry(node_id.clone()).or_insert(PeerContact {
                node_id: node_id.clone(),
                connected: false,
                last_contact: None,
            });
            self.peers.insert(id, Peer { node_id, address, next_dial: Instant::now(), backoff: REDIAL_MIN });
        }
    }

    /// Sets `channel`'s admitted nodes; logs entries it cannot admit.
    fn set_nodes(&mut self, channel: &str, nodes: &[ChannelNode]) {
        let (wanted, problems) = peers_of(&self.me, nodes);
        for problem in problems {
            tracing::warn!(channel, %problem, "p2p: a node of the channel configuration cannot be admitted");
        }
        if let Some(link) = self.channels.get_mut(channel) {
            link.nodes = wanted;
        }
        self.admit();
    }

    fn command(&mut self, c: Command) {
        match c {
            Command::Join { channel, peers, chain, inbound } => {
                tracing::info!(%channel, "p2p: serving channel");
                self.channels.insert(channel, Link { nodes: peers, chain, inbound });
                self.admit();
            }
            Command::Leave { channel } => {
                if self.channels.remove(&channel).is_some() {
                    tracing::info!(%channel, "p2p: no longer serving channel");
                    self.admit();
                }
            }
            Command::SetNodes { channel, nodes } => self.set_nodes(&channel, &nodes),
            Command::Send { channel, to, payload } => {
                let Some(peer) = self.channels.get(&channel).and_then(|l| l.peer_of(&to)) else {
                    tracing::debug!(%channel, to, "not a node of this channel; message dropped");
                    return;
                };
                // request-response dials (again) when there is no
                // connection; a failed dial drops this message only.
                let request = Request::Consensus { channel, payload: ByteBuf::from(payload) };
                self.remember_address(peer);
                self.swarm.behaviour_mut().rr.send_request(&peer, request);
            }
            Command::Fetch { channel, from, to, reply } => {
                let untried: Vec<PeerId> =
                    self.channels.get(&channel).map(|l| l.nodes.keys().copied().collect()).unwrap_or_default();
                self.fetch(Fetch { channel, from, to, untried, reply });
            }
        }
    }

    /// request-response forgets an address after one failed dial (a node
    /// that was down, or not started yet); the configuration's address is
    /// handed to it again before every request to a peer not connected.
    fn remember_address(&mut self, peer: PeerId) {
        if self.swarm.is_connected(&peer) {
            return;
        }
        if let Some(p) = self.peers.get(&peer) {
            self.swarm.add_peer_address(peer, p.address.clone());
        }
    }

    fn fetch(&mut self, mut f: Fetch) {
        let Some(peer) = f.untried.pop() else {
            let _ = f.reply.send(Err(format!("no node could send blocks {}..{}", f.from, f.to)));
            return;
        };
        let request = Request::Blocks { channel: f.channel.clone(), from: f.from, to: f.to };
        self.remember_address(peer);
        let id = self.swarm.behaviour_mut().rr.send_request(&peer, request);
        self.fetches.insert(id, f);
    }

    fn event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                self.touch(&peer_id, Some(true));
                if let Some(p) = self.peers.get_mut(&peer_id) {
                    p.backoff = REDIAL_MIN;
                }
                if let Some(p) = self.peers.get(&peer_id) {
                    tracing::info!(node = %p.node_id, address = %p.address, "p2p connected");
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => {
                self.touch(&peer_id, Some(false));
                if let Some(p) = self.peers.get_mut(&peer_id) {
                    p.next_dial = Instant::now();
                }
                if let Some(p) = self.peers.get(&peer_id) {
                    tracing::info!(node = %p.node_id, "p2p disconnected; redialling with backoff");
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                let node = peer_id.and_then(|p| self.peers.get(&p)).map(|p| p.node_id.clone());
                tracing::debug!(?node, %error, "p2p dial failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Rr(e)) => self.request_response(e),
            _ => {}
        }
    }

    fn request_response(&mut self, e: request_response::Event<Request, Response>) {
        match e {
            request_response::Event::Message { peer, message, .. } => {
                self.touch(&peer, None);
                match message {
                    request_response::Message::Request { request, channel, .. } => {
                        let response = self.serve(&peer, request);
                        let _ = self.swarm.behaviour_mut().rr.send_response(channel, response);
                    }
                    request_response::Message::Response { request_id, response } => {
                        if let Some(f) = self.fetches.remove(&request_id) {
                            match response {
                                Response::Blocks(blocks) => {
                                    let decoded: Result<Vec<Block>, _> =
                                        blocks.iter().map(|b| Block::decode(b.as_slice())).collect();
                                    match decoded {
                                        Ok(b) if !b.is_empty() => {
                                            let _ = f.reply.send(Ok(b));
                                        }
                                        _ => self.fetch(f),
                                    }
                                }
                                _ => self.fetch(f),
                            }
                        }
                    }
                }
            }
            request_response::Event::OutboundFailure { request_id, peer, error, .. } => {
                tracing::debug!(%peer, %error, "p2p request failed");
                if let Some(f) = self.fetches.remove(&request_id) {
                    self.fetch(f);
                }
            }
            _ => {}
        }
    }

    fn serve(&self, peer: &PeerId, request: Request) -> Response {
        let (Request::Consensus { channel, .. } | Request::Blocks { channel, .. }) = &request;
        let Some(link) = self.channels.get(channel) else {
            return Response::Refused(format!("this node has not joined channel {channel}"));
        };
        let Some(from_node) = link.nodes.get(peer).map(|(node_id, _)| node_id.clone()) else {
            return Response::Refused(format!("not a node of channel {channel}"));
        };
        match request {
            Request::Consensus { payload, .. } => {
                // A full queue means the orderer is behind; dropping is what
                // a lossy network would do and raft recovers from it.
                let _ = link.inbound.try_send((from_node, payload.into_vec()));
                Response::Ack
            }
            Request::Blocks { from, to, .. } => {
                let to = to.min(from.saturating_add(BLOCKS_PER_REQUEST)).min(link.chain.height());
                let mut blocks = Vec::new();
                let mut bytes = 0usize;
                for n in from..to {
                    match link.chain.reader().block(n) {
                        // Bounded in bytes as well as in count: a response
                        // over the transport's limit would fail whole, and
                        // the asker retries from where this one stops.
                        Ok(Some(b)) => {
                            let encoded = b.encode_to_vec();
                            bytes += encoded.len() + 16;
                            if !blocks.is_empty() && bytes > BLOCK_RESPONSE_BYTES {
                                break;
                            }
                            blocks.push(ByteBuf::from(encoded));
                        }
                        _ => break,
                    }
                }
                Response::Blocks(blocks)
            }
        }
    }
}
