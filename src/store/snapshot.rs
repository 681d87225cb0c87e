//! A consistent copy of the whole store for backups: every table, as one read transaction
//! sees it (a committed point, whatever writers do meanwhile), copied into a fresh redb
//! file; and the check a restore runs on such a file (it opens as redb and every record
//! decodes). A table this module does not know stops the copy: a backup never silently
//! leaves data out.

use super::audit::AuditRecord;
use super::devices::RememberedDevice;
use super::hosts::AllowedHost;
use super::ip_bans::IpBan;
use super::nodes::{NodeLabel, NodeRecord};
use super::sessions::AdminSession;
use super::settings::Settings;
use super::tables::*;
use super::traffic::TrafficDay;
use super::users::User;
use super::{FORMAT_TAG, Record, Store, StoreError};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableHandle};
use std::path::Path;

/// Every table, by name: what `snapshot_to` copies and `verify_file` decodes.
pub const TABLE_NAMES: [&str; 13] = [
    "users",
    "settings",
    "traffic_daily",
    "ip_bans",
    "host_whitelist",
    "audit_log",
    "node_seq",
    "meta",
    "admin_sessions",
    "admin_devices",
    "nodes",
    "node_traffic_daily",
    "node_labels",
];

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("table {0} is unknown to the backup code: refusing an incomplete backup")]
    UnknownTable(String),
    #[error("not a store file: {0}")]
    NotAStore(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
super::redb_errors_into!(SnapshotError);

/// How many records each table held.
pub type Counts = Vec<(&'static str, u64)>;

macro_rules! copy_tables {
    ($src:expr, $dst:expr, $counts:expr; $($def:expr),*) => {$({
        let from = $src.open_table($def)?;
        let mut to = $dst.open_table($def)?;
        let mut n = 0u64;
        for entry in from.iter()? {
            let (k, v) = entry?;
            to.insert(k.value(), v.value())?;
            n += 1;
        }
        $counts.push(($def.name(), n));
    })*};
}

impl Store {
    /// Writes the snapshot to `dest` (which must not exist) and syncs it.
    pub fn snapshot_to(&self, dest: &Path) -> Result<Counts, SnapshotError> {
        let src = self.begin_read()?;
        for table in src.list_tables()? {
            if !TABLE_NAMES.contains(&table.name()) {
                return Err(SnapshotError::UnknownTable(table.name().to_owned()));
            }
        }
        let out = Database::builder().create(dest)?;
        let mut dst = out.begin_write()?;
        dst.set_durability(Durability::Immediate)?;
        let mut counts = Counts::new();
        copy_tables!(src, dst, counts; USERS, SETTINGS, TRAFFIC, IP_BANS, HOSTS, AUDIT, NODE_SEQ, META,
            ADMIN_SESSIONS, ADMIN_DEVICES, NODES, NODE_TRAFFIC, NODE_LABELS);
        dst.commit()?;
        drop(out);
        std::fs::File::open(dest)
            .and_then(|f| f.sync_all())
            .map_err(|e| SnapshotError::NotAStore(e.to_string()))?;
        Ok(counts)
    }
}

macro_rules! decode_tables {
    ($txn:expr, $counts:expr; $($def:expr => $ty:ty),*) => {$({
        let table = $txn.open_table($def)?;
        let mut n = 0u64;
        for entry in table.iter()? {
            let (_, v) = entry?;
            <$ty>::decode(v.value()).map_err(StoreError::from)?;
            n += 1;
        }
        $counts.push(($def.name(), n));
    })*};
}

/// Opens `path` as a store file and decodes every record; the record counts per table.
pub fn verify_file(path: &Path) -> Result<Counts, SnapshotError> {
    let db = Database::open(path).map_err(|e| SnapshotError::NotAStore(e.to_string()))?;
    let txn = db.begin_read()?;
    for table in txn.list_tables()? {
        if !TABLE_NAMES.contains(&table.name()) {
            return Err(SnapshotError::UnknownTable(table.name().to_owned()));
        }
    }
    let meta = txn.open_table(META).map_err(|e| SnapshotError::NotAStore(e.to_string()))?;
    match meta.get("format")? {
        Some(tag) if tag.value() == FORMAT_TAG => {}
        _ => return Err(SnapshotError::NotAStore("no wss-panel format tag".into())),
    }
    let mut counts = Counts::new();
    decode_tables!(txn, counts; USERS => User, SETTINGS => Settings, TRAFFIC => TrafficDay,
        IP_BANS => IpBan, HOSTS => AllowedHost, AUDIT => AuditRecord, ADMIN_SESSIONS => AdminSession,
        ADMIN_DEVICES => RememberedDevice, NODES => NodeRecord, NODE_TRAFFIC => TrafficDay,
        NODE_LABELS => NodeLabel);
    counts.push((NODE_SEQ.name(), txn.open_table(NODE_SEQ)?.len()?));
    counts.push((META.name(), meta.len()?));
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_a_fresh_store_is_known_to_the_backup() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let counts = store.snapshot_to(&dir.path().join("copy.redb")).unwrap();
        assert_eq!(counts.len(), TABLE_NAMES.len());
        let verified = verify_file(&dir.path().join("copy.redb")).unwrap();
        assert_eq!(verified.len(), TABLE_NAMES.len());
    }
}
