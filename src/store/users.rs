//! Tunnel user records (`users` table). The record is the panel's whole knowledge of a user;
//! live speed and connections are not stored, they come from the proxies every second.

use super::codec::{CodecError, decode_body, encode_versioned, split_version};
use super::{Record, StoreError, decode_all};
use crate::domain::plan::QuotaReset;
use crate::domain::{Day, UserStatus};
use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

/// Version 3 of a user (v2 plus the crypt hash at the end). `UserStatus` and `QuotaReset`
/// are encoded by variant index: never reorder them.
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
    /// When the quota starts over; `quota_reset_day` is the weekday or day of month.
    pub quota_reset: QuotaReset,
    pub quota_reset_day: u8,
    /// First day of the current quota period (set at the first settle under a reset rule).
    pub period_started: Option<Day>,
    /// All-time usage (up + down) when the current period began: the quota counts above it.
    pub period_base_bytes: u64,
    /// "N days from first use": `expires_on` is set when the first tunnel is allowed.
    pub expire_after_first_use_days: Option<u32>,
    /// Unix seconds of the first tunnel the panel allowed.
    pub first_used_at: Option<i64>,
    /// crypt(3) SHA-512 of the password (`$6$...`, see `domain::crypt`), for the Linux
    /// accounts on other nodes; empty for a password set before v3 (set it again to reach
    /// the nodes).
    pub crypt_hash: String,
}

/// Version 2 (v1 plus the plan fields): read, never written.
#[derive(Deserialize)]
struct UserV2 {
    username: String,
    password_hash: String,
    created_at: i64,
    status: UserStatus,
    expires_on: Option<Day>,
    quota_bytes: u64,
    used_up_bytes: u64,
    used_down_bytes: u64,
    rate_kbps: u32,
    max_connections: u32,
    require_auth_header: bool,
    allow_shell: bool,
    note: String,
    quota_reset: QuotaReset,
    quota_reset_day: u8,
    period_started: Option<Day>,
    period_base_bytes: u64,
    expire_after_first_use_days: Option<u32>,
    first_used_at: Option<i64>,
}

impl From<UserV2> for User {
    /// A v2 user has no crypt hash yet.
    fn from(v: UserV2) -> User {
        User {
            username: v.username,
            password_hash: v.password_hash,
            created_at: v.created_at,
            status: v.status,
            expires_on: v.expires_on,
            quota_bytes: v.quota_bytes,
            used_up_bytes: v.used_up_bytes,
            used_down_bytes: v.used_down_bytes,
            rate_kbps: v.rate_kbps,
            max_connections: v.max_connections,
            require_auth_header: v.require_auth_header,
            allow_shell: v.allow_shell,
            note: v.note,
            quota_reset: v.quota_reset,
            quota_reset_day: v.quota_reset_day,
            period_started: v.period_started,
            period_base_bytes: v.period_base_bytes,
            expire_after_first_use_days: v.expire_after_first_use_days,
            first_used_at: v.first_used_at,
            crypt_hash: String::new(),
        }
    }
}

/// Version 1, as written before plans existed: read, never written.
#[derive(Deserialize)]
struct UserV1 {
    username: String,
    password_hash: String,
    created_at: i64,
    status: UserStatus,
    expires_on: Option<Day>,
    quota_bytes: u64,
    used_up_bytes: u64,
    used_down_bytes: u64,
    rate_kbps: u32,
    max_connections: u32,
    require_auth_header: bool,
    allow_shell: bool,
    note: String,
}

impl From<UserV1> for User {
    /// A v1 user had no plan: no reset, and the quota counted all usage (base 0).
    fn from(v: UserV1) -> User {
        User {
            username: v.username,
            password_hash: v.password_hash,
            created_at: v.created_at,
            status: v.status,
            expires_on: v.expires_on,
            quota_bytes: v.quota_bytes,
            used_up_bytes: v.used_up_bytes,
            used_down_bytes: v.used_down_bytes,
            rate_kbps: v.rate_kbps,
            max_connections: v.max_connections,
            require_auth_header: v.require_auth_header,
            allow_shell: v.allow_shell,
            note: v.note,
            quota_reset: QuotaReset::None,
            quota_reset_day: 0,
            period_started: None,
            period_base_bytes: 0,
            expire_after_first_use_days: None,
            first_used_at: None,
            crypt_hash: String::new(),
        }
    }
}

