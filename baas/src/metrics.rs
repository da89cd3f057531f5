//! The BaaS's own Prometheus metrics (`GET /metrics`, OpenMetrics text):
//! HTTP requests by route, method and status and their duration, monitor
//! rounds and webhook deliveries by outcome, counted as they happen; jobs
//! by kind and status and chains by status, read from the database at
//! each scrape (so they hold across restarts). Names follow
//! weft_baas_<what>_<unit>, as the nodes' follow weft_<subsystem>_….

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::AppState;

type Labels = Vec<(String, String)>;

fn labels<const N: usize>(pairs: [(&str, &str); N]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub struct BaasMetrics {
    registry: Registry,
    http_requests: Family<Labels, Counter>,
    http_duration: Family<Labels, Histogram>,
    monitor_rounds: Family<Labels, Counter>,
    webhook_deliveries: Family<Labels, Counter>,
    jobs: Family<Labels, Gauge>,
    chains: Family<Labels, Gauge>,
}

impl Default for BaasMetrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::<Labels, Counter>::default();
        // 1 ms .. ~16 s
        let http_duration =
            Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 15)));
        let monitor_rounds = Family::<Labels, Counter>::default();
        let webhook_deliveries = Family::<Labels, Counter>::default();
        let jobs = Family::<Labels, Gauge>::default();
        let chains = Family::<Labels, Gauge>::default();
        registry.register(
            "weft_baas_http_requests",
            "HTTP requests answered, by route, method and status",
            http_requests.clone(),
        );
        registry.register(
            "weft_baas_http_request_duration_seconds",
            "Time to answer an HTTP request (to the response head), by route",
            http_duration.clone(),
        );
        registry.register(
            "weft_baas_monitor_rounds",
            "Monitor rounds, by outcome (ok, failed)",
            monitor_rounds.clone(),
        );
        registry.register(
            "weft_baas_webhook_deliveries",
            "Webhook deliveries ended, by outcome (delivered, failed)",
            webhook_deliveries.clone(),
        );
        registry.register("weft_baas_jobs", "Jobs recorded, by kind and status", jobs.clone());
        registry.register("weft_baas_chains", "Chains, by status", chains.clone());
        BaasMetrics { registry, http_requests, http_duration, monitor_rounds, webhook_deliveries, jobs, chains }
    }
}

impl BaasMetrics {
    pub fn monitor_round(&self, ok: bool) {
        self.monitor_rounds.get_or_create(&labels([("outcome", if ok { "ok" } else { "failed" })])).inc();
    }

    pub fn webhook_delivery(&self, outcome: &str) {
        self.webhook_deliveries.get_or_create(&labels([("outcome", outcome)])).inc();
    }

    /// The OpenMetrics text, with the jobs and chains counted now.
    pub fn encode(&self, jobs: &[(String, String, i64)], chains: &[(String, i64)]) -> String {
        self.jobs.clear();
        for (kind, status, n) in jobs {
            self.jobs.get_or_create(&labels([("kind", kind), ("status", status)])).set(*n);
        }
        self.chains.clear();
        for (status, n) in chains {
            self.chains.get_or_create(&labels([("status", status)])).set(*n);
        }
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String");
        text
    }
}

/// Middleware: counts and times every request by its route (the pattern,
/// not the path, so ids do not make a series each).
pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("(no route)", |m| m.as_str()).to_string();
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let m = &state.metrics;
    m.http_requests.get_or_create(&labels([("route", &route), ("method", &method), ("status", &status)])).inc();
    m.http_duration.get_or_create(&labels([("route", &route)])).observe(started.elapsed().as_secs_f64());
    response
}
