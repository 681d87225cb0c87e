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

/// Rewrites record `seq` if it still exists (retention may have pruned it meanwhile).
pub fn replace(table: &mut Table<u64, &[u8]>, seq: u64, record: &AuditRecord) -> Result<(), StoreError> {
    if table.get(seq)?.is_some() {
        table.insert(seq, record.encode().as_slice())?;
    }
    Ok(())
}

/// Retention: removes the oldest records while more than `max_rows` remain or while they
/// are older than `cutoff_at` (unix seconds), at most `batch` per call so that one
/// transaction stays short; returns how many went. The newest record always stays, so
/// sequence numbers are never reused.
pub fn prune(
    table: &mut Table<u64, &[u8]>,
    max_rows: u64,
    cutoff_at: i64,
    batch: u64,
) -> Result<u64, StoreError> {
    let mut remaining = table.len()?;
    let mut removed = 0;
    while removed < batch {
        let (seq, old) = match table.first()? {
            Some((k, v)) => (k.value(), AuditRecord::decode(v.value()).is_ok_and(|r| r.at < cutoff_at)),
            None => break,
        };
        if remaining <= 1 || (remaining <= max_rows && !old) {
            break;
        }
        table.remove(seq)?;
        remaining -= 1;
        removed += 1;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at: i64) -> AuditRecord {
        AuditRecord {
            at,
            who: "t".into(),
            ip: String::new(),
            action: "X".into(),
            target: String::new(),
            detail: String::new(),
        }
    }

    #[test]
    fn prune_keeps_the_newest_rows_by_count_and_age_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("s.redb")).unwrap();
        let seqs = |store: &crate::store::Store| {
            store
                .read(|txn| page(txn, None, 100))
                .unwrap()
                .0
                .into_iter()
                .map(|(s, _)| s)
                .rev()
                .collect::<Vec<_>>()
        };
        let prune_with = |max, cutoff, batch| {
            store.write(|txn| prune(&mut txn.open_table(AUDIT)?, max, cutoff, batch)).unwrap()
        };
        store
            .write(|txn| {
                let mut t = txn.open_table(AUDIT)?;
                (1..=10).try_for_each(|i| append(&mut t, &at(i * 100)).map(|_| ()))
            })
            .unwrap();
        assert_eq!(prune_with(6, 0, 3), 3, "one batch");
        assert_eq!(prune_with(6, 0, 3), 1);
        assert_eq!(seqs(&store), [5, 6, 7, 8, 9, 10]);
        assert_eq!(prune_with(100, 801, 100), 4, "records before t=801 go");
        assert_eq!(seqs(&store), [9, 10]);
        assert_eq!(prune_with(100, i64::MAX, 100), 1, "the newest always stays");
        assert_eq!(seqs(&store), [10]);
        let next = store.write(|txn| append(&mut txn.open_table(AUDIT)?, &at(0))).unwrap();
        assert_eq!(next, 11, "numbers are not reused");
    }
}
