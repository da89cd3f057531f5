//! `weft-baas serve`: the BaaS server. See docs/baas.md.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::time::Duration;

use weft_baas::monitor::rules::Thresholds;
use weft_baas::monitor::MonitorConfig;
use weft_baas::tls::Tls;
use weft_baas::{first_admin, Config, Server};

#[derive(Parser)]
#[command(
    name = "weft-baas",
    version,
    about = "Weft's Blockchain-as-a-Service server: REST API, tenants, chains on demand"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST API and the web console until SIGTERM or Ctrl-C.
    ///
    /// On the first start it creates the database and a platform admin
    /// `admin`, whose password is WEFT_BAAS_ADMIN_PASSWORD or a one-time
    /// password printed once.
    Serve(Box<ServeArgs>),
    /// Print the REST API's OpenAPI document (JSON): the console's typed
    /// client is generated from it (`make console-api`).
    Openapi,
}

/// `weft-baas serve`'s options.
#[derive(clap::Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "WEFT_BAAS_LISTEN", default_value = "127.0.0.1:7080")]
    listen: SocketAddr,
    /// Where the embedded SQLite database (baas.db) and chain data live.
    #[arg(long, env = "WEFT_BAAS_DATA_DIR", default_value = "./weft-baas-data")]
    data_dir: PathBuf,
    /// Use this database instead of the embedded SQLite one
    /// (sqlite://PATH, or postgres://USER:PASS@HOST/DB).
    #[arg(long, env = "WEFT_BAAS_DATABASE_URL")]
    database_url: Option<String>,
    /// The weft-node executable chains' nodes run (default: next to
    /// weft-baas, else on PATH).
    #[arg(long, env = "WEFT_NODE_BIN")]
    node_binary: Option<PathBuf>,
    /// Where cgroup v2 is mounted; nodes get CPU and memory limits there
    /// when the host allows it, and enforce them themselves otherwise.
    #[arg(long, env = "WEFT_BAAS_CGROUP_MOUNT", default_value = "/sys/fs/cgroup")]
    cgroup_mount: PathBuf,
    /// The master key file sealing the chain-user keys the BaaS keeps
    /// (default: <data-dir>/master.key, made on first start). Back it
    /// up apart from the database.
    #[arg(long, env = "WEFT_BAAS_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// Log filter, e.g. `info` or `info,weft_baas=debug`.
    #[arg(long, env = "WEFT_BAAS_LOG", default_value = "info")]
    log: String,
    /// `text` (one line per event) or `json` (one object per line: time,
    /// level, message and the event's fields flat: chain, node, job, …).
    #[arg(long, value_name = "FORMAT", env = "WEFT_BAAS_LOG_FORMAT", default_value = "text")]
    log_format: weft_provision::LogFormat,
    #[command(flatten)]
    monitor: MonitorArgs,
    /// Requests per second one bearer token may make (a burst of twice
    /// as many is allowed); past it, 429 with Retry-After.
    #[arg(long, env = "WEFT_BAAS_TOKEN_RATE", default_value_t = 100.0)]
    token_rate: f64,
    /// The built web console to serve at / (console/dist after
    /// `make console`); without it, only the API is served.
    #[arg(long, env = "WEFT_BAAS_CONSOLE_DIR")]
    console_dir: Option<PathBuf>,
    /// PEM certificates to trust for https:// webhooks besides this
    /// machine's CA store (receivers with an internal CA's certificates).
    #[arg(long, env = "WEFT_BAAS_WEBHOOK_CA_FILE")]
    webhook_ca_file: Option<PathBuf>,
    /// A network (CIDR, e.g. 10.20.0.0/16) webhooks may reach although it
    /// is not public; repeat for more. By default loopback, private,
    /// link-local and this server's own addresses are refused.
    #[arg(long = "webhook-allow", env = "WEFT_BAAS_WEBHOOK_ALLOW", value_delimiter = ',')]
    webhook_allow: Vec<ipnet::IpNet>,
    /// The TLS certificate chain (PEM) to serve HTTPS with; with --tls-key.
    /// Without both, the server makes its own certificate on first start
    /// (<data-dir>/tls/cert.pem: give it to clients to trust).
    #[arg(long, env = "WEFT_BAAS_TLS_CERT", requires = "tls_key", conflicts_with = "plain_http")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "WEFT_BAAS_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS: allowed on a loopback --listen
    /// address only (development, or a TLS proxy on this host).
    #[arg(long, env = "WEFT_BAAS_PLAIN_HTTP")]
    plain_http: bool,
    /// Logins one source address may try at once; then one per second.
    #[arg(long, env = "WEFT_BAAS_LOGIN_BURST", default_value_t = 20)]
    login_burst: u32,
}

