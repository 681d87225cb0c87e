//! The audit log (`audit_log` table): one record per state change, numbered in order.
//! Written in the same transaction as the change it describes.

use super::codec::single_version_record;
use super::{Record, StoreError, tables::AUDIT};
use redb::{ReadableTable, ReadableTableMetadata, Table};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: i64,
    /// `admin`, `cli`, `system`, ...
    pub who: String,
    /// The client's address, or empty for the panel itself.
    pub ip: String,
    /// Stable event name, e.g. `USER_ADD`.
    pub action: String,
    /// The user, host or IP acted on.
    pub target: String,
    pub detail: String,
}
single_version_record!(AuditRecord, "audit", 1);

/// Appends; returns the record's sequence number.
pub fn append(table: &mut Table<u64, &[u8]>, record: &AuditRecord) -> Result<u64, StoreError> {
    let next = match table.last()? {
        Some((k, _)) => k.value() + 1,
        None => 1,
    };
    table.insert(next, record.encode().as_slice())?;
    Ok(next)
}

/// Newest first: up to `limit` records with a sequence number below `before`.
pub fn page(
    txn: &redb::ReadTransaction,
    before: Option<u64>,
    limit: usize,
) -> Result<(Vec<(u64, AuditRecord)>, u64), StoreError> {
    let table = txn.open_table(AUDIT)?;
    let total = table.len()?;
    let upper = before.unwrap_or(u64::MAX);
    let mut out = Vec::new();
    for entry in table.range(..upper)?.rev().take(limit) {
        let (k, v) = entry?;
        out.push((k.value(), AuditRecord::decode(v.value())?));
    }
    Ok((out, total))
}
