//! The HTTP half of the unified API: applications evaluate and submit
//! contract transactions and follow contract events (server-sent events)
//! through the BaaS, which talks to the chain's peers over the Gateway gRPC
//! and signs as the chain user the caller's API token is bound to (see
//! chain_users.rs), or else as the caller's own chain user in the org they
//! act for (enrolled on first use): never as an identity several people
//! share, so every transaction names the person or application behind it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use serde::{Deserialize, Serialize};
use tokio_stream::{Stream, StreamExt};
use utoipa::ToSchema;
use weft_sdk::{Call, Gateway, GatewayError};

use crate::api::json::ApiJson;
use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::{Caller, Role};
use crate::store::chains::{readable, Chain};
use crate::AppState;

/// Open Gateway connections, one per chain, channel (as asked: "" for the
/// main one) and signer (a bound token's chain user, or a person's own chain
/// user in one org), kept between requests.
#[derive(Default, Clone)]
pub struct Gateways(Arc<Mutex<HashMap<Key, Gateway>>>);

type Key = (String, String, Signer);

/// Who a kept connection signs as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Signer {
    /// The chain user a token is bound to.
    ChainUser(String),
    /// A person's own chain user in an org (None: the chain's first).
    Person { person: String, org: Option<String> },
}

impl Gateways {
    /// Forgets a chain's connections (it was deleted).
    pub fn forget(&self, chain: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).retain(|(c, _, _), _| c != chain);
    }

    /// Forgets a chain user's connection (it was revoked).
    pub fn forget_user(&self, user: &str) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|(_, _, signer), _| !matches!(signer, Signer::ChainUser(u) if u == user));
    }

    /// Forgets a person's connections (one of their chain users was revoked).
    pub fn forget_person(&self, person: &str) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|(_, _, signer), _| !matches!(signer, Signer::Person { person: p, .. } if p == person));
    }

    fn get(&self, key: &Key) -> Option<Gateway> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    fn put(&self, key: Key, g: Gateway) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key, g);
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Invocation {
    /// The contract function, e.g. CreateAsset.
    pub function: String,
    /// Its arguments, as strings.
    #[serde(default)]
    pub args: Vec<String>,
    /// The org to act for (default: the chain's first org): the caller's own
    /// chain user in it signs (enrolled on their first transaction there).
    /// Ignored with a token bound to a chain user, which acts as that user.
    #[serde(default)]
    pub org: Option<String>,
    /// The channel (default: the chain's main one); the signer's org must
    /// be one of its members.
    #[serde(default)]
    pub channel: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Outcome {
    /// Set for submitted transactions.
    pub tx_id: Option<String>,
    /// The block it committed in (submit only).
    pub block: Option<u64>,
    /// VALID for a committed transaction (submit only).
    pub code: Option<String>,
    /// What the contract returned, if it is UTF-8 text.
    pub result: Option<String>,
    pub result_hex: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// First block to report (default: the next block to commit).
    pub start_block: Option<u64>,
    /// The org to listen as (default: the chain's first org).
    pub org: Option<String>,
    /// The channel (default: the chain's main one).
    pub channel: Option<String>,
}

/// A Gateway on a running chain for `caller`: as the chain user its token
/// is bound to, else as the caller's own chain user in `org` (default: the
/// first org of the channel), on `channel` (default: the main one), of
/// which the signer's org must be a member.
pub async fn gateway_for(
    state: &AppState,
    caller: &Caller,
    chain: &Chain,
    org: Option<&str>,
    channel: Option<&str>,
) -> Result<Gateway, Problem> {
    if chain.status != crate::store::chains::ChainStatus::Running {
        return Err(Problem::conflict(format!(
            "chain {} is {}; transactions go to running chains",
            chain.id, chain.status
        )));
    }
    // The cache is looked at first: a transaction does no file or key work
    // for a connection made before. Revoking a chain user evicts its entry
    // (`Gateways::forget_user`), so a hit is never a revoked identity; a
    // channel's members only grow, so a hit is never a lost membership.
    let signer = match caller.bound.as_ref().map(|b| &b.chain_user_id) {
        Some(user) => Signer::ChainUser(user.clone()),
        None => Signer::Person { person: caller.user_id.clone(), org: org.map(str::to_string) },
    };
    let key = (chain.id.clone(), channel.unwrap_or_default().to_string(), signer);
    if let Some(g) = state.gateways.get(&key) {
        return Ok(g);
    }
    let net = state.material.network(&chain.id).await.map_err(Problem::internal)?;
    let (channel, members) = crate::ops::channels::members(&state.db, &net, &chain.id, channel).await?;
    let member = |org: &str| {
        if members.iter().any(|m| m == org) {
            return Ok(());
        }
        Err(Problem::forbidden(format!(
            "{org}, whose chain user signs, is not a member of channel {channel} ({}); act for a member org, or add \
             {org} to the channel first",
            members.join(", ")
        )))
    };
    let (org, identity) = match caller.bound.as_ref().map(|b| &b.chain_user_id) {
        Some(user) => {
            let (org, identity) = crate::enrollment::identity(state, &chain.id, user).await?;
            member(&org)?;
            (org, identity)
        }
        None => {
            // The chain's first org by default, or the channel's first
            // member when that one is not in the channel.
            let first = net.manifest().orgs.first().map(|o| o.id.as_str()).filter(|f| members.iter().any(|m| m == f));
            let org = org.or(first).or(members.first().map(String::as_str));
            if let Some(org) = org {
                member(org)?;
            }
            crate::enrollment::personal(state, caller, chain, org).await?
        }
    };
    let g = net.gateway_on(&channel, &org, identity).map_err(Problem::unprocessable)?;
    state.gateways.put(key, g.clone());
    Ok(g)
}

/// What a failed Gateway call means to an HTTP client.
pub fn problem(e: GatewayError) -> Problem {
    use tonic::Code;
    match &e {
        GatewayError::Call { code: Code::Unavailable | Code::DeadlineExceeded, .. } => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "chain-unavailable",
            format!("{e}; check the chain's nodes (GET /api/chains/{{chain}}/nodes) and retry"),
        ),
        GatewayError::Call { code: Code::PermissionDenied | Code::Unauthenticated, .. } => {
            Problem::forbidden(e.to_string())
        }
        GatewayError::Call { .. } => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "contract-error", e.to_string()),
        GatewayError::NotValid { .. } => Problem::new(StatusCode::CONFLICT, "not-valid", e.to_string()),
        GatewayError::CommitTimeout { .. } => {
            Problem::new(StatusCode::GATEWAY_TIMEOUT, "commit-timeout", e.to_string())
        }
        _ => Problem::internal(e),
    }
}

