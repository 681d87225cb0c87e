//! Proxy nodes (`nodes` table): one record per node name, holding its pending one-time
//! enrolment token or its node secret, never either in the clear: only SHA-256 (both are
//! 128-bit random strings, so a plain hash is enough and lets a lookup be a compare). A
//! revoked node keeps its record (and name) until a new token re-enrols it. Beside it: the
//! admin's display labels (`node_labels`); each node's daily traffic is `traffic` records in
//! `node_traffic_daily`, keyed like a user's.

use super::codec::single_version_record;
use super::{Record, StoreError};
use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeRecord {
    /// Unix seconds the record (its first token) was made.
    pub created_at: i64,
    /// SHA-256 (hex) of the pending enrolment token; `None` once used.
    pub token_sha256: Option<String>,
    /// Unix seconds after which the pending token is refused.
    pub token_expires_at: i64,
    /// SHA-256 (hex) of the node secret; `None` until enrolled.
    pub secret_sha256: Option<String>,
    /// Unix seconds of the enrolment; 0 before.
    pub enrolled_at: i64,
    /// Address the enrolment came from, for the operator.
    pub enrolled_from: String,
    /// Unix seconds of the revocation; `None` while trusted.
    pub revoked_at: Option<i64>,
}
single_version_record!(NodeRecord, "node", 1);

impl NodeRecord {
    /// Enrolled and not revoked: its secret opens `/ipc` and `/internal/auth`.
    pub fn is_trusted(&self) -> bool {
        self.secret_sha256.is_some() && self.revoked_at.is_none()
    }
}

pub fn get(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    name: &str,
) -> Result<Option<NodeRecord>, StoreError> {
    match table.get(name)? {
        Some(v) => Ok(Some(NodeRecord::decode(v.value())?)),
        None => Ok(None),
    }
}

pub fn put(table: &mut Table<&str, &[u8]>, name: &str, node: &NodeRecord) -> Result<(), StoreError> {
    table.insert(name, node.encode().as_slice())?;
    Ok(())
}

/// Every node, by name.
pub fn all(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<(String, NodeRecord)>, StoreError> {
    let mut nodes = Vec::new();
    for entry in table.iter()? {
        let (k, v) = entry?;
        nodes.push((k.value().to_owned(), NodeRecord::decode(v.value())?));
    }
    Ok(nodes)
}

/// The admin's display name for a node (`node_labels`): the node itself keeps the name it
/// enrolled with (its config and credentials), so a rename changes only what the panel shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeLabel {
    pub label: String,
}
single_version_record!(NodeLabel, "node_label", 1);

/// Every node's label, by node name.
pub fn labels(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (k, v) = entry?;
        out.push((k.value().to_owned(), NodeLabel::decode(v.value())?.label));
    }
    Ok(out)
}

/// Sets node `name`'s label; `None` (or its own name) removes it.
pub fn set_label(table: &mut Table<&str, &[u8]>, name: &str, label: Option<&str>) -> Result<(), StoreError> {
    match label.filter(|l| *l != name) {
        Some(label) => table.insert(name, NodeLabel { label: label.to_owned() }.encode().as_slice())?,
        None => table.remove(name)?,
    };
    Ok(())
}
