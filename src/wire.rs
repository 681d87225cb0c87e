//! Every message that crosses between a proxy and the panel. Shared by `proxy/` and `web/`,
//! and the only module both sides import. JSON on the wire; field names are part of the
//! protocol between releases, so add fields with `#[serde(default)]` and never rename.

use serde::{Deserialize, Serialize};

/// The node proxy writes the accounts the panel wants here, in its data dir (a JSON array of
/// [`AccountState`], replaced atomically); the node agent reads it. Written only after the
/// panel's first `Reconcile`, so its existence means the list is complete.
pub const ACCOUNT_SPOOL_FILE: &str = "node-accounts.json";

/// Header carrying the internal secret on `/internal/*` and `/ipc`.
pub const SECRET_HEADER: &str = "x-internal-secret";

/// `POST /internal/auth`. `password: None` is the lite path (`/?user=NAME`), allowed only
/// for users whose `require_auth_header` is off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub username: String,
    #[serde(default)]
    pub password: Option<String>,
}

/// What a proxy enforces for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLimits {
    /// KiB/s each way; 0 = unlimited.
    pub rate_kbps: u32,
    /// Live tunnels across all nodes; 0 = unlimited.
    pub max_connections: u32,
    pub require_auth_header: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    BadCredentials,
    NoSuchUser,
    /// Lite path used by a user who must send `Proxy-Authorization`.
    AuthHeaderRequired,
    Paused,
    Expired,
    Exceeded,
    Fused,
}

impl DenyReason {
    /// The snake_case name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::BadCredentials => "bad_credentials",
            DenyReason::NoSuchUser => "no_such_user",
            DenyReason::AuthHeaderRequired => "auth_header_required",
            DenyReason::Paused => "paused",
            DenyReason::Expired => "expired",
            DenyReason::Exceeded => "exceeded",
            DenyReason::Fused => "fused",
        }
    }

    /// The HTTP status line a proxy answers with; apps show the reason phrase to the user.
    pub fn status_line(self) -> &'static str {
        match self {
            DenyReason::BadCredentials | DenyReason::NoSuchUser | DenyReason::AuthHeaderRequired => {
                "401 Unauthorized"
            }
            DenyReason::Paused => "403 Paused",
            DenyReason::Expired => "403 Expired",
            DenyReason::Exceeded => "403 Quota Exceeded",
            DenyReason::Fused => "403 Fused",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum AuthVerdict {
    Allow { limits: UserLimits },
    Deny { reason: DenyReason },
}

/// Header naming the proxy node's session on `/ipc` (`name-xxxxxxxx`).
pub const NODE_HEADER: &str = "x-node-id";

/// The node name inside a session id (`name-xxxxxxxx` → `name`): what its traffic is
/// counted under and the Nodes view shows. An id without a suffix is its own name.
pub fn node_name_of(node_id: &str) -> &str {
    node_id.rsplit_once('-').map_or(node_id, |(name, _)| name)
}

/// Optional facts in the `/ipc` upgrade, for the Nodes view (older proxies send neither):
/// the proxy's release and when its process started (unix seconds).
pub const NODE_RELEASE_HEADER: &str = "x-node-release";
pub const NODE_STARTED_HEADER: &str = "x-node-started";

/// The `/ipc` hello: each side's protocol version, in the upgrade request and in the
/// panel's answer (101, or 426 when refused). Releases one version apart interoperate.
pub const PROTOCOL_HEADER: &str = "x-wss-protocol";
/// This release's `/ipc` protocol: 2 added the hello and node credentials.
pub const PROTOCOL_VERSION: u32 = 2;
/// What a proxy that sends no hello speaks (the releases before it).
pub const UNVERSIONED: u32 = 1;

/// Does a peer speaking `theirs` interoperate with this release?
pub fn protocol_compatible(theirs: u32) -> bool {
    theirs.abs_diff(PROTOCOL_VERSION) <= 1
}

/// Headers of an enrolled remote node on `/internal/*` and `/ipc` (instead of
/// [`SECRET_HEADER`]): its name and its own node secret.
pub const NODE_NAME_HEADER: &str = "x-node-name";
pub const NODE_SECRET_HEADER: &str = "x-node-secret";

/// `POST /internal/auth` body when a proxy asks for a tunnel: the node asking, so that the
/// panel can tell it how many tunnels the user has on the other nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunnelAuth {
    #[serde(flatten)]
    pub auth: AuthRequest,
    #[serde(default)]
    pub node_id: String,
}

/// The panel's answer to a proxy: the verdict plus the user's live tunnels on other nodes
/// (as of their last reports), for the global `max_connections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelVerdict {
    #[serde(flatten)]
    pub verdict: AuthVerdict,
    #[serde(default)]
    pub connections_elsewhere: u32,
}

/// One user's numbers in one node's report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserStats {
    pub speed_up_kbps: f64,
    pub speed_down_kbps: f64,
    pub connections: u32,
    /// Client IPs of the live tunnels, with when each connected (unix seconds).
    #[serde(default)]
    pub ips: Vec<(String, i64)>,
    /// Live UDPGW flows (absent from older proxies).
    #[serde(default)]
    pub udp_flows: u32,
    /// UDPGW datagrams client → destination since the previous report.
    #[serde(default)]
    pub udp_datagrams_up: u64,
    /// UDPGW datagrams destination → client since the previous report.
    #[serde(default)]
    pub udp_datagrams_down: u64,
}

