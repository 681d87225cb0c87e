//! Global IP bans (`ip_bans` table), keyed by the address or CIDR as the admin gave it
//! (normalised by the caller).

use super::codec::single_version_record;
use super::{StoreError, decode_all};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpBan {
    pub ip: String,
    pub reason: String,
    pub created_at: i64,
    pub added_by: String,
}
single_version_record!(IpBan, "ip_ban", 1);

pub fn list(table: &impl redb::ReadableTable<&'static str, &'static [u8]>) -> Result<Vec<IpBan>, StoreError> {
    decode_all(table)
}
