//! The Host header whitelist (`host_whitelist` table). Empty = every host allowed.

use super::codec::single_version_record;
use super::{StoreError, decode_all};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllowedHost {
    pub host: String,
    pub added_at: i64,
}
single_version_record!(AllowedHost, "allowed_host", 1);

pub fn list(
    table: &impl redb::ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<AllowedHost>, StoreError> {
    decode_all(table)
}
