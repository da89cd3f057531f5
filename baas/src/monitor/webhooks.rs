//! Webhooks: a tenant's admins register URLs that receive its chains'
//! alarms as they fire and resolve. Each delivery is a POST of JSON with
//! `X-Weft-Timestamp` (unix seconds) and `X-Weft-Signature: sha256=<hex>`,
//! the HMAC-SHA256 of `<timestamp>.<body>` under the webhook's secret
//! (shown once, when the webhook is made). A failed delivery (no answer or
//! not 2xx) is retried after 1, 2, 4 and 8 s; every attempt is recorded,
//! and a delivery still pending when the server stops is taken up by its
//! next run. URLs are http:// or https:// (rustls, trusting the machine's
//! CA store and `--webhook-ca-file`); `POST /api/webhooks/{id}/test` sends
//! a `webhook.test` event through the same path.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::egress::{Egress, Resolver, REFUSED};
use crate::problem::Problem;
use crate::secrets::new_id;
use crate::AppState;

/// Attempts per delivery: the first and four retries.
const ATTEMPTS: u32 = 5;
const TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client deliveries go through: rustls over the machine's CA
/// store, plus the PEM certificates in `ca_file` (an internal CA whose
/// receivers the machine does not trust).
/// Names resolve through `egress`, which drops addresses webhooks may not
/// reach; redirects are not followed (a receiver could send the request
/// anywhere); no proxy from the environment (the check is on where the
/// connection goes).
pub fn client(ca_file: Option<&std::path::Path>, egress: Arc<Egress>) -> anyhow::Result<reqwest::Client> {
    use anyhow::Context;
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(Resolver(egress)));
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).with_context(|| format!("reading --webhook-ca-file {}", path.display()))?;
        let roots = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("--webhook-ca-file {}: not PEM certificates", path.display()))?;
        anyhow::ensure!(!roots.is_empty(), "--webhook-ca-file {} holds no certificate", path.display());
        for root in roots {
            builder = builder.add_root_certificate(root);
        }
    }
    builder.build().context("building the webhook HTTP client")
}

pub use crate::store::webhooks::{Delivery, Webhook};

/// HMAC-SHA256 of `<timestamp>.<body>`, hex: what `X-Weft-Signature`
/// carries after `sha256=`. Receivers compute the same and compare.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A webhook URL: http(s), a host, at most 2000 characters, and not an
/// address webhooks may not reach (a literal one, or a name that resolves
/// only to such addresses now; the resolver checks again at each delivery).
pub async fn check_url(egress: &Egress, url: &str) -> Result<(), Problem> {
    if url.len() > 2000 {
        return Err(Problem::unprocessable("url: longer than 2000 characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| Problem::unprocessable(format!("url: {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Problem::unprocessable(format!("url: {url:?} is not an http:// or https:// URL")));
    }
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return Err(Problem::unprocessable(format!("url: {url:?} names no host")));
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Problem::unprocessable("url: no credentials in the URL; receivers check X-Weft-Signature"));
    }
    egress.check_literal(&parsed).map_err(|why| Problem::unprocessable(format!("url: {why}")))?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    if let Err(why) = egress.resolve(host, port).await {
        if why.starts_with(super::egress::REFUSED) {
            return Err(Problem::unprocessable(format!("url: {why}")));
        }
    }
    Ok(())
}

/// Sends `event` (about `alarm`) to every webhook of `tenant`, each in its
/// own task with its retries.
pub async fn deliver(state: &AppState, tenant: &str, alarm: &str, event: serde_json::Value) {
    let hooks = match crate::store::webhooks::sealed_of_tenant(&state.db, tenant).await {
        Ok(hooks) => hooks,
        Err(e) => return tracing::error!(%tenant, error = %e, "could not read the tenant's webhooks"),
    };
    let body = event.to_string();
    for hook in &hooks {
        let Some(target) = Target::of(state, hook) else { continue };
        let attempt = Attempt { delivery: new_id(), alarm: alarm.to_string(), body: body.clone(), done: 0 };
        let state = state.clone();
        tokio::spawn(async move { send(&state, target, attempt).await });
    }
}

/// Takes up the deliveries a previous run of the server left pending (it
/// stopped between two attempts): each goes on from the attempts it made,
/// with the event it stored.
pub async fn resume_pending(state: &AppState) {
    let pending = match crate::store::webhooks::pending(&state.db).await {
        Ok(pending) => pending,
        Err(e) => return tracing::error!(error = %e, "could not read the pending webhook deliveries"),
    };
    for p in pending {
        let Some(target) = Target::of(state, &p.webhook) else { continue };
        let (delivery, alarm, body, done) = (p.delivery, p.alarm_id, p.event, p.attempts);
        tracing::info!(webhook = %target.webhook, %alarm, attempts = done, "resuming a pending alarm delivery");
        let attempt = Attempt { delivery, alarm, body, done: done.clamp(0, i64::from(ATTEMPTS - 1)) as u32 };
        let state = state.clone();
        tokio::spawn(async move { send(&state, target, attempt).await });
    }
}

/// Where a delivery goes: the webhook, its URL and its opened secret.
pub struct Target {
    webhook: String,
    url: String,
    secret: Vec<u8>,
}

impl Target {
    /// From the webhook's row; None (logged) when the secret does not open.
    pub fn of(state: &AppState, hook: &crate::store::webhooks::Sealed) -> Option<Target> {
        let (webhook, url) = (hook.id.clone(), hook.url.clone());
        match state.master_key.open(&hook.secret_sealed, &format!("webhook/{webhook}")) {
            Ok(secret) => Some(Target { webhook, url, secret }),
            Err(e) => {
                tracing::error!(%webhook, error = %e, "the webhook's secret does not open (another master key?)");
                None
            }
        }
    }
}

