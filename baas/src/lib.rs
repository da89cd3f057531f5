//! weft-baas: the Blockchain-as-a-Service server. Owns the REST API (with
//! its OpenAPI document), the BaaS database (tenants, users, tokens; chains
//! and nodes to come) and, later, the provisioning drivers. Talks to nodes
//! only through their Admin gRPC and `weft-provision`; holds no ledger or
//! consensus logic.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod db;
pub mod first_admin;
pub mod json;
pub mod problem;
pub mod role;
pub mod secrets;
pub mod server;

pub use server::{Config, Server};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
}
