//! Every message that crosses between a proxy and the panel. Shared by `proxy/` and `web/`,
//! and the only module both sides import. JSON on the wire; field names are part of the
//! protocol between releases, so add fields with `#[serde(default)]` and never rename.

use serde::{Deserialize, Serialize};

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

/// Header naming the proxy node on `/ipc`.
pub const NODE_HEADER: &str = "x-node-id";

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
}