/// One event on its way to one webhook: `done` attempts made so far.
struct Attempt {
    delivery: String,
    alarm: String,
    body: String,
    done: u32,
}

/// Sends `body` to `target` as a test delivery, retried like any other;
/// its delivery id.
pub fn send_test(state: &AppState, target: Target, body: String) -> String {
    let delivery = new_id();
    let attempt = Attempt { delivery: delivery.clone(), alarm: "test".into(), body, done: 0 };
    let spawned = state.clone();
    tokio::spawn(async move { send(&spawned, target, attempt).await });
    delivery
}

async fn send(state: &AppState, target: Target, attempt: Attempt) {
    let Target { webhook, url, secret } = target;
    let Attempt { delivery, alarm, body, done } = attempt;
    let now_ms = super::now_ms;
    let record = |status: &'static str, attempts: u32, error: String| {
        let (db, delivery, webhook, alarm, body) =
            (state.db.clone(), delivery.clone(), webhook.clone(), alarm.clone(), body.clone());
        async move {
            let recorded = crate::store::webhooks::record_delivery(
                &db,
                &crate::store::webhooks::DeliveryState {
                    delivery: &delivery,
                    webhook: &webhook,
                    alarm: &alarm,
                    event: &body,
                    status,
                    attempts,
                    error: &error,
                    at_ms: now_ms(),
                },
            )
            .await;
            if let Err(e) = recorded {
                tracing::error!(%webhook, %delivery, error = %e, "recording a webhook delivery");
            }
        }
    };
    if done == 0 {
        record("pending", 0, String::new()).await;
    }
    let client = &state.webhook_http;
    // The wait doubles after each failed attempt, counting those made
    // before a restart.
    let mut wait = Duration::from_secs(1 << done.min(10));
    for attempt in done + 1..=ATTEMPTS {
        // A URL stored before the egress rules (or an allow-list since
        // narrowed) is refused, not sent; nothing to retry.
        if let Err(why) =
            reqwest::Url::parse(&url).map_err(|e| e.to_string()).and_then(|u| state.webhook_egress.check_literal(&u))
        {
            record("failed", attempt, format!("{url}: {why}")).await;
            state.metrics.webhook_delivery("failed");
            tracing::warn!(%webhook, %alarm, %why, "webhook delivery refused");
            return;
        }
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let result = client
            .post(&url)
            .header("content-type", "application/json")
            .header("x-weft-timestamp", timestamp.to_string())
            .header("x-weft-signature", format!("sha256={}", signature(&secret, timestamp, body.as_bytes())))
            .body(body.clone())
            .send()
            .await;
        let error = match result {
            Ok(r) if r.status().is_success() => {
                record("delivered", attempt, String::new()).await;
                state.metrics.webhook_delivery("delivered");
                tracing::info!(%webhook, %alarm, attempt, "alarm delivered");
                return;
            }
            Ok(r) if r.status().is_redirection() => {
                format!("{url} answered {} (redirects are not followed: register the final URL)", r.status())
            }
            Ok(r) => format!("{url} answered {}", r.status()),
            Err(e) => {
                let all = causes(&e);
                tracing::warn!(%webhook, %alarm, attempt, error = %all, "alarm delivery failed");
                format!("{url}: {}", for_tenant(&e, &all))
            }
        };
        let last = attempt == ATTEMPTS;
        record(if last { "failed" } else { "pending" }, attempt, error.clone()).await;
        if last {
            state.metrics.webhook_delivery("failed");
        }
        tracing::info!(%webhook, %alarm, attempt, %error, retry_in = ?(!last).then_some(wait), "alarm delivery failed");
        if !last {
            // A server stopping leaves the delivery pending for its next
            // run (resume_pending) rather than half-retried by this one.
            let mut stopping = state.stopping.clone();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stopping.wait_for(|s| *s) => return,
            }
            wait *= 2;
        }
    }
}

/// What a tenant is told of a failed attempt: what they can act on (a
/// timeout, a refused or untrusted receiver, the egress rules), not the
/// network's internals (the full causes go to the server's log).
fn for_tenant(e: &reqwest::Error, all: &str) -> String {
    if let Some(at) = all.find(REFUSED) {
        return all[at..].to_string();
    }
    if e.is_timeout() {
        return format!("no answer within {} s", TIMEOUT.as_secs());
    }
    if let Some(at) = all.find("invalid peer certificate") {
        let reason = all[at..].split(':').take(2).collect::<Vec<_>>().join(":");
        return format!("TLS handshake failed: {}", reason.trim());
    }
    if e.is_connect() {
        return "could not connect to the receiver".into();
    }
    "the request failed before an answer".into()
}

/// An error with every cause under it: reqwest's own sentence ("error
/// sending request") says nothing of a refused connection or an untrusted
/// certificate, its sources do.
fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out = format!("{out}: {text}");
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let s = signature(b"Jefe", 0, b"what do ya want for nothing?");
        assert_eq!(s.len(), 64);
        assert_ne!(s, signature(b"Jefe", 1, b"what do ya want for nothing?"));
        assert_ne!(s, signature(b"Jefe", 0, b"what do ya want for nothing!"));
        assert_ne!(s, signature(b"Jeff", 0, b"what do ya want for nothing?"));
        // HMAC-SHA256("key", "0.") checked against an independent implementation
        // (python3 -c 'import hmac,hashlib;print(hmac.new(b"key",b"0.",hashlib.sha256).hexdigest())').
        assert_eq!(signature(b"key", 0, b""), HMAC_KEY_0_DOT);
    }

    const HMAC_KEY_0_DOT: &str = "85841b4efc3cd7776c3c8f9b7cca9e281c550e5d19889d78e9e669c6337f000d";
}
