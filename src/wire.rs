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
    /// The HTTP status line a proxy answers with; apps show the reason phrase to the user.
    pub fn status_line(self) -> &'static str {
        match self {
            DenyReason::BadCredentials
            | DenyReason::NoSuchUser
            | DenyReason::AuthHeaderRequired => "401 Unauthorized",
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
