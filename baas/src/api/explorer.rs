//! The explorer's routes: a chain's blocks page by page, one block, and the
//! auditors' CSV export, read over Deliver with an org admin's identity the
//! BaaS holds and shown as `crate::blocks` describes them.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tokio_stream::StreamExt;
use utoipa::{IntoParams, ToSchema};
use weft_proto::Block;
use weft_provision::network::NetworkDir;
use weft_sdk::Gateway;

use crate::api::rest_gateway::problem;
use crate::blocks::{describe, BlockView, TxView};
use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::{Caller, Role};
use crate::store::chains::{readable, Chain};
use crate::AppState;

/// Blocks one page of the explorer holds at most.
const PAGE: u64 = 50;
/// Transactions one export holds at most (narrow the time range for more).
const EXPORT_MAX: usize = 100_000;

/// A channel of a chain as the explorer reads it: a Deliver connection as
/// the first member org's admin (any member's peers serve the channel).
struct Reader {
    net: NetworkDir,
    gateway: Gateway,
    org: String,
    channel: String,
}

async fn reader(state: &AppState, chain: &Chain, channel: Option<&str>) -> Result<Reader, Problem> {
    if chain.status != crate::store::chains::ChainStatus::Running {
        return Err(Problem::conflict(format!("chain {} is {}; running chains are read", chain.id, chain.status)));
    }
    let net = state.material.network(&chain.id).await.map_err(Problem::conflict)?;
    let (channel, orgs) = crate::ops::channels::members(&state.db, &net, &chain.id, channel).await?;
    let org = orgs.first().cloned().ok_or_else(|| Problem::internal("a channel without orgs"))?;
    let admin = net.admin(&org).map_err(Problem::internal)?;
    let gateway = net.gateway_on(&channel, &org, admin).map_err(Problem::internal)?;
    Ok(Reader { net, gateway, org, channel })
}

impl Reader {
    async fn height(&self) -> Result<u64, Problem> {
        self.net
            .channel_height(&self.org, &self.channel)
            .await
            .map_err(|e| Problem::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "chain-unavailable", e))
    }
}

/// Blocks [from, to] in order.
async fn fetch(g: &Gateway, from: u64, to: u64) -> Result<Vec<Block>, Problem> {
    let mut stream = Box::pin(g.blocks(Some(from), Some(to)).await.map_err(problem)?);
    let mut out = Vec::new();
    while let Some(b) = stream.next().await {
        out.push(b.map_err(problem)?);
        if out.len() as u64 > to - from {
            break;
        }
    }
    Ok(out)
}

