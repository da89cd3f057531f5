//! weft-baas: the Blockchain-as-a-Service server. Owns the REST API (with
//! its OpenAPI document), the BaaS database (tenants, users, tokens,
//! templates, quotas, chains, nodes, jobs) and the `local` provisioning
//! driver. Talks to nodes only through their Admin gRPC and
//! `weft-provision`; holds no ledger or consensus logic.

pub mod api;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod blocks;
pub mod client_addr;
pub mod console;
pub mod custody;
pub mod db;
pub mod enrollment;
pub mod first_admin;
pub mod hardening;
#[cfg(test)]
mod layers;
pub mod login_guard;
pub mod material;
pub mod metrics;
pub mod monitor;
pub mod names;
pub mod ops;
pub mod problem;
pub mod query;
pub mod quotas;
pub mod role;
pub mod runtime;
pub mod secrets;
pub mod security;
pub mod server;
pub mod store;
pub mod templates;
pub mod tls;

pub use server::{Config, Server};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    /// Runs the chains' nodes.
    pub driver: std::sync::Arc<dyn runtime::Driver>,
    /// The chains' material: manifests, certificates, sealed org keys.
    pub material: material::ChainMaterial,
    /// Held while a chain's quota is checked and its row inserted.
    pub quota_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    pub gateways: api::rest_gateway::Gateways,
    /// Seals the private keys of chain users whose keys the BaaS keeps.
    pub master_key: std::sync::Arc<custody::MasterKey>,
    /// Held while a node is stopped, started or removed through the API
    /// and while the monitor restarts a crashed one, so the monitor never
    /// revives a node an operator is stopping.
    pub node_ops: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The client webhook deliveries go through (rustls, the machine's CAs
    /// and --webhook-ca-file).
    pub webhook_http: reqwest::Client,
    /// Where webhooks may go (checked at registration and at connect time).
    pub webhook_egress: std::sync::Arc<monitor::egress::Egress>,
    /// Per-source login rate limits.
    pub login_guard: login_guard::LoginGuard,
    /// Per-token request rate limits.
    pub rate_limiter: std::sync::Arc<security::RateLimiter>,
    /// Held while an audit entry is appended (the chain is one sequence).
    pub audit_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Held while a channel configuration update is built and submitted.
    pub config_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Background jobs (chain creation, membership changes).
    pub jobs: ops::jobs::JobRunner,
    /// The server's own Prometheus metrics (`GET /metrics`).
    pub metrics: std::sync::Arc<metrics::BaasMetrics>,
    /// Marked by the monitor loop each round, for `/api/health`.
    pub heartbeat: std::sync::Arc<monitor::heartbeat::Heartbeat>,
    /// Becomes true when the server stops: long-lived responses (event
    /// streams) end then, so the graceful shutdown does not wait on them.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}
