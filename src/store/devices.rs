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

/// Addresses of the logins that issued the devices still valid at `now`: IPs the admin
/// logged in from, remembered across panel restarts.
pub fn issuing_ips(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let mut ips = Vec::new();
    for entry in table.iter()? {
        let (_, v) = entry?;
        if let Ok(d) = RememberedDevice::decode(v.value())
            && d.expires_at > now
        {
            ips.push(d.ip);
        }
    }
    Ok(ips)
}

/// Forgets every device (a password change); returns how many there were.
pub fn clear(table: &mut Table<&str, &[u8]>) -> Result<u64, StoreError> {
    let n = table.len()?;
    table.retain(|_, _| false)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tables::ADMIN_DEVICES;

    fn device(created_at: i64, expires_at: i64) -> RememberedDevice {
        RememberedDevice { created_at, expires_at, password_tag: "t".into(), ip: String::new() }
    }

    #[test]
    fn put_drops_expired_devices_and_the_oldest_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("s.redb")).unwrap();
        let put_at = |key: &str, d: RememberedDevice, now: i64| {
            store.write(|txn| put(&mut txn.open_table(ADMIN_DEVICES)?, key, &d, now, 3)).unwrap()
        };
        put_at("expired", device(0, 50), 0);
        put_at("a", device(10, 1000), 10);
        put_at("b", device(20, 1000), 20);
        put_at("c", device(30, 1000), 100);
        let keys = |store: &crate::store::Store| {
            store
                .read(|txn| {
                    let t = txn.open_table(ADMIN_DEVICES)?;
                    let keys: Result<Vec<String>, redb::StorageError> =
                        t.iter()?.map(|e| e.map(|(k, _)| k.value().to_owned())).collect();
                    Ok::<_, StoreError>(keys?)
                })
                .unwrap()
        };
        assert_eq!(keys(&store), ["a", "b", "c"], "the expired one went");
        put_at("d", device(40, 1000), 100);
        assert_eq!(keys(&store), ["b", "c", "d"], "the oldest went past the cap");
        store.write(|txn| clear(&mut txn.open_table(ADMIN_DEVICES)?)).unwrap();
        assert!(keys(&store).is_empty());
    }
}