async fn one(g: &Gateway, n: u64) -> Result<Block, Problem> {
    fetch(g, n, n).await?.pop().ok_or_else(|| Problem::internal(format!("block {n} was not delivered")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlocksQuery {
    /// The highest block to list (default: the newest).
    pub before: Option<u64>,
    /// How many, newest first (default and most 50).
    pub limit: Option<u64>,
    /// The channel (default: the chain's main channel).
    pub channel: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// The channel (default: the chain's main channel).
    pub channel: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockPage {
    /// The chain's height (its next block number).
    pub height: u64,
    pub blocks: Vec<BlockView>,
}

#[utoipa::path(get, path = "/api/chains/{chain}/blocks", tag = "explorer", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), BlocksQuery),
    responses((status = 200, body = BlockPage), (status = 401, body = Problem), (status = 404, body = Problem),
               (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn blocks(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiQuery(q): ApiQuery<BlocksQuery>,
) -> ApiResult<Json<BlockPage>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let r = reader(&state, &chain, q.channel.as_deref()).await?;
    let (height, g) = (r.height().await?, &r.gateway);
    let top = q.before.unwrap_or(u64::MAX).min(height.saturating_sub(1));
    let limit = q.limit.unwrap_or(PAGE).clamp(1, PAGE);
    let from = (top + 1).saturating_sub(limit);
    let mut blocks: Vec<BlockView> =
        if height == 0 { Vec::new() } else { fetch(g, from, top).await?.iter().map(describe).collect() };
    blocks.reverse();
    Ok(Json(BlockPage { height, blocks }))
}

#[utoipa::path(get, path = "/api/chains/{chain}/blocks/{number}", tag = "explorer", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("number" = u64, Path, description = "block number"),
           ChannelQuery),
    responses((status = 200, body = BlockView), (status = 401, body = Problem), (status = 404, body = Problem),
               (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn block(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, number)): Path<(String, u64)>,
    ApiQuery(q): ApiQuery<ChannelQuery>,
) -> ApiResult<Json<BlockView>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let r = reader(&state, &chain, q.channel.as_deref()).await?;
    let (height, g) = (r.height().await?, &r.gateway);
    if number >= height {
        return Err(Problem::not_found(format!("no block {number}: the chain's height is {height}")));
    }
    Ok(Json(describe(&one(g, number).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Blocks cut at or after this time (ms since the epoch).
    pub from_ms: u64,
    /// … and before this one (default: now).
    pub to_ms: Option<u64>,
    /// jsonl (default: one transaction per line) or csv.
    pub format: Option<String>,
    /// The channel (default: the chain's main channel).
    pub channel: Option<String>,
}

/// The first block cut at or after `at_ms`, by binary search. Block times
/// are the cutting orderer's clock: they grow in practice, but nothing
/// forces a new leader's clock past the old one's, so with skewed clocks a
/// block near the edge of the range can be missed (each block found is
/// still checked against the range).
async fn first_block_at(g: &Gateway, height: u64, at_ms: u64) -> Result<u64, Problem> {
    let (mut lo, mut hi) = (0, height);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let t = one(g, mid).await?.metadata.map(|m| m.timestamp_unix_ms).unwrap_or(0);
        if t < at_ms {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// One CSV field. Contract arguments and values are anyone's text: one
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return would run
/// as a formula in the spreadsheet an auditor opens the export in (CSV
/// injection), so such a field gets a leading `'`, as OWASP advises.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One CSV row: the writes as key=value pairs joined by ';'.
pub fn csv_row(b: &BlockView, t: &TxView) -> String {
    let writes: Vec<String> = t.writes.iter().map(|w| format!("{}/{}={}", w.namespace, w.key, w.value)).collect();
    [
        b.number.to_string(),
        b.timestamp_ms.to_string(),
        t.tx_id.clone(),
        t.kind.clone(),
        t.creator_org.clone(),
        t.creator.clone(),
        t.contract.clone(),
        t.function.clone(),
        t.args.join(";"),
        t.validation_code.clone(),
        writes.join(";"),
    ]
    .iter()
    .map(|f| csv_field(f))
    .collect::<Vec<_>>()
    .join(",")
}

pub const CSV_HEADER: &str =
    "block,block_time_ms,tx_id,kind,creator_org,creator,contract,function,args,validation_code,writes";

/// Every transaction in blocks cut in [from_ms, to_ms), for a regulatory
/// audit: tenant admins and auditors of the chain's tenant, platform admins
/// and platform auditors.
#[utoipa::path(get, path = "/api/chains/{chain}/transactions", tag = "explorer", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ExportQuery),
    responses((status = 200, description = "JSON lines of TxView, or CSV", content_type = "application/x-ndjson"),
               (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
               (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let chain = readable(&state.db, &caller, &chain).await?;
    if caller.role == Role::TenantMember {
        return Err(Problem::forbidden("exports are for the tenant's admins and auditors"));
    }
    let csv = match q.format.as_deref() {
        None | Some("jsonl") => false,
        Some("csv") => true,
        Some(other) => return Err(Problem::unprocessable(format!("format: {other:?} is not jsonl or csv"))),
    };
    let to_ms = q.to_ms.unwrap_or(u64::MAX);
    if to_ms <= q.from_ms {
        return Err(Problem::unprocessable("to_ms must be after from_ms"));
    }
    let r = reader(&state, &chain, q.channel.as_deref()).await?;
    let (height, g) = (r.height().await?, &r.gateway);
    let first = first_block_at(g, height, q.from_ms).await?;
    let mut out = if csv { format!("{CSV_HEADER}\n") } else { String::new() };
    let mut count = 0;
    let mut next = first;
    'blocks: while next < height {
        let last = (next + PAGE - 1).min(height - 1);
        for b in fetch(g, next, last).await? {
            let view = describe(&b);
            if view.timestamp_ms >= to_ms {
                break 'blocks;
            }
            if view.timestamp_ms < q.from_ms {
                continue;
            }
            for t in &view.transactions {
                count += 1;
                if count > EXPORT_MAX {
                    return Err(Problem::unprocessable(format!(
                        "more than {EXPORT_MAX} transactions in this range; export a narrower one"
                    )));
                }
                if csv {
                    out.push_str(&csv_row(&view, t));
                } else {
                    out.push_str(&serde_json::to_string(t).map_err(Problem::internal)?);
                }
                out.push('\n');
            }
        }
        next = last + 1;
    }
    tracing::info!(chain = %chain.id, by = %caller.username, transactions = count, from_block = first, "transactions exported");
    let (ctype, ext) = if csv { ("text/csv", "csv") } else { ("application/x-ndjson", "jsonl") };
    let disposition = format!("attachment; filename=\"{}-transactions-{}.{ext}\"", chain.id, q.from_ms);
    Ok(([(header::CONTENT_TYPE, ctype.to_string()), (header::CONTENT_DISPOSITION, disposition)], out).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::{describe, text};
    use weft_proto::Block;

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        // Formulas are neutralised, even those that then need quoting.
        assert_eq!(csv_field("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        for f in ["+1", "-1", "@SUM(A1)", "\tx"] {
            assert_eq!(csv_field(f), format!("'{f}"), "{f:?}");
        }
        assert_eq!(csv_field("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_field("a=1"), "a=1");
        assert_eq!(text(&[0xff, 0x00]), "0xff00");
        assert_eq!(text(b"blue"), "blue");
        let code = vec![b'a'; 5000];
        let shown = text(&code);
        assert!(shown.starts_with(&"a".repeat(64)) && shown.contains("(5000 bytes, sha256 "), "{shown}");
    }

    #[test]
    fn an_undecodable_envelope_is_shown_as_malformed_with_the_reason() {
        let block = Block {
            header: Some(weft_proto::BlockHeader { number: 4, ..Default::default() }),
            data: Some(weft_proto::BlockData { envelopes: vec![vec![0xff, 0xff]] }),
            metadata: Some(weft_proto::BlockMetadata { validation_codes: vec![2], ..Default::default() }),
        };
        let view = describe(&block);
        let tx = &view.transactions[0];
        assert_eq!((tx.kind.as_str(), tx.validation_code.as_str(), tx.block), ("malformed", "BAD_PAYLOAD", 4));
        assert!(tx.problem.as_deref().unwrap().starts_with("envelope:"), "{tx:?}");
    }
}