/// How chains' nodes are watched (docs/baas.md, "Monitoring and alarms").
#[derive(clap::Args)]
struct MonitorArgs {
    /// Seconds between samples of every running chain's nodes.
    #[arg(long, env = "WEFT_BAAS_MONITOR_EVERY_SECS", default_value_t = 5)]
    monitor_every_secs: u64,
    /// A node asked to run that has not answered this long raises node-down.
    #[arg(long, env = "WEFT_BAAS_ALARM_NODE_DOWN_SECS", default_value_t = 30)]
    alarm_node_down_secs: u64,
    /// A node this many blocks behind its chain's highest raises height-lag.
    #[arg(long, env = "WEFT_BAAS_ALARM_LAG_BLOCKS", default_value_t = 10)]
    alarm_lag_blocks: u64,
    /// A node whose certificate ends within this many days raises
    /// certificate-expiring.
    #[arg(long, env = "WEFT_BAAS_ALARM_CERT_DAYS", default_value_t = 30)]
    alarm_cert_days: i64,
    /// A node's disk this full (percent; its directory against its
    /// template's disk_gb, or the host's filesystem) raises disk-full.
    #[arg(long, env = "WEFT_BAAS_ALARM_DISK_PCT", default_value_t = 90.0)]
    alarm_disk_pct: f64,
    /// More than this percentage of a chain's transactions invalid in a
    /// minute raises tx-failure-rate …
    #[arg(long, env = "WEFT_BAAS_ALARM_TX_FAILURE_PCT", default_value_t = 10.0)]
    alarm_tx_failure_pct: f64,
    /// … once that minute holds at least this many transactions.
    #[arg(long, env = "WEFT_BAAS_ALARM_TX_FAILURE_MIN", default_value_t = 20)]
    alarm_tx_failure_min: u64,
    /// More leader changes than this in a minute raises leader-changes.
    #[arg(long, env = "WEFT_BAAS_ALARM_LEADER_CHANGES", default_value_t = 3)]
    alarm_leader_changes: u64,
    /// A chain user's transactions in a minute above this …
    #[arg(long, env = "WEFT_BAAS_ALARM_USER_TX_PER_MIN", default_value_t = 1200)]
    alarm_user_tx_per_min: u64,
    /// … and this many times its usual rate raises abnormal-tx-rate (and
    /// a security event).
    #[arg(long, env = "WEFT_BAAS_ALARM_USER_TX_FACTOR", default_value_t = 10.0)]
    alarm_user_tx_factor: f64,
    /// A peer not answering this long is replaced by a standby peer that
    /// joins from another peer's snapshot (0: never).
    #[arg(long, env = "WEFT_BAAS_STANDBY_AFTER_SECS", default_value_t = 120)]
    standby_after_secs: u64,
    /// Hours node and host samples are kept (raw, then rolled up).
    #[arg(long, env = "WEFT_BAAS_SAMPLE_RETENTION_HOURS", default_value_t = 168)]
    sample_retention_hours: u64,
    /// Minutes raw samples are kept before they are rolled up into
    /// one-minute rows.
    #[arg(long, env = "WEFT_BAAS_RAW_SAMPLE_MINUTES", default_value_t = 60)]
    raw_sample_minutes: u64,
}

impl MonitorArgs {
    fn config(&self) -> MonitorConfig {
        MonitorConfig {
            every: Duration::from_secs(self.monitor_every_secs.max(1)),
            thresholds: Thresholds {
                node_down_ms: (self.alarm_node_down_secs * 1000) as i64,
                lag_blocks: self.alarm_lag_blocks,
                cert_warn_days: self.alarm_cert_days,
                replace_after_ms: (self.standby_after_secs * 1000) as i64,
                disk_pct: self.alarm_disk_pct,
                tx_failure_pct: self.alarm_tx_failure_pct,
                tx_failure_min: self.alarm_tx_failure_min,
                leader_changes_per_min: self.alarm_leader_changes,
                user_tx_per_min: self.alarm_user_tx_per_min,
                user_tx_factor: self.alarm_user_tx_factor,
            },
            retention: Duration::from_secs(self.sample_retention_hours.max(1) * 3600),
            raw_for: Duration::from_secs(self.raw_sample_minutes * 60),
            bucket: Duration::from_secs(60),
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let ServeArgs {
                listen,
                data_dir,
                database_url,
                node_binary,
                cgroup_mount,
                master_key_file,
                log,
                log_format,
                monitor,
                token_rate,
                console_dir,
                webhook_ca_file,
                webhook_allow,
                login_burst,
                tls_cert,
                tls_key,
                plain_http,
            } = *args;
            let lines = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::try_new(&log)?)
                .with_writer(std::io::stderr);
            match log_format {
                weft_provision::LogFormat::Json => lines.json().flatten_event(true).with_span_list(false).init(),
                weft_provision::LogFormat::Text => {
                    lines.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init()
                }
            }
            let admin_password = std::env::var(first_admin::PASSWORD_ENV).ok();
            let config = Config {
                database_url,
                admin_password,
                node_binary,
                cgroup_mount,
                master_key_file,
                monitor: monitor.config(),
                token_rate: weft_baas::security::RateLimit {
                    per_sec: token_rate.max(0.1),
                    burst: 2.0 * token_rate.max(0.5),
                },
                console_dir,
                webhook_ca_file,
                webhook_allow,
                login_rate: weft_baas::login_guard::LoginRate { burst: login_burst.max(1), ..Default::default() },
                tls: match (tls_cert, tls_key, plain_http) {
                    (Some(cert), Some(key), _) => Tls::Files { cert, key },
                    (_, _, true) => Tls::Plain,
                    _ => Tls::SelfMade,
                },
                ..Config::new(listen, data_dir)
            };
            let server = Server::start(config).await?;
            println!(
                "weft-baas listening on {}://{} (console at /, API at /api, OpenAPI at /api/openapi.json)",
                server.scheme, server.addr
            );
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            server.stop().await?;
            Ok(())
        }
        Command::Openapi => {
            use utoipa::OpenApi;
            println!("{}", serde_json::to_string_pretty(&weft_baas::api::ApiDoc::openapi())?);
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
