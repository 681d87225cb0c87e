//! Tunnel user records (`users` table). The record is the panel's whole knowledge of a user;
//! live speed and connections are not stored, they come from the proxies every second.

use super::codec::single_version_record;
use super::{Record, StoreError, decode_all};
use crate::domain::{Day, UserStatus};
use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

/// Version 1 of a user. `UserStatus` is encoded by variant index: never reorder it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub password_hash: String,
    pub created_at: i64,
    pub status: UserStatus,
    /// The first day the account no longer works (00:00 UTC), as in the original panel.
    pub expires_on: Option<Day>,
    /// 0 = unlimited.
    pub quota_bytes: u64,
    pub used_up_bytes: u64,
    pub used_down_bytes: u64,
    /// KiB/s each way, 0 = unlimited.
    pub rate_kbps: u32,
    /// Live tunnels across all proxies, 0 = unlimited.
    pub max_connections: u32,
    pub require_auth_header: bool,
    pub allow_shell: bool,
    pub note: String,
}
single_version_record!(User, "user", 1);

impl User {
    /// An active user with no password hash, no limits and no usage, who must send
    /// `Proxy-Authorization` (the safe default): the base every test fills in.
    pub fn blank(username: &str, status: UserStatus) -> User {
        User {
            username: username.into(),
            password_hash: String::new(),
            created_at: 0,
            status,
            expires_on: None,
            quota_bytes: 0,
            used_up_bytes: 0,
            used_down_bytes: 0,
            rate_kbps: 0,
            max_connections: 0,
            require_auth_header: true,
            allow_shell: false,
            note: String::new(),
        }
    }

    pub fn used_bytes(&self) -> u64 {
        self.used_up_bytes.saturating_add(self.used_down_bytes)
    }
}

pub fn get(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    username: &str,
) -> Result<Option<User>, StoreError> {
    match table.get(username)? {
        Some(v) => Ok(Some(User::decode(v.value())?)),
        None => Ok(None),
    }
}

pub fn put(table: &mut Table<&str, &[u8]>, user: &User) -> Result<(), StoreError> {
    table.insert(user.username.as_str(), user.encode().as_slice())?;
    Ok(())
}

/// Removes the record; true when it existed.
pub fn remove(table: &mut Table<&str, &[u8]>, username: &str) -> Result<bool, StoreError> {
    Ok(table.remove(username)?.is_some())
}

/// Every user, ordered by name.
pub fn list(table: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<Vec<User>, StoreError> {
    decode_all(table)
}