/// Bytes counted between two reports, per user: (up, down). Sent until acknowledged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficBatch {
    pub seq: u64,
    pub bytes: std::collections::BTreeMap<String, (u64, u64)>,
}

/// A node's report, once a second. `batches` holds every traffic batch the panel has not yet
/// acknowledged, oldest first; the panel applies a batch only if its `seq` is above the last
/// one it applied for this node, so a batch resent after a reconnect counts once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    pub node_id: String,
    pub users: std::collections::BTreeMap<String, UserStats>,
    pub batches: Vec<TrafficBatch>,
    /// The node's guards against connections that never authenticate (absent from older
    /// proxies: zeros).
    #[serde(default)]
    pub guard: GuardStats,
    /// The node's own checks (absent from older proxies: none).
    #[serde(default)]
    pub health: Option<NodeHealth>,
}

/// What a node sees of its own host, for the Nodes view: whether its upstream sshd and its
/// UDPGW port are listening (read from `/proc/net/tcp`, never by connecting) and its TLS
/// certificate's whole days left. `None`: not checked (an sshd on another host, UDPGW off,
/// no readable certificate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeHealth {
    pub sshd_port: u16,
    pub sshd_listening: Option<bool>,
    pub udpgw_port: u16,
    pub udpgw_listening: Option<bool>,
    pub cert_days_left: Option<i64>,
}

/// A node's pre-auth guards: connections not yet authenticated now, and since the proxy
/// started those refused at the per-address cap, shed at the global cap, and auth attempts
/// refused by the failure throttle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardStats {
    pub pending: u64,
    pub refused_per_ip: u64,
    pub shed: u64,
    pub throttled: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProxyToPanel {
    StatsUpdate(StatsReport),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PanelToProxy {
    /// Every batch with `seq <= ack` is stored; forget them.
    Ack {
        seq: u64,
    },
    /// Close all of the user's tunnels and forget cached verdicts.
    Kick {
        username: String,
    },
    UpdateLimits {
        username: String,
        limits: UserLimits,
    },
    ResetTraffic {
        username: String,
    },
    Delete {
        username: String,
    },
    ReloadHosts {
        hosts: Vec<String>,
    },
    /// One user's Linux account as the panel holds it now; enrolled nodes only (the panel's
    /// own host keeps its accounts through its own helper). A proxy that does not know the
    /// action logs `IPC_BAD_MESSAGE` and goes on.
    Account(AccountState),
    /// Every account, sent once on each `/ipc` connect of an enrolled node: the node makes
    /// its accounts (only those its helper created) exactly these.
    Reconcile {
        accounts: Vec<AccountState>,
    },
}

/// A user's Linux account on a node. `crypt_hash` is a `$6$` hash (`domain::crypt`), empty
/// when the panel has none (a password set before crypt hashes existed: the account is
/// made without a usable password). Debug never shows the hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    pub username: String,
    #[serde(default)]
    pub crypt_hash: String,
    /// Not active (paused, expired, exceeded, fused): password logins refused.
    #[serde(default)]
    pub locked: bool,
    /// Member of the shell group with a login shell.
    #[serde(default)]
    pub shell: bool,
    /// The user is gone: delete the account.
    #[serde(default)]
    pub deleted: bool,
}

impl std::fmt::Debug for AccountState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountState")
            .field("username", &self.username)
            .field("crypt_hash", &if self.crypt_hash.is_empty() { "" } else { "***" })
            .field("locked", &self.locked)
            .field("shell", &self.shell)
            .field("deleted", &self.deleted)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::node_name_of;

    #[test]
    fn account_messages_have_the_documented_shape_and_hide_the_hash() {
        use super::{AccountState, PanelToProxy};
        let a = AccountState {
            username: "alice".into(),
            crypt_hash: "$6$s$h".into(),
            locked: true,
            shell: false,
            deleted: false,
        };
        let json = serde_json::to_value(PanelToProxy::Account(a.clone())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"action": "account", "username": "alice", "crypt_hash": "$6$s$h",
                "locked": true, "shell": false, "deleted": false})
        );
        let back: PanelToProxy = serde_json::from_value(json).unwrap();
        assert_eq!(back, PanelToProxy::Account(a.clone()));
        let all = serde_json::to_string(&PanelToProxy::Reconcile { accounts: vec![a] }).unwrap();
        assert!(all.starts_with(r#"{"action":"reconcile","accounts":[{"#), "{all}");
        assert!(!format!("{back:?}").contains("$6$"));
    }

    #[test]
    fn a_session_id_names_its_node_without_the_run_suffix() {
        assert_eq!(node_name_of("edge-a-0123abcd"), "edge-a");
        assert_eq!(node_name_of("fra1-00000001"), "fra1");
        assert_eq!(node_name_of("plain"), "plain");
    }
}
