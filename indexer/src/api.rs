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
        .route("/owners/{address}/inbox", get(inbox))
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

async fn metrics(State(api): State<Api>) -> String {
    let m = &api.metrics;
    let head = m.head.load(Ordering::Relaxed);
    let indexed = m.indexed.load(Ordering::Relaxed);
    format!(
        "# TYPE strand_head_block gauge\nstrand_head_block {head}\n\
         # TYPE strand_indexed_block gauge\nstrand_indexed_block {indexed}\n\
         # TYPE strand_lag_blocks gauge\nstrand_lag_blocks {}\n\
         # TYPE strand_events_total counter\nstrand_events_total {}\n\
         # TYPE strand_reorgs_total counter\nstrand_reorgs_total {}\n\
         # TYPE strand_rpc_errors_total counter\nstrand_rpc_errors_total {}\n",
        head.saturating_sub(indexed),
        m.events.load(Ordering::Relaxed),
        m.reorgs.load(Ordering::Relaxed),
        m.rpc_errors.load(Ordering::Relaxed),
    )
}

fn fail(e: sqlx::Error) -> Response {
    tracing::error!(error = %e, "query failed");
    (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "database query failed" })))
        .into_response()
}

fn bad(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// Queries an owner's active datasets can take part in, with the owner's
/// decision on each, undecided open ones first.
async fn inbox(State(api): State<Api>, Path(address): Path<String>) -> Response {
    let Ok(owner) = address.parse::<alloy::primitives::Address>() else {
        return bad("not an address");
    };
    let rows = sqlx::query(
        "SELECT q.id::TEXT, d.id::TEXT, q.state, COALESCE(c.decision, 'undecided'), q.purpose,
                convert_from(q.spec, 'UTF8'), q.reward_per_consent::TEXT, q.consent_deadline::TEXT
           FROM datasets d
           JOIN queries q ON q.operator = d.operator
           LEFT JOIN consents c ON c.query = q.id AND c.dataset = d.id
          WHERE d.owner = $1 AND d.active
          ORDER BY (q.state = 'open' AND c.decision IS NULL) DESC, q.id, d.id",
    )
    .bind(owner.to_vec())
    .fetch_all(&api.pool)
    .await;
    match rows {
        Ok(rows) => Json(Value::Array(
            rows.iter()
                .map(|r| {
                    json!({
                        "query": r.get::<String, _>(0), "dataset": r.get::<String, _>(1), "state": r.get::<String, _>(2),
                        "decision": r.get::<String, _>(3), "purpose": r.get::<String, _>(4), "spec": r.get::<String, _>(5),
                        "rewardPerConsent": r.get::<String, _>(6), "consentDeadline": r.get::<String, _>(7),
                    })
                })
                .collect(),
        ))
        .into_response(),
        Err(e) => fail(e),
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
