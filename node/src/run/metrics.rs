//! Prometheus metrics, served as text on the node's metrics port. Names
//! follow weft_<subsystem>_<what>_<unit>.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use weft_proto::TxValidationCode;

use crate::Committed;

type Labels = Vec<(String, String)>;

pub struct Metrics {
    registry: Registry,
    pub blocks_committed: Counter,
    pub transactions_committed: Family<Labels, Counter>,
    /// By channel.
    pub ledger_height: Family<Labels, Gauge>,
    pub commit_duration: Histogram,
    pub endorse_duration: Histogram,
    pub transaction_latency: Histogram,
    pub consensus_leader_changes: Counter,
    pub consensus_proposals: Gauge,
    pub consensus_log_entries: Gauge,
    pub consensus_term: Gauge,
    pub consensus_commit_index: Gauge,
    pub consensus_refused: Gauge,
    pub resident_memory_bytes: Gauge,
    pub memory_limit_bytes: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let blocks_committed = Counter::default();
        let transactions_committed = Family::<Labels, Counter>::default();
        let ledger_height = Family::<Labels, Gauge>::default();
        let commit_duration = latency_histogram();
        let endorse_duration = latency_histogram();
        let transaction_latency = latency_histogram();
        registry.register("weft_ledger_blocks_committed", "Blocks committed", blocks_committed.clone());
        registry.register(
            "weft_ledger_transactions_committed",
            "Transactions committed, by validation code",
            transactions_committed.clone(),
        );
        registry.register(
            "weft_ledger_height",
            "Blocks in the channel's ledger (next block number), by channel",
            ledger_height.clone(),
        );
        registry.register(
            "weft_committer_commit_duration_seconds",
            "Time to validate and commit one block",
            commit_duration.clone(),
        );
        registry.register(
            "weft_endorser_endorse_duration_seconds",
            "Time to check, simulate and sign one proposal",
            endorse_duration.clone(),
        );
        registry.register(
            "weft_ledger_transaction_latency_seconds",
            "From a valid transaction's creation (its header's timestamp, the client's clock) to its commit on \
             this node: what a client waits, endorsement, ordering and validation included",
            transaction_latency.clone(),
        );
        let consensus_leader_changes = Counter::default();
        let consensus_proposals = Gauge::default();
        let consensus_log_entries = Gauge::default();
        let consensus_term = Gauge::default();
        let consensus_commit_index = Gauge::default();
        let consensus_refused = Gauge::default();
        registry.register(
            "weft_consensus_leader_changes",
            "Times this orderer saw a new ordering leader, the first election included",
            consensus_leader_changes.clone(),
        );
        registry.register(
            "weft_consensus_proposals",
            "Batches this orderer proposed as leader since it started",
            consensus_proposals.clone(),
        );
        registry.register(
            "weft_consensus_log_entries",
            "Entries in the consensus log (compacted behind committed blocks)",
            consensus_log_entries.clone(),
        );
        registry.register("weft_consensus_term", "Current raft term or PBFT view", consensus_term.clone());
        registry.register(
            "weft_consensus_refused_messages",
            "Messages from other orderers refused since start (bad signature, unknown signer, contradicting \
             what they sent before): a Byzantine or broken orderer",
            consensus_refused.clone(),
        );
        registry.register(
            "weft_consensus_commit_index",
            "Highest consensus log index known committed",
            consensus_commit_index.clone(),
        );
        let resident_memory_bytes = Gauge::default();
        let memory_limit_bytes = Gauge::default();
        registry.register(
            "weft_process_resident_memory_bytes",
            "Resident memory of the node process, sampled every second",
            resident_memory_bytes.clone(),
        );
        registry.register(
            "weft_resources_memory_limit_bytes",
            "resources.memory_mb from the node's config; the node stops above it",
            memory_limit_bytes.clone(),
        );
        Metrics {
            registry,
            resident_memory_bytes,
            memory_limit_bytes,
            blocks_committed,
            transactions_committed,
            ledger_height,
            commit_duration,
            endorse_duration,
            transaction_latency,
            consensus_leader_changes,
            consensus_proposals,
            consensus_log_entries,
            consensus_term,
            consensus_commit_index,
            consensus_refused,
        }
    }

    pub fn record_consensus(&self, s: &weft_consensus::Status) {
        self.consensus_proposals.set(s.proposals as i64);
        self.consensus_log_entries.set(s.log_entries as i64);
        self.consensus_term.set(s.term as i64);
        self.consensus_commit_index.set(s.commit_index as i64);
        self.consensus_refused.set(s.refused as i64);
    }

    /// The channel's height, as its committer opens.
    pub fn record_height(&self, channel: &str, height: u64) {
        self.ledger_height.get_or_create(&vec![("channel".into(), channel.into())]).set(height as i64);
    }

    pub fn record_commit(&self, channel: &str, committed: &Committed, took: Duration) {
        self.blocks_committed.inc();
        self.record_height(channel, committed.summary.number + 1);
        self.commit_duration.observe(took.as_secs_f64());
        let now_ms =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        for tx in &committed.txs {
            self.transactions_committed.get_or_create(&vec![("code".into(), code_name(tx.code))]).inc();
            // A client clock ahead of ours gives no figure rather than a
            // negative one.
            if tx.code == TxValidationCode::Valid && tx.created_ms > 0 && tx.created_ms <= now_ms {
                self.transaction_latency.observe((now_ms - tx.created_ms) as f64 / 1000.0);
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// `VALID`, `MVCC_READ_CONFLICT`, … as in the protobuf enum.
pub fn code_name(code: TxValidationCode) -> String {
    code.as_str_name().trim_start_matches("TX_VALIDATION_CODE_").to_string()
}

/// Serves `/metrics` and `/healthz` over plain HTTP until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    healthy: Arc<dyn Fn() -> Result<(), String> + Send + Sync>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::http::{header, StatusCode};
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let body = metrics.render();
                async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body) }
            }),
        )
        .route(
            "/healthz",
            get(move || {
                let verdict = healthy();
                async move {
                    match verdict {
                        Ok(()) => (StatusCode::OK, "ok\n".to_string()),
                        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
                    }
                }
            }),
        );
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// A listen address that does not give a socket address.
#[derive(Debug, thiserror::Error)]
pub enum BindAddrError {
    #[error("listen address {text:?}: {source}")]
    Unresolved { text: String, source: std::io::Error },
    #[error("listen address {0:?} resolves to nothing")]
    Nothing(String),
}

pub fn bind_addr(text: &str) -> Result<SocketAddr, BindAddrError> {
    use std::net::ToSocketAddrs;
    text.to_socket_addrs()
        .map_err(|source| BindAddrError::Unresolved { text: text.to_string(), source })?
        .next()
        .ok_or_else(|| BindAddrError::Nothing(text.to_string()))
}
