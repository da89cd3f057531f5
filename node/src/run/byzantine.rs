//! A test-only Byzantine mode: with `WEFT_TEST_BYZANTINE=<behaviour>` in
//! its environment, a PBFT orderer passes every message it sends through
//! the simulator's tampering (equivocating pre-prepares, forged signers,
//! replays, silence, conflicting view changes), so that process tests can
//! show the honest orderers agree and name it. Compiled only into debug
//! builds with the `byzantine` feature; any other build refuses to start
//! with the variable set rather than run honestly while a test believes
//! otherwise.

use weft_consensus::NodeId;

/// The environment variable that turns the mode on.
pub const VAR: &str = "WEFT_TEST_BYZANTINE";

#[cfg(all(feature = "byzantine", debug_assertions))]
mod lying {
    use ed25519_dalek::SigningKey;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use weft_consensus::sim::byzantine::{tamper, Liar};
    use weft_consensus::sim::Byzantine;
    use weft_consensus::NodeId;

    /// Messages remembered for replaying.
    const SEEN: usize = 2000;

    pub struct Lies {
        behaviour: Byzantine,
        id: NodeId,
        key: SigningKey,
        /// Every orderer in id order (the index `tamper` splits them by).
        orderers: Vec<NodeId>,
        others: Vec<NodeId>,
        seen: Vec<Vec<u8>>,
        rng: ChaCha8Rng,
    }

    impl Lies {
        pub fn new(behaviour: &str, id: NodeId, key: SigningKey, mut orderers: Vec<NodeId>) -> anyhow::Result<Lies> {
            let behaviour: Byzantine = behaviour.parse().map_err(|e| anyhow::anyhow!("{}: {e}", super::VAR))?;
            anyhow::ensure!(
                behaviour != Byzantine::Twins,
                "{}: twins are two processes with one key; start them so",
                super::VAR
            );
            orderers.sort();
            let others = orderers.iter().filter(|o| **o != id).cloned().collect();
            Ok(Lies { behaviour, id, key, orderers, others, seen: Vec::new(), rng: ChaCha8Rng::seed_from_u64(7) })
        }

        pub fn behaviour(&self) -> String {
            self.behaviour.to_string()
        }

        /// What goes to `to` instead of `payload`.
        pub fn send(&mut self, to: &str, payload: Vec<u8>) -> Vec<Vec<u8>> {
            if self.seen.len() < SEEN {
                self.seen.push(payload.clone());
            }
            let index = self.orderers.iter().position(|o| o == to).unwrap_or(0);
            let liar = Liar { id: &self.id, key: &self.key, others: &self.others };
            tamper(self.behaviour, &liar, &payload, index, &self.seen, &mut self.rng)
        }
    }
}

#[cfg(all(feature = "byzantine", debug_assertions))]
pub use lying::Lies;

/// Without the mode compiled in, nothing lies: `send` passes messages on.
#[cfg(not(all(feature = "byzantine", debug_assertions)))]
pub struct Lies(std::convert::Infallible);

#[cfg(not(all(feature = "byzantine", debug_assertions)))]
impl Lies {
    pub fn behaviour(&self) -> String {
        match self.0 {}
    }

    pub fn send(&mut self, _to: &str, _payload: Vec<u8>) -> Vec<Vec<u8>> {
        match self.0 {}
    }
}

/// The mode the environment asks for, if any.
pub fn from_env(id: &NodeId, key: &ed25519_dalek::SigningKey, orderers: Vec<NodeId>) -> anyhow::Result<Option<Lies>> {
    let Ok(behaviour) = std::env::var(VAR) else { return Ok(None) };
    #[cfg(all(feature = "byzantine", debug_assertions))]
    {
        let lies = Lies::new(&behaviour, id.clone(), key.clone(), orderers)?;
        tracing::warn!(behaviour = %lies.behaviour(), "TEST-ONLY BYZANTINE MODE: this orderer lies to the others");
        Ok(Some(lies))
    }
    #[cfg(not(all(feature = "byzantine", debug_assertions)))]
    {
        let _ = (id, key, orderers);
        anyhow::bail!(
            "{VAR}={behaviour} asks for the test-only Byzantine mode, which this build does not have (debug builds \
             with the byzantine feature only); unset it"
        )
    }
}

/// The test-only fault `WEFT_TEST_PANIC_ORDERING=<n>`: the ordering task
/// panics when the n-th envelope is submitted to it, so that a process test
/// can show the node then calls itself unhealthy instead of serving a chain
/// that orders nothing. Same builds as the Byzantine mode; any other build
/// refuses to start with it set.
pub const PANIC_ORDERING_VAR: &str = "WEFT_TEST_PANIC_ORDERING";

pub fn ordering_panic_from_env() -> anyhow::Result<Option<u64>> {
    let Ok(value) = std::env::var(PANIC_ORDERING_VAR) else { return Ok(None) };
    refuse_outside_test_builds(PANIC_ORDERING_VAR, &value)?;
    let n: u64 = value.parse().map_err(|_| anyhow::anyhow!("{PANIC_ORDERING_VAR}: {value:?} is not a count"))?;
    tracing::warn!(at = n, "TEST-ONLY FAULT: the ordering task panics at this envelope");
    Ok(Some(n))
}

/// The test-only behaviour `WEFT_TEST_SPEAK_RAFT=1` of a node that is no
/// orderer: it joins the orderers' p2p transport (which admits every node
/// of the channel, since peers may fetch blocks over it) and speaks raft
/// to them, so that a process test can show the orderers refuse and count
/// what it says and go on ordering. Same builds as the Byzantine mode.
pub const SPEAK_RAFT_VAR: &str = "WEFT_TEST_SPEAK_RAFT";

pub fn speak_raft_from_env() -> anyhow::Result<bool> {
    let Ok(value) = std::env::var(SPEAK_RAFT_VAR) else { return Ok(false) };
    refuse_outside_test_builds(SPEAK_RAFT_VAR, &value)?;
    tracing::warn!("TEST-ONLY MODE: this node, no orderer, sends the orderers raft heartbeats");
    Ok(true)
}

/// Every half second, to each orderer: a heartbeat from `me` claiming a
/// term 2^40 and a commit index past any log (what would make raft-rs
/// follow it, or `fatal!`), until `shutdown`.
pub async fn speak_raft(
    p2p: crate::run::p2p::P2p,
    me: NodeId,
    orderers: Vec<NodeId>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(std::time::Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.changed() => return,
        }
        for orderer in &orderers {
            let heartbeat = weft_consensus::sim::byzantine::raft_heartbeat(&me, orderer, 1 << 40, 1_000_000);
            p2p.send(orderer.clone(), heartbeat);
        }
    }
}

/// Test-only variables are refused by builds without the test-only modes,
/// rather than ignored while a test believes they are on.
fn refuse_outside_test_builds(var: &str, value: &str) -> anyhow::Result<()> {
    if cfg!(all(feature = "byzantine", debug_assertions)) {
        return Ok(());
    }
    anyhow::bail!(
        "{var}={value} asks for a test-only behaviour, which this build does not have (debug builds with the \
         byzantine feature only); unset it"
    )
}
