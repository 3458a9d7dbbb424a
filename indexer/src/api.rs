//! The read API: health, readiness, Prometheus metrics, and the views
//! owners, researchers, operators and auditors ask for.

use std::sync::{atomic::Ordering, Arc};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::{json, Value};
use sqlx::{PgPool, Row};

use crate::sync::Metrics;

/// What the handlers share.
#[derive(Clone)]
pub struct Api {
    /// The database.
    pub pool: PgPool,
    /// The indexer's figures.
    pub metrics: Arc<Metrics>,
}

/// The routes.
pub fn router(api: Api) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/accounts/{address}", get(account))
        .route("/owners/{address}/inbox", get(inbox))
        .route("/owners/{address}/rewards", get(rewards))
        .route("/disputes", get(disputes))
        .route("/operators/{address}", get(operator))
        .route("/economics", get(economics))
        .route("/openapi.json", get(openapi))
        .route("/queries/{id}", get(query))
        .with_state(api)
}

async fn ready(State(api): State<Api>) -> Response {
    if api.metrics.ready.load(Ordering::Relaxed) {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "backfilling").into_response()
    }
}

async fn metrics(State(api): State<Api>) -> Response {
    let m = &api.metrics;
    let head = m.head.load(Ordering::Relaxed);
    let indexed = m.indexed.load(Ordering::Relaxed);
    let gauges: [(&str, &str, &str, u64); 9] = [
        ("strand_head_block", "gauge", "Latest head the node reported", head),
        ("strand_indexed_block", "gauge", "Last block whose events are all stored", indexed),
        (
            "strand_lag_blocks",
            "gauge",
            "Blocks between the head and the index",
            head.saturating_sub(indexed),
        ),
        (
            "strand_events_total",
            "counter",
            "Events stored since start",
            m.events.load(Ordering::Relaxed),
        ),
        (
            "strand_events_per_second",
            "gauge",
            "Events stored in the last second",
            m.events_per_second.load(Ordering::Relaxed),
        ),
        ("strand_reorgs_total", "counter", "Reorgs rolled back", m.reorgs.load(Ordering::Relaxed)),
        (
            "strand_rpc_errors_total",
            "counter",
            "RPC calls that failed",
            m.rpc_errors.load(Ordering::Relaxed),
        ),
        (
            "strand_head_stalls_total",
            "counter",
            "Times the head stood still past the stall limit",
            m.head_stalls.load(Ordering::Relaxed),
        ),
        (
            "strand_websocket_up",
            "gauge",
            "1 while a newHeads subscription is live",
            u64::from(m.websocket.load(Ordering::Relaxed)),
        ),
    ];
    let mut text = String::new();
    for (name, kind, help, value) in gauges {
        text += &format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n");
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// The OpenAPI description of these routes. Written by hand rather than
/// generated (utoipa): the handlers build their JSON directly, so a
/// generator would only restate this file; a test keeps it and the router
/// in step.
pub const OPENAPI: &str = include_str!("../openapi.json");

async fn openapi() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Where indexing stands, as JSON: for scripts that wait for the index to
/// reach a block.
async fn status(State(api): State<Api>) -> Json<Value> {
    let m = &api.metrics;
    let (head, indexed) = (m.head.load(Ordering::Relaxed), m.indexed.load(Ordering::Relaxed));
    Json(json!({
        "head": head,
        "indexed": indexed,
        "lag": head.saturating_sub(indexed),
        "ready": m.ready.load(Ordering::Relaxed),
    }))
}

/// An account's GENE balance and, for an operator, its standing.
async fn account(State(api): State<Api>, Path(address): Path<String>) -> Response {
    let Ok(who) = address.parse::<alloy::primitives::Address>() else {
        return bad("not an address");
    };
    let row = sqlx::query(
        "SELECT COALESCE((SELECT balance FROM balances WHERE address = $1), 0)::TEXT,
                o.stake::TEXT, o.unbonding::TEXT, o.jailed, o.slashed_total::TEXT
           FROM (SELECT 1) one LEFT JOIN operators o ON o.address = $1",
    )
    .bind(who.to_vec())
    .fetch_one(&api.pool)
    .await;
    match row {
        Ok(r) => Json(json!({
            "address": who,
            "balance": r.get::<String, _>(0),
            "stake": r.get::<Option<String>, _>(1),
            "unbonding": r.get::<Option<String>, _>(2),
            "jailed": r.get::<Option<bool>, _>(3),
            "slashed": r.get::<Option<String>, _>(4),
        }))
        .into_response(),
        Err(e) => fail(e),
    }
}

fn fail(e: sqlx::Error) -> Response {
    tracing::error!(error = %e, "query failed");
    (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "database query failed" })))
        .into_response()
}

