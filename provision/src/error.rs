use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProvisionError {
    #[error("template {path}: {message}")]
    Template { path: String, message: String },
    #[error("{path} already exists and is not empty; choose another --out directory or delete it first")]
    OutputNotEmpty { path: PathBuf },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("no free TCP port on {host}: {source}")]
    NoFreePort {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "starting {binary}: {source} (build it with `cargo build`, or name it with --node-binary / WEFT_NODE_BIN)"
    )]
    Start {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("signal {signal} to pid {pid}: {source}")]
    Signal {
        pid: u32,
        signal: i32,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Identity(#[from] weft_identity::IdentityError),
}
