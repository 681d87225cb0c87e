//! `/api/audit`: the audit log, newest first, paged by sequence number; and its upkeep at
//! each maintenance tick: the anonymous login-failure counts, then retention (count and age,
//! from config).

use super::AppState;
use super::admin_auth::Admin;
use super::error::ApiError;
use crate::store::{StoreError, audit};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

pub async fn list(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    state.login_failures.flush(&state).await?;
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let before = query.before;
    let store = state.store.clone();
    let (records, total) = web::block(move || store.read(|txn| audit::page(txn, before, limit)))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e: StoreError| ApiError::internal(e))?;
    let items: Vec<_> = records
        .into_iter()
        .map(|(seq, r)| {
            serde_json::json!({
                "seq": seq, "at": r.at, "who": r.who, "ip": r.ip,
                "action": r.action, "target": r.target, "detail": r.detail,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "total": total, "items": items })))
}

/// Appends one audit record for an admin action that changes nothing else in the store
/// (logins, restarts); changes to stored data (and kicks, which the registry publishes)
/// write theirs in the same transaction.
pub async fn record(
    state: &AppState,
    by: &crate::actors::user_registry::Origin,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), ApiError> {
    let rec = audit::AuditRecord {
        at: crate::domain::now_unix(),
        who: by.who.clone(),
        ip: by.ip.clone(),
        action: action.into(),
        target: target.into(),
        detail: detail.into(),
    };
    let store = state.store.clone();
    web::block(move || {
        store.write(|txn| -> Result<u64, StoreError> {
            audit::append(&mut txn.open_table(crate::store::tables::AUDIT)?, &rec)
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(())
}

/// Records removed per tick at most, so that a long backlog never holds one long transaction.
const PRUNE_BATCH: u64 = 10_000;

/// The maintenance tick's audit work: flush the anonymous-failure counts, then prune.
pub async fn housekeeping(state: &AppState) {
    if let Err(e) = state.login_failures.flush(state).await {
        tracing::error!(event = "AUDIT_FLUSH_FAILED", error = %e);
    }
    let cutoff = state.sessions.clock.now() - (state.audit_max_age_days as i64).saturating_mul(86_400);
    let max_rows = state.audit_max_rows;
    let store = state.store.clone();
    let pruned = web::block(move || {
        store.write(|txn| {
            audit::prune(&mut txn.open_table(crate::store::tables::AUDIT)?, max_rows, cutoff, PRUNE_BATCH)
        })
    })
    .await;
    match pruned {
        Ok(Ok(0)) => {}
        Ok(Ok(removed)) => tracing::info!(event = "AUDIT_PRUNED", removed, max_rows, cutoff),
        Ok(Err(e)) => tracing::error!(event = "AUDIT_PRUNE_FAILED", error = %e),
        Err(e) => tracing::error!(event = "AUDIT_PRUNE_FAILED", error = %e),
    }
}