/// A listing: one JSON object a row, in the query's order.
fn listing(
    rows: Result<Vec<sqlx::postgres::PgRow>, sqlx::Error>,
    item: impl Fn(&sqlx::postgres::PgRow) -> Value,
) -> Response {
    match rows {
        Ok(rows) => Json(Value::Array(rows.iter().map(item).collect())).into_response(),
        Err(e) => fail(e),
    }
}

fn bad(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// A `NUMERIC(20,0)` read as text, as the `u64` it holds.
fn uint(r: &sqlx::postgres::PgRow, i: usize) -> Value {
    r.get::<Option<String>, _>(i)
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(Value::Null, Value::from)
}

fn address_at(r: &sqlx::postgres::PgRow, i: usize) -> Value {
    let bytes: Vec<u8> = r.get(i);
    json!(alloy::primitives::Address::from_slice(&bytes))
}

fn owner_of(address: &str) -> Option<Vec<u8>> {
    address.parse::<alloy::primitives::Address>().ok().map(|a| a.to_vec())
}

/// Queries an owner's active datasets can take part in, with the owner's
/// decision on each, undecided open ones first: the shape of `strand owner
/// inbox --json`.
async fn inbox(State(api): State<Api>, Path(address): Path<String>) -> Response {
    let Some(owner) = owner_of(&address) else {
        return bad("not an address");
    };
    let rows = sqlx::query(
        "SELECT q.id::TEXT, d.id::TEXT, q.state, COALESCE(c.decision, 'undecided'), q.purpose,
                convert_from(q.spec, 'UTF8'), q.researcher, q.operator, q.reward_per_consent::TEXT,
                q.consent_deadline::TEXT, q.result_deadline::TEXT
           FROM datasets d
           JOIN queries q ON q.operator = d.operator
           LEFT JOIN consents c ON c.query = q.id AND c.dataset = d.id
          WHERE d.owner = $1 AND d.active
          ORDER BY (q.state = 'open' AND c.decision IS NULL) DESC, q.id, d.id",
    )
    .bind(owner)
    .fetch_all(&api.pool)
    .await;
    listing(rows, |r| {
        json!({
            "query": uint(r, 0), "dataset": uint(r, 1), "state": r.get::<String, _>(2),
            "decision": r.get::<String, _>(3), "purpose": r.get::<String, _>(4),
            "spec": r.get::<String, _>(5), "researcher": address_at(r, 6), "operator": address_at(r, 7),
            "rewardPerConsent": r.get::<String, _>(8), "consentDeadline": uint(r, 9),
            "resultDeadline": uint(r, 10),
        })
    })
}

/// Every consent the owner left approved, with its reward and whether it
/// is claimed, claimable, pending, or unpaid: the shape of `strand owner
/// rewards --json`. A finalised query pays as many approvals as the result
/// used, first claimed first paid. A dataset deactivated no later than the
/// result was withdrawn from the query and is not paid, as the chain's
/// claim says; the result's time is its ResultPosted block's.
async fn rewards(State(api): State<Api>, Path(address): Path<String>) -> Response {
    let Some(owner) = owner_of(&address) else {
        return bad("not an address");
    };
    let rows = sqlx::query(
        "SELECT c.query::TEXT, c.dataset::TEXT, q.reward_per_consent::TEXT,
                CASE WHEN c.reward_paid IS NOT NULL THEN 'claimed'
                     WHEN q.state IN ('open', 'answered', 'disputed') THEN 'pending'
                     WHEN q.state IN ('refunded', 'reclaimed') THEN 'not paid (query refunded)'
                     WHEN NOT d.active AND d.deactivated_at <= (
                          SELECT e.block_time FROM events e
                           WHERE e.name = 'ResultPosted' AND e.program = 'ledger'
                             AND (e.args->>'query')::NUMERIC = q.id
                           ORDER BY e.block_number DESC LIMIT 1) THEN 'not paid (consent not used)'
                     WHEN (SELECT count(*) FROM consents p WHERE p.query = q.id AND p.reward_paid IS NOT NULL)
                          < COALESCE(q.consents_used, 0) THEN 'claimable'
                     ELSE 'not paid (consent not used)' END
           FROM consents c JOIN queries q ON q.id = c.query JOIN datasets d ON d.id = c.dataset
          WHERE c.owner = $1 AND (c.decision = 'approved' OR c.reward_paid IS NOT NULL)
          ORDER BY c.query, c.dataset",
    )
    .bind(owner)
    .fetch_all(&api.pool)
    .await;
    listing(rows, |r| {
        json!({
            "query": uint(r, 0), "dataset": uint(r, 1), "amount": r.get::<String, _>(2),
            "status": r.get::<String, _>(3),
        })
    })
}

/// Every dispute, open ones first: the shape of `strand arbiter disputes
/// --json`.
async fn disputes(State(api): State<Api>) -> Response {
    let rows = sqlx::query(
        "SELECT d.query::TEXT, d.outcome, q.state, d.challenger, d.bond::TEXT,
                d.arbitration_deadline::TEXT
           FROM disputes d JOIN queries q ON q.id = d.query
          ORDER BY d.outcome <> 'open', d.query",
    )
    .fetch_all(&api.pool)
    .await;
    listing(rows, |r| {
        json!({
            "query": uint(r, 0), "open": r.get::<String, _>(1) == "open",
            "outcome": r.get::<String, _>(1), "state": r.get::<String, _>(2),
            "challenger": address_at(r, 3), "bond": r.get::<String, _>(4),
            "arbitrationDeadline": uint(r, 5),
        })
    })
}

/// An operator's standing: stake, unbonding, jail, slashes, and the
/// queries it answered with how their disputes ended.
async fn operator(State(api): State<Api>, Path(address): Path<String>) -> Response {
    let Some(who) = owner_of(&address) else {
        return bad("not an address");
    };
    let row = sqlx::query(
        "SELECT o.stake::TEXT, o.unbonding::TEXT, o.release_at::TEXT, o.jailed,
                o.emissions_claimed::TEXT, o.slashed_total::TEXT,
                (SELECT count(*) FROM queries q WHERE q.operator = $1 AND q.consents_used IS NOT NULL),
                (SELECT count(*) FROM queries q JOIN disputes d ON d.query = q.id
                  WHERE q.operator = $1 AND d.outcome = 'upheld'),
                (SELECT count(*) FROM datasets d WHERE d.operator = $1 AND d.active)
           FROM (SELECT 1) one LEFT JOIN operators o ON o.address = $1",
    )
    .bind(&who)
    .fetch_one(&api.pool)
    .await;
    match row {
        Ok(r) => Json(json!({
            "operator": alloy::primitives::Address::from_slice(&who),
            "stake": r.get::<Option<String>, _>(0).unwrap_or_else(|| "0".into()),
            "unbonding": r.get::<Option<String>, _>(1).unwrap_or_else(|| "0".into()),
            "releaseAt": uint(&r, 2),
            "jailed": r.get::<Option<bool>, _>(3).unwrap_or(false),
            "emissionsClaimed": r.get::<Option<String>, _>(4).unwrap_or_else(|| "0".into()),
            "slashed": r.get::<Option<String>, _>(5).unwrap_or_else(|| "0".into()),
            "queriesAnswered": r.get::<i64, _>(6),
            "disputesUpheld": r.get::<i64, _>(7),
            "activeDatasets": r.get::<i64, _>(8),
        }))
        .into_response(),
        Err(e) => fail(e),
    }
}

/// Protocol economics, per finalised query: what the researcher paid, what
/// owners received, the fees, the gas of every transaction that named the
/// query (submission, consents, result, disputes, finalisation, claims;
/// a transaction naming several queries, as a claim may, shared equally
/// among them), and the cost of each consented answer; and the totals.
/// The researcher's GENE approval before submitting names no query and
/// is not counted.
async fn economics(State(api): State<Api>) -> Response {
    let rows = sqlx::query(
        "WITH named AS (
             SELECT DISTINCT block_hash, tx_hash, COALESCE(args->>'query', args->>'id')::NUMERIC AS query
               FROM events
              WHERE program = 'ledger' AND (args ? 'query' OR name = 'QuerySubmitted')
         ), shares AS (
             SELECT n.query, t.gas_used, t.gas_used * t.effective_gas_price AS cost,
                    count(*) OVER (PARTITION BY n.block_hash, n.tx_hash) AS ways
               FROM named n JOIN transactions t USING (block_hash, tx_hash)
         ), gas AS (
             SELECT query, sum(div(gas_used, ways)) AS used, sum(div(cost, ways)) AS cost
               FROM shares GROUP BY query
         )
         SELECT id::TEXT, (escrow - COALESCE(refund, 0))::TEXT, owners_paid::TEXT,
                operator_fee::TEXT, protocol_fee::TEXT, consents_used,
                CASE WHEN consents_used > 0 THEN ((escrow - COALESCE(refund, 0)) / consents_used)::NUMERIC(78,0)::TEXT END,
                COALESCE(gas.used, 0)::TEXT, COALESCE(gas.cost, 0)::TEXT
           FROM queries LEFT JOIN gas ON gas.query = queries.id
          WHERE state = 'finalised' ORDER BY id",
    )
    .fetch_all(&api.pool)
    .await;
    let totals = sqlx::query(
        "SELECT count(*), COALESCE(sum(escrow - COALESCE(refund, 0)), 0)::TEXT,
                COALESCE(sum(owners_paid), 0)::TEXT, COALESCE(sum(consents_used), 0)::BIGINT
           FROM queries WHERE state = 'finalised'",
    )
    .fetch_one(&api.pool)
    .await;
    match (rows, totals) {
        (Ok(rows), Ok(t)) => {
            let gas: u128 =
                rows.iter().filter_map(|r| r.get::<String, _>(7).parse::<u128>().ok()).sum();
            Json(json!({
            "queries": rows.iter().map(|r| json!({
                "query": uint(r, 0), "researcherPaid": r.get::<String, _>(1), "ownersReceived": r.get::<String, _>(2),
                "operatorFee": r.get::<String, _>(3), "protocolFee": r.get::<String, _>(4),
                "consentsUsed": r.get::<Option<i64>, _>(5), "costPerConsent": r.get::<Option<String>, _>(6),
                "gasUsed": r.get::<String, _>(7), "gasCost": r.get::<String, _>(8),
            })).collect::<Vec<_>>(),
            "finalised": t.get::<i64, _>(0),
            "researchersPaid": t.get::<String, _>(1),
            "ownersReceived": t.get::<String, _>(2),
            "consentsUsed": t.get::<i64, _>(3),
            "gasUsed": gas.to_string(),
        }))
        .into_response()
        }
        (Err(e), _) | (_, Err(e)) => fail(e),
    }
}

