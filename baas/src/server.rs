//! A running server: database open and migrated, first admin ensured, the
//! API listening; stops gracefully (in-flight requests finish).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::custody::MasterKey;
use crate::ops::provision;
use crate::runtime::{Driver, LocalDriver};
use crate::{api, db, first_admin, AppState};

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// The SQLite database and (later) chain data live here.
    pub data_dir: PathBuf,
    /// Another database instead of `<data_dir>/baas.db`.
    pub database_url: Option<String>,
    /// The first admin's password (else a one-time one is printed).
    pub admin_password: Option<String>,
    /// The weft-node executable for chains' nodes (default: next to this
    /// executable, else on PATH).
    pub node_binary: Option<PathBuf>,
    /// Where cgroup v2 is mounted, for node CPU and memory limits.
    pub cgroup_mount: PathBuf,
    /// The master key sealing kept chain-user keys (default:
    /// `<data_dir>/master.key`, made on first start).
    pub master_key_file: Option<PathBuf>,
    /// How chains' nodes are sampled and alarmed on.
    pub monitor: crate::monitor::MonitorConfig,
    /// Requests per second (and burst) one bearer token may make.
    pub token_rate: crate::security::RateLimit,
    /// Logins one source address may attempt (burst, then one per period).
    pub login_rate: crate::login_guard::LoginRate,
    /// The built web console (console/dist), served at / (none: the API
    /// alone).
    pub console_dir: Option<PathBuf>,
    /// PEM certificates trusted for https:// webhooks besides the
    /// machine's CA store.
    pub webhook_ca_file: Option<PathBuf>,
    /// Networks webhooks may reach besides public addresses (by default
    /// loopback, private, link-local and the server's own addresses are
    /// refused).
    pub webhook_allow: Vec<ipnet::IpNet>,
    /// HTTPS with given or self-made certificates, or plain HTTP (on
    /// loopback only).
    pub tls: crate::tls::Tls,
}

impl Config {
    /// Listening on `listen` with data in `data_dir`, everything else default
    /// (plain HTTP, so `listen` must be a loopback address unless `tls` is
    /// set).
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Config {
        Config {
            listen,
            data_dir,
            database_url: None,
            admin_password: None,
            node_binary: None,
            cgroup_mount: PathBuf::from("/sys/fs/cgroup"),
            master_key_file: None,
            monitor: crate::monitor::MonitorConfig::default(),
            token_rate: crate::security::RateLimit::default(),
            login_rate: crate::login_guard::LoginRate::default(),
            console_dir: None,
            webhook_ca_file: None,
            webhook_allow: Vec::new(),
            tls: crate::tls::Tls::Plain,
        }
    }
}

/// How long a stopping server waits for running jobs.
const JOB_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

pub struct Server {
    pub addr: SocketAddr,
    /// http or https.
    pub scheme: &'static str,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    jobs: crate::ops::jobs::JobRunner,
    /// The chains' material as this server keeps it (for tools and tests
    /// that reach a chain's nodes as its orgs).
    pub material: crate::material::ChainMaterial,
}

impl Server {
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
        // Absolute, so chains' paths hold whatever directory the server is
        // started from next time.
        let mut config = config;
        config.data_dir = std::fs::canonicalize(&config.data_dir)
            .with_context(|| format!("resolving the data directory {}", config.data_dir.display()))?;
        let url = config.database_url.clone().unwrap_or_else(|| db::sqlite_url(&config.data_dir));
        // TLS is settled before anything listens or is written: a refused
        // set-up (plain HTTP off loopback, an unreadable key) stops here.
        let tls = crate::tls::server_config(&config.tls, &config.data_dir, config.listen)?;
        let db = db::open(&url).await?;
        first_admin::ensure(&db, config.admin_password.clone()).await?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {} (in use? pick another with --listen)", config.listen))?;
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let key_file = config.master_key_file.clone().unwrap_or_else(|| config.data_dir.join("master.key"));
        let master_key = Arc::new(MasterKey::load_or_create(&key_file)?);
        let driver = LocalDriver::new(
            &config.data_dir,
            config.node_binary.as_deref(),
            config.cgroup_mount.clone(),
            master_key.clone(),
        );
        tracing::info!(node_binary = %driver.node_binary().display(), "local driver");
        let material = crate::material::ChainMaterial::new(db.clone(), master_key.clone(), &config.data_dir);
        material.clear_staging().context("clearing <data-dir>/staging")?;
        for (chain, files) in driver.upgrade_older_chains()? {
            if material.adopt(&chain, &files).await? {
                tracing::info!(
                    chain,
                    files = files.len(),
                    "took in the material an older version kept beside the chain's nodes"
                );
            }
            driver.drop_older_material(&chain)?;
        }
        let webhook_egress = Arc::new(crate::monitor::egress::Egress::new(config.webhook_allow.clone()));
        let webhook_http = crate::monitor::webhooks::client(config.webhook_ca_file.as_deref(), webhook_egress.clone())?;
        let state = AppState {
            db,
            driver: Arc::new(driver),
            material,
            quota_lock: Arc::default(),
            gateways: Default::default(),
            master_key,
            webhook_http,
            webhook_egress,
            config_lock: Arc::default(),
            audit_lock: Arc::default(),
            node_ops: Arc::default(),
            login_guard: crate::login_guard::LoginGuard::new(config.login_rate),
            rate_limiter: Arc::new(crate::security::RateLimiter::new(config.token_rate)),
            jobs: Default::default(),
            metrics: Arc::default(),
            heartbeat: Arc::default(),
            stopping: stopped.clone(),
        };
        let jobs = state.jobs.clone();
        let material = state.material.clone();
        provision::reattach(&state).await?;
        crate::monitor::webhooks::resume_pending(&state).await;
        crate::monitor::start(state.clone(), config.monitor);
        let mut app = api::router(state, config.console_dir.clone());
        if tls.is_some() {
            app = app.layer(axum::Extension(crate::tls::Secure));
        }
        // The peer's address reaches handlers (per-source login limits and
        // lockouts).
        let app = app.into_make_service_with_connect_info::<crate::client_addr::ClientAddr>();
        let shutdown = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let task = match tls {
            Some(tls) => {
                let listener = crate::tls::TlsListener::new(listener, tls)?;
                tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(shutdown).await })
            }
            None => tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(shutdown).await }),
        };
        let scheme = if config.tls == crate::tls::Tls::Plain { "http" } else { "https" };
        tracing::info!(%addr, scheme, data_dir = %config.data_dir.display(), "weft-baas serving; API at /api, document at /api/openapi.json");
        Ok(Server { addr, scheme, stop, task, jobs, material })
    }

    /// Stops taking requests, ends event streams, waits for requests in
    /// flight and (up to a minute) for running jobs; a job cut off is
    /// undone at the next start.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.send_replace(true);
        self.task.await.context("the server task panicked")??;
        let left = self.jobs.wait(JOB_GRACE).await;
        if left > 0 {
            tracing::warn!(
                left,
                "jobs still running after {} s were cut off; the next start undoes them",
                JOB_GRACE.as_secs()
            );
        }
        Ok(())
    }
}
