//! Anonymous login noise in the audit log: failed logins that name no account, and attempts
//! the throttle refused, are not written one (fsynced) row each with the attacker's text.
//! Per client IP and minute there is one `LOGIN_FAILURES` row, written at the first one and
//! updated with the counts when flushed (each maintenance tick, and before the audit log is
//! read). Failed logins as `admin` keep one `LOGIN_FAILED` row each (the throttle bounds
//! them).

use super::AppState;
use super::error::ApiError;
use crate::store::audit::{self, AuditRecord};
use crate::store::tables::AUDIT;
use actix_web::web;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

pub const ACTION: &str = "LOGIN_FAILURES";

/// What went wrong with one anonymous attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    UnknownName,
    Throttled,
}

#[derive(Debug, Default)]
struct Tally {
    seq: Option<u64>,
    writing: bool,
    counts: (u64, u64),
    stored: (u64, u64),
}

/// Counts per (client IP, minute).
#[derive(Debug, Default)]
pub struct LoginFailures {
    tallies: Mutex<HashMap<(String, i64), Tally>>,
}

fn row(ip: &str, minute: i64, (failed, throttled): (u64, u64)) -> AuditRecord {
    AuditRecord {
        at: minute * 60,
        who: "anonymous".into(),
        ip: ip.to_owned(),
        action: ACTION.into(),
        target: String::new(),
        detail: format!("{failed} failed with an unknown name, {throttled} refused by the throttle"),
    }
}

impl LoginFailures {
    fn lock(&self) -> MutexGuard<'_, HashMap<(String, i64), Tally>> {
        self.tallies.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one attempt; the first of its IP and minute writes the row.
    pub async fn record(&self, state: &AppState, ip: &str, kind: Kind) -> Result<(), ApiError> {
        let minute = state.sessions.clock.now().div_euclid(60);
        let first = {
            let mut map = self.lock();
            let t = map.entry((ip.to_owned(), minute)).or_default();
            match kind {
                Kind::UnknownName => t.counts.0 += 1,
                Kind::Throttled => t.counts.1 += 1,
            }
            let first = t.seq.is_none() && !t.writing;
            t.writing |= first;
            first.then_some(t.counts)
        };
        let Some(counts) = first else { return Ok(()) };
        let store = state.store.clone();
        let rec = row(ip, minute, counts);
        let seq = web::block(move || store.write(|txn| audit::append(&mut txn.open_table(AUDIT)?, &rec)))
            .await
            .map_err(ApiError::internal)?;
        let mut map = self.lock();
        let t = map.entry((ip.to_owned(), minute)).or_default();
        t.writing = false;
        if let Ok(seq) = seq {
            t.seq = Some(seq);
            t.stored = counts;
        }
        seq.map(|_| ()).map_err(ApiError::internal)
    }

    /// Writes the counts that changed since their row was written; forgets past minutes.
    pub async fn flush(&self, state: &AppState) -> Result<(), ApiError> {
        let minute = state.sessions.clock.now().div_euclid(60);
        let updates: Vec<(u64, AuditRecord)> = {
            let mut map = self.lock();
            let due = map
                .iter_mut()
                .filter_map(|((ip, m), t)| {
                    let seq = t.seq.filter(|_| t.counts != t.stored)?;
                    t.stored = t.counts;
                    Some((seq, row(ip, *m, t.counts)))
                })
                .collect();
            map.retain(|(_, m), t| *m >= minute || t.writing);
            due
        };
        if updates.is_empty() {
            return Ok(());
        }
        let store = state.store.clone();
        web::block(move || {
            store.write(|txn| {
                let mut table = txn.open_table(AUDIT)?;
                for (seq, rec) in &updates {
                    audit::replace(&mut table, *seq, rec)?;
                }
                Ok::<_, crate::store::StoreError>(())
            })
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
    }
}
