//! `weft-node --config node.toml`: one Weft node (peer and/or orderer).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter};
use weft_node::run::{self, metrics, LogControl};

/// Runs one Weft node: endorses with WASM contracts (peer), orders
/// transactions into blocks (orderer), validates and commits blocks to its
/// RocksDB ledger, and serves Gateway, Deliver and Admin gRPC over TLS plus
/// Prometheus metrics. `weft network init` writes the config file;
/// `weft network up` starts every node of a network.
#[derive(Parser)]
#[command(name = "weft-node", version)]
struct Args {
    /// The node's configuration (`nodes/<node>/node.toml` in a network
    /// directory). Any key can be overridden by WEFT_<KEY> in the
    /// environment, e.g. WEFT_LISTEN_GRPC=127.0.0.1:7050.
    #[arg(long, short, env = "WEFT_NODE_CONFIG", required_unless_present = "check_snapshot")]
    config: Option<PathBuf>,
    /// Instead of running: restore this state snapshot (a backup) into a
    /// throwaway ledger and print its channel, height and the state hash
    /// recomputed from the restored state, as JSON; exit 1 if it does not
    /// restore.
    #[arg(long, value_name = "FILE")]
    check_snapshot: Option<PathBuf>,
    /// `text` (one line per event) or `json` (one object per line: time,
    /// level, message and the event's fields flat, with the node's id);
    /// overrides node.toml's `log_format`.
    #[arg(long, value_name = "FORMAT", env = "WEFT_LOG_FORMAT")]
    log_format: Option<weft_provision::LogFormat>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let Some(file) = &args.check_snapshot {
        return match weft_node::snapshot_check::check(file) {
            Ok(c) => {
                println!("{}", serde_json::to_string(&c).expect("serialises"));
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("weft-node: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let path = args.config.expect("clap requires --config without --check-snapshot");
    let config = match weft_provision::NodeConfig::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("weft-node: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| config.log_level.clone());
    let (layer, handle) = reload::Layer::new(EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info")));
    let lines = tracing_subscriber::fmt::layer().with_target(false);
    let lines = match args.log_format.unwrap_or(config.log_format) {
        weft_provision::LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .with_writer(weft_node::json_log::Tagged::new(&config.node_id))
            .boxed(),
        weft_provision::LogFormat::Text => {
            lines.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())).boxed()
        }
    };
    tracing_subscriber::registry().with(layer).with(lines).init();
    let current = Arc::new(std::sync::Mutex::new(filter));
    let log: LogControl = Arc::new(move |new: &str| {
        let parsed = EnvFilter::try_new(new).map_err(|e| e.to_string())?;
        handle.reload(parsed).map_err(|e| e.to_string())?;
        let mut current = current.lock().expect("log lock");
        Ok(std::mem::replace(&mut *current, new.to_string()))
    });
    let available = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = run::limits::worker_threads(config.resources.cpu, available);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(serve(config, log)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("weft-node: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: weft_provision::NodeConfig, log: LogControl) -> anyhow::Result<()> {
    let grpc_addr = metrics::bind_addr(&config.listen.grpc)?;
    let metrics_addr = metrics::bind_addr(&config.listen.metrics)?;
    let grpc =
        tokio::net::TcpListener::bind(grpc_addr).await.with_context(|| format!("binding gRPC on {grpc_addr}"))?;
    let http = tokio::net::TcpListener::bind(metrics_addr)
        .await
        .with_context(|| format!("binding metrics on {metrics_addr}"))?;
    let core = run::start(config, log).await?;

    let signals = core.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("signal received, shutting down");
        signals.request_shutdown();
    });
    let stopped = |core: &Arc<run::NodeCore>| {
        let mut rx = core.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let health_core = core.clone();
    let healthy = Arc::new(move || {
        let problems = weft_node::grpc::health_problems(&health_core);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    });
    tokio::spawn(run::limits::watch_memory(core.clone()));
    let metrics_task = tokio::spawn(metrics::serve(http, core.metrics.clone(), healthy, stopped(&core)));
    tracing::info!(
        node = %core.config.node_id,
        grpc = %grpc_addr,
        metrics = %metrics_addr,
        channels = %core.served_names(),
        cpu = core.config.resources.cpu,
        memory_mb = core.config.resources.memory_mb,
        "weft-node serving"
    );
    weft_node::grpc::serve(core.clone(), grpc, stopped(&core)).await?;
    for channel in core.channels() {
        if let Some(o) = &channel.ordering {
            o.drain().await;
        }
        tracing::info!(channel = %channel.id, height = channel.chain.height(), "channel stopped");
    }
    let _ = metrics_task.await;
    tracing::info!("weft-node stopped");
    match core.fatal.get() {
        Some(why) => Err(anyhow::anyhow!("{why}")),
        None => Ok(()),
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