fn call(contract: &str, inv: &Invocation) -> Result<Call, Problem> {
    if inv.function.is_empty() {
        return Err(Problem::unprocessable("function: name the contract function to call"));
    }
    let args: Vec<&[u8]> = inv.args.iter().map(|a| a.as_bytes()).collect();
    Ok(Call::new(contract, &inv.function, &args))
}

fn outcome(result: &[u8]) -> Outcome {
    Outcome {
        tx_id: None,
        block: None,
        code: None,
        result: std::str::from_utf8(result).ok().map(str::to_string),
        result_hex: hex::encode(result),
    }
}

/// The caller's Gateway on a chain it may read, and the call to make.
async fn prepare(
    state: &AppState,
    caller: &Caller,
    chain: &str,
    contract: &str,
    inv: &Invocation,
) -> Result<(Gateway, Call, Chain), Problem> {
    let chain = readable(&state.db, caller, chain).await?;
    let call = call(contract, inv)?;
    Ok((gateway_for(state, caller, &chain, inv.org.as_deref(), inv.channel.as_deref()).await?, call, chain))
}

#[utoipa::path(post, path = "/api/chains/{chain}/contracts/{name}/evaluate", tag = "gateway",
    security(("bearer" = [])), request_body = Invocation,
    params(("chain" = String, Path, description = "chain id"), ("name" = String, Path, description = "contract")),
    responses((status = 200, body = Outcome), (status = 401, body = Problem), (status = 404, body = Problem),
               (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn evaluate(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, name)): Path<(String, String)>,
    ApiJson(inv): ApiJson<Invocation>,
) -> ApiResult<Json<Outcome>> {
    let (g, call, _) = prepare(&state, &caller, &chain, &name, &inv).await?;
    let result = g.evaluate(&call).await.map_err(problem)?;
    Ok(Json(outcome(&result)))
}

#[utoipa::path(post, path = "/api/chains/{chain}/contracts/{name}/submit", tag = "gateway",
    security(("bearer" = [])), request_body = Invocation,
    params(("chain" = String, Path, description = "chain id"), ("name" = String, Path, description = "contract")),
    responses((status = 200, body = Outcome), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
               (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, name)): Path<(String, String)>,
    ApiJson(inv): ApiJson<Invocation>,
) -> ApiResult<Json<Outcome>> {
    if caller.role == Role::Auditor {
        // Checked after the chain, so another tenant's chain is still a 404.
        readable(&state.db, &caller, &chain).await?;
        return Err(Problem::forbidden("auditors read; they do not submit transactions (evaluate is allowed)"));
    }
    let (g, call, chain) = prepare(&state, &caller, &chain, &name, &inv).await?;
    crate::billing::check_transactions(&state.db, &chain.tenant_id).await?;
    let (submitted, status) = g.submit(&call).await.map_err(problem)?;
    Ok(Json(Outcome {
        tx_id: Some(submitted.tx_id.to_string()),
        block: Some(status.block),
        code: Some(format!("{:?}", status.code).to_uppercase()),
        ..outcome(&submitted.result)
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractEvent {
    pub block: u64,
    pub tx_id: String,
    pub name: String,
    pub payload: Option<String>,
    pub payload_hex: String,
}

#[utoipa::path(get, path = "/api/chains/{chain}/contracts/{name}/events", tag = "gateway",
    security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("name" = String, Path, description = "contract"),
           EventsQuery),
    responses((status = 200, description = "text/event-stream of `contract` events, each a ContractEvent",
               content_type = "text/event-stream"),
              (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, name)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let g = gateway_for(&state, &caller, &chain, q.org.as_deref(), q.channel.as_deref()).await?;
    let stream = g.contract_events(&name, q.start_block).await.map_err(problem)?;
    // One SSE event per contract event; the forwarding task ends when the
    // client goes away (the send fails) or the node's stream ends.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(64);
    let mut stopping = state.stopping.clone();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        loop {
            let item = tokio::select! {
                item = stream.next() => match item { Some(item) => item, None => return },
                _ = stopping.wait_for(|s| *s) => return,
            };
            let out = match item {
                Ok(block) => block
                    .events
                    .into_iter()
                    .map(|e| {
                        let ev = ContractEvent {
                            block: block.block_number,
                            tx_id: hex::encode(&e.tx_id),
                            name: e.name,
                            payload: String::from_utf8(e.payload.clone()).ok(),
                            payload_hex: hex::encode(&e.payload),
                        };
                        Event::default().event("contract").json_data(ev).unwrap_or_default()
                    })
                    .collect(),
                Err(e) => vec![Event::default().event("error").data(e.to_string())],
            };
            for event in out {
                if tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
        }
    });
    let events = tokio_stream::wrappers::ReceiverStream::new(rx);
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