/// Decodes v1, v2 and v3; an older value becomes v3 in memory and is written as v3 at its next
/// change (no migration pass: stores and backups of older releases keep loading).
impl Record for User {
    const NAME: &'static str = "user";
    const VERSION: u8 = 3;
    fn encode(&self) -> Vec<u8> {
        encode_versioned(Self::VERSION, self)
    }
    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        match split_version(bytes)? {
            (1, body) => decode_body::<UserV1>(Self::NAME, body).map(User::from),
            (2, body) => decode_body::<UserV2>(Self::NAME, body).map(User::from),
            (3, body) => decode_body(Self::NAME, body),
            (version, _) => Err(CodecError::UnknownVersion { record: Self::NAME, version }),
        }
    }
}

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
            quota_reset: QuotaReset::None,
            quota_reset_day: 0,
            period_started: None,
            period_base_bytes: 0,
            expire_after_first_use_days: None,
            first_used_at: None,
            crypt_hash: String::new(),
        }
    }

    /// Usage since the current period began: what the quota applies to.
    pub fn period_used_bytes(&self) -> u64 {
        self.used_bytes().saturating_sub(self.period_base_bytes)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A v1 value exactly as the previous release wrote it (its own struct, its own encoder).
    #[derive(Serialize)]
    struct WrittenV1<'a> {
        username: &'a str,
        password_hash: &'a str,
        created_at: i64,
        status: UserStatus,
        expires_on: Option<Day>,
        quota_bytes: u64,
        used_up_bytes: u64,
        used_down_bytes: u64,
        rate_kbps: u32,
        max_connections: u32,
        require_auth_header: bool,
        allow_shell: bool,
        note: &'a str,
    }

    fn v1_bytes() -> Vec<u8> {
        let v1 = WrittenV1 {
            username: "old",
            password_hash: "$2b$h",
            created_at: 7,
            status: UserStatus::Exceeded,
            expires_on: Some(20_500),
            quota_bytes: 1000,
            used_up_bytes: 600,
            used_down_bytes: 500,
            rate_kbps: 64,
            max_connections: 2,
            require_auth_header: false,
            allow_shell: true,
            note: "kept",
        };
        encode_versioned(1, &v1)
    }

    #[test]
    fn a_v1_record_loads_as_v3_with_no_plan_and_is_written_back_as_v3() {
        let user = User::decode(&v1_bytes()).unwrap();
        let want = User {
            password_hash: "$2b$h".into(),
            created_at: 7,
            expires_on: Some(20_500),
            quota_bytes: 1000,
            used_up_bytes: 600,
            used_down_bytes: 500,
            rate_kbps: 64,
            max_connections: 2,
            require_auth_header: false,
            allow_shell: true,
            note: "kept".into(),
            ..User::blank("old", UserStatus::Exceeded)
        };
        assert_eq!(user, want);
        assert_eq!(user.period_used_bytes(), 1100);
        let again = user.encode();
        assert_eq!(again[0], 3);
        assert_eq!(User::decode(&again).unwrap(), want);
    }

    #[test]
    fn v3_round_trips_and_damage_is_an_error() {
        let user = User {
            quota_reset: QuotaReset::Monthly,
            quota_reset_day: 28,
            period_started: Some(20_400),
            period_base_bytes: 99,
            expire_after_first_use_days: Some(30),
            first_used_at: Some(1_800_000_000),
            crypt_hash: "$6$salt$hash".into(),
            ..User::blank("new", UserStatus::Active)
        };
        let bytes = user.encode();
        assert_eq!(User::decode(&bytes).unwrap(), user);
        assert!(matches!(User::decode(&[4, 0]), Err(CodecError::UnknownVersion { version: 4, .. })));
        let mut v1_longer = v1_bytes();
        v1_longer.push(0);
        assert!(User::decode(&v1_longer).is_err());
        // A v2 body is not a valid v1 body: the version byte decides, never a guess.
        let mut as_v1 = bytes.clone();
        as_v1[0] = 1;
        assert!(User::decode(&as_v1).is_err());
    }

    #[test]
    fn a_v2_record_loads_with_no_crypt_hash() {
        let user =
            User { quota_reset_day: 3, first_used_at: Some(5), ..User::blank("two", UserStatus::Paused) };
        // v3 = the v2 fields, then the crypt hash (an empty string is one length byte, 0).
        let mut v2 = user.encode();
        assert_eq!(v2.pop(), Some(0));
        v2[0] = 2;
        assert_eq!(User::decode(&v2).unwrap(), user);
    }
}
