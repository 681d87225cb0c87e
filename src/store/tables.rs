//! Every redb table in one place. A table name is never reused with another key or value
//! type (see migrations-free.md); values are `codec` records. No I/O.

use redb::TableDefinition;

/// username → `User`
pub const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
/// setting name → `Settings` (one record under `settings::GLOBAL`)
pub const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
/// (username, day number since 1970-01-01 UTC) → `TrafficDay`
pub const TRAFFIC: TableDefinition<(&str, i32), &[u8]> = TableDefinition::new("traffic_daily");
/// IP address or CIDR → `IpBan`
pub const IP_BANS: TableDefinition<&str, &[u8]> = TableDefinition::new("ip_bans");
/// lowercase host name → `AllowedHost`
pub const HOSTS: TableDefinition<&str, &[u8]> = TableDefinition::new("host_whitelist");
/// sequence number → `AuditRecord`
pub const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_log");
/// proxy node id → last applied stats report sequence number
pub const NODE_SEQ: TableDefinition<&str, u64> = TableDefinition::new("node_seq");
/// store-level facts, e.g. `format` → the release that created the file
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// sha256(session id) hex → `AdminSession`; the raw id lives only in the admin's cookie
pub const ADMIN_SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("admin_sessions");
/// sha256(device token) hex → `RememberedDevice`; the raw token lives only in the admin's cookie
pub const ADMIN_DEVICES: TableDefinition<&str, &[u8]> = TableDefinition::new("admin_devices");
/// proxy node name → `NodeRecord` (hashes of its enrolment token and node secret)
pub const NODES: TableDefinition<&str, &[u8]> = TableDefinition::new("nodes");
/// (proxy node name, day number since 1970-01-01 UTC) → `TrafficDay`: what each node carried
pub const NODE_TRAFFIC: TableDefinition<(&str, i32), &[u8]> = TableDefinition::new("node_traffic_daily");
/// proxy node name → `NodeLabel`, the display name the admin gave it
pub const NODE_LABELS: TableDefinition<&str, &[u8]> = TableDefinition::new("node_labels");
