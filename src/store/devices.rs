//! Remembered admin devices (`admin_devices` table): a browser that logged in successfully
//! gets a random token in a cookie; the store keeps only its SHA-256, so a copy of the store
//! hands out no trust. A device is trusted while unexpired and while the admin password it
//! was issued under is the current one.

use super::codec::single_version_record;
use super::{Record, StoreError};
use redb::{ReadableTable, ReadableTableMetadata, Table};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RememberedDevice {
    /// Unix seconds of the login that issued it.
    pub created_at: i64,
    /// Unix seconds after which it means nothing.
    pub expires_at: i64,
    /// SHA-256 (hex) of the admin's bcrypt hash at issue: a password change revokes it.
    pub password_tag: String,
    /// Address of the issuing login, for the operator.
    pub ip: String,
}
single_version_record!(RememberedDevice, "admin_device", 1);

pub fn get(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<RememberedDevice>, StoreError> {
    match table.get(key)? {
        Some(v) => Ok(Some(RememberedDevice::decode(v.value())?)),
        None => Ok(None),
    }
}

/// Stores a device after dropping expired ones and, past `max`, the oldest.
pub fn put(
    table: &mut Table<&str, &[u8]>,
    key: &str,
    device: &RememberedDevice,
    now: i64,
    max: u64,
) -> Result<(), StoreError> {
    let mut all = Vec::new();
    for entry in table.iter()? {
        let (k, v) = entry?;
        let created = RememberedDevice::decode(v.value()).ok().filter(|d| d.expires_at > now);
        all.push((k.value().to_owned(), created.map(|d| d.created_at)));
    }
    all.sort_by_key(|(_, created)| *created);
    let live = all.iter().filter(|(_, c)| c.is_some()).count() as u64;
    let surplus = (live + 1).saturating_sub(max);
    let dead = all.iter().filter(|(_, c)| c.is_none()).count();
    // `None` (expired or unreadable) sorts first, then the oldest live ones.
    for (k, _) in all.iter().take(dead + surplus as usize) {
        table.remove(k.as_str())?;
    }
    table.insert(key, device.encode().as_slice())?;
    Ok(())
}

/// Forgets every device (a password change); returns how many there were.
pub fn clear(table: &mut Table<&str, &[u8]>) -> Result<u64, StoreError> {
    let n = table.len()?;
    table.retain(|_, _| false)?;
    Ok(n)
}
