//! The sample records written into `tests/fixtures/store-v1.redb` by the first release.
//! A later release must keep reading that file and get exactly these values back
//! (see migrations-free.md). No I/O beyond the store handed in.

use super::audit::{self, AuditRecord};
use super::hosts::AllowedHost;
use super::ip_bans::IpBan;
use super::settings::{self, Settings};
use super::tables::*;
use super::traffic::{self, TrafficDay};
use super::users::{self, User};
use super::{Record, Store, StoreError};
use crate::domain::UserStatus;

pub const DAY: i32 = 20_000;

pub fn user() -> User {
    User {
        username: "alice".into(),
        password_hash: "$2b$04$abcdefghijklmnopqrstuuJ2ZbYxS6oWmW0c3Y1k8P1a5yq2j1H1e".into(),
        created_at: 1_700_000_000,
        status: UserStatus::Exceeded,
        expires_on: Some(DAY + 30),
        quota_bytes: 50 << 30,
        used_up_bytes: 1234,
        used_down_bytes: 56_789,
        rate_kbps: 2048,
        max_connections: 2,
        require_auth_header: false,
        allow_shell: true,
        note: "fixture user, ünïcode".into(),
    }
}

pub fn settings() -> Settings {
    Settings { fuse_threshold_kbps: 40_960 }
}

pub fn traffic_day() -> TrafficDay {
    TrafficDay { up_bytes: 1234, down_bytes: 56_789 }
}

pub fn ban() -> IpBan {
    IpBan {
        ip: "203.0.113.7".into(),
        reason: "abuse <script>".into(),
        created_at: 1_700_000_100,
        added_by: "admin".into(),
    }
}

pub fn host() -> AllowedHost {
    AllowedHost { host: "cdn.example.com".into(), added_at: 1_700_000_200 }
}

pub fn audit_record() -> AuditRecord {
    AuditRecord {
        at: 1_700_000_300,
        who: "admin".into(),
        ip: "192.0.2.1".into(),
        action: "USER_ADD".into(),
        target: "alice".into(),
        detail: "quota_bytes=53687091200".into(),
    }
}

/// Writes one record of every type, as the first release did.
pub fn write_all(store: &Store) -> Result<(), StoreError> {
    store.write(|txn| -> Result<(), StoreError> {
        users::put(&mut txn.open_table(USERS)?, &user())?;
        settings::put(&mut txn.open_table(SETTINGS)?, &settings())?;
        let t = traffic_day();
        traffic::add(&mut txn.open_table(TRAFFIC)?, "alice", DAY, t.up_bytes, t.down_bytes)?;
        txn.open_table(IP_BANS)?.insert(ban().ip.as_str(), ban().encode().as_slice())?;
        txn.open_table(HOSTS)?.insert(host().host.as_str(), host().encode().as_slice())?;
        audit::append(&mut txn.open_table(AUDIT)?, &audit_record())?;
        txn.open_table(NODE_SEQ)?.insert("node-1", 42)?;
        Ok(())
    })
}