/// A query with its audit trail: every consent decision, in order.
async fn query(State(api): State<Api>, Path(id): Path<String>) -> Response {
    if id.parse::<u64>().is_err() {
        return bad("a query id is a number");
    }
    let q = sqlx::query(
        "SELECT state, purpose, convert_from(spec, 'UTF8'), approvals, consents_used, escrow::TEXT,
                owners_pool::TEXT, refund::TEXT, owners_paid::TEXT
           FROM queries WHERE id = $1::NUMERIC",
    )
    .bind(&id)
    .fetch_optional(&api.pool)
    .await;
    let q = match q {
        Ok(Some(q)) => q,
        Ok(None) => {
            return (StatusCode::NOT_FOUND, Json(json!({ "error": "no such query" })))
                .into_response()
        }
        Err(e) => return fail(e),
    };
    let trail = sqlx::query(
        "SELECT dataset::TEXT, owner, decision, at::TEXT, block_number, encode(tx_hash, 'hex')
           FROM consent_history WHERE query = $1::NUMERIC ORDER BY block_number, log_index",
    )
    .bind(&id)
    .fetch_all(&api.pool)
    .await;
    let trail = match trail {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    Json(json!({
        "query": id,
        "state": q.get::<String, _>(0),
        "purpose": q.get::<String, _>(1),
        "spec": q.get::<String, _>(2),
        "approvals": q.get::<i64, _>(3),
        "consentsUsed": q.get::<Option<i64>, _>(4),
        "escrow": q.get::<String, _>(5),
        "ownersPool": q.get::<Option<String>, _>(6),
        "refund": q.get::<Option<String>, _>(7),
        "ownersPaid": q.get::<String, _>(8),
        "trail": trail.iter().map(|r| json!({
            "dataset": r.get::<String, _>(0), "owner": r.get::<String, _>(1), "decision": r.get::<i16, _>(2),
            "at": r.get::<String, _>(3), "block": r.get::<i64, _>(4), "tx": format!("0x{}", r.get::<String, _>(5)),
        })).collect::<Vec<_>>(),
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn the_openapi_description_lists_every_route_and_only_those() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).expect("valid JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        let documented: BTreeSet<&str> =
            doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
        let source = include_str!("api.rs");
        let routed: BTreeSet<&str> = source
            .lines()
            .filter_map(|l| l.trim().strip_prefix(".route(\""))
            .filter_map(|l| l.split('"').next())
            .collect();
        assert_eq!(documented, routed);
    }
}
