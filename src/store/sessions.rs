//! Admin panel sessions (`admin_sessions` table). Keyed by the SHA-256 of the session id, so
//! a copy of the store does not hand out live cookies. Stored so that a panel restart does
//! not log the operator out, and so that a revocation is durable.

use super::codec::single_version_record;
use super::{Record, StoreError};
use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminSession {
    /// Unix seconds at login: the absolute lifetime counts from here.
    pub created_at: i64,
    /// Unix seconds of the last authenticated request: the idle timeout counts from here.
    pub last_seen: i64,
    /// Address the login came from, for the audit log.
    pub ip: String,
}
single_version_record!(AdminSession, "admin_session", 1);

pub fn get(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<AdminSession>, StoreError> {
    match table.get(key)? {
        Some(v) => Ok(Some(AdminSession::decode(v.value())?)),
        None => Ok(None),
    }
}

pub fn put(table: &mut Table<&str, &[u8]>, key: &str, session: &AdminSession) -> Result<(), StoreError> {
    table.insert(key, session.encode().as_slice())?;
    Ok(())
}

/// Removes every session; returns how many there were.
pub fn clear(table: &mut Table<&str, &[u8]>) -> Result<u64, StoreError> {
    let keys: Vec<String> =
        table.iter()?.map(|e| e.map(|(k, _)| k.value().to_owned())).collect::<Result<_, _>>()?;
    for k in &keys {
        table.remove(k.as_str())?;
    }
    Ok(keys.len() as u64)
}

/// Removes sessions for which `dead` says so (expired ones); returns how many.
pub fn prune(
    table: &mut Table<&str, &[u8]>,
    dead: impl Fn(&AdminSession) -> bool,
) -> Result<u64, StoreError> {
    let mut doomed = Vec::new();
    for entry in table.iter()? {
        let (k, v) = entry?;
        if AdminSession::decode(v.value()).map(|s| dead(&s)).unwrap_or(true) {
            doomed.push(k.value().to_owned());
        }
    }
    for k in &doomed {
        table.remove(k.as_str())?;
    }
    Ok(doomed.len() as u64)
}
