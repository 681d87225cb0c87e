//! Tunnel authentication for one connection: credentials from the head, then the node's
//! verdict cache, then the failure throttle, then the panel. Order matters: a user whose
//! verdict is cached never waits for (or is refused by) the throttle, and a throttled
//! attempt never reaches the panel, where every new password costs a bcrypt verify.
//!
//! Every client-supplied string is logged with `?` (escaped), never `%`.

use super::context::Proxy;
use super::handshake::Head;
use super::panel_client::PanelError;
use super::throttle::Throttled;
use crate::wire::{AuthVerdict, DenyReason, UserLimits};
use std::net::IpAddr;
use std::time::Instant;

/// The answer to a throttled attempt: not a wrong password, "try again later".
pub const THROTTLED_STATUS: &str = "429 Too Many Requests";

/// `Proxy-Authorization: Basic` first, then `/?user=NAME` (the panel decides if allowed).
pub fn credentials(head: &Head) -> Result<(String, Option<String>), &'static str> {
    match head.basic_credentials() {
        Ok(Some((user, password))) => Ok((user, Some(password))),
        Err(_) => {
            tracing::warn!(event = "AUTH_FAILED", reason = "malformed Proxy-Authorization");
            Err("401 Unauthorized")
        }
        Ok(None) => match head.uri_user() {
            Some(user) => Ok((user, None)),
            None => {
                tracing::warn!(event = "AUTH_MISSING");
                Err("401 Unauthorized")
            }
        },
    }
}

/// Cache first (same user and password, under a minute old; for users with
/// `max_connections` only while the panel cannot answer), then the throttle, then the
/// panel. When the panel is unreachable and nothing is cached: 503.
pub async fn authorize(
    proxy: &Proxy,
    peer: IpAddr,
    user: &str,
    password: Option<&str>,
) -> Result<(UserLimits, u32), &'static str> {
    let now = Instant::now();
    let mut cached = password.and_then(|p| proxy.node.cached_verdict(user, p, now));
    // Not cached: wait while another connection asks the panel about these very credentials,
    // then look again (its verdict may be cached now). Held until this attempt is decided.
    let _turn = match (&cached, password) {
        (None, Some(p)) => {
            let turn = proxy.node.verify_turn(user, p).await;
            cached = proxy.node.cached_verdict(user, p, Instant::now());
            Some(turn)
        }
        _ => None,
    };
    match cached {
        // The user's tunnels on other nodes change every second: a cached count would let a
        // third tunnel in (stale low) or refuse one for a minute (stale high). So a user with
        // `max_connections` asks the panel (which skips bcrypt for a recent password) and
        // the cached verdict serves only while the panel cannot answer.
        Some(hit) if hit.0.max_connections == 0 => return Ok(hit),
        Some(_) => {}
        None => {
            // A name no account can have is refused here; it still counts against the address.
            let valid_name = crate::domain::is_valid_username_shape(user);
            if let Err(t) = proxy.throttle().begin(peer, valid_name.then_some(user), now) {
                log_throttled(t);
                return Err(THROTTLED_STATUS);
            }
            if !valid_name {
                tracing::warn!(event = "AUTH_FAILED", reason = "impossible username");
                return Err("401 Unauthorized");
            }
        }
    }
    let verdict = match (proxy.panel.authorize(user, password, &proxy.node.node_id).await, cached) {
        (Ok(v), _) => v,
        (Err(_), Some(hit)) => return Ok(hit),
        (Err(e), None) => {
            // A busy panel proves nothing about the password, but the address keeps the
            // attempt: otherwise a flood that keeps the panel busy would never be throttled.
            match e {
                PanelError::Status(503) => proxy.throttle().abandoned_name(user),
                _ => proxy.throttle().abandoned(peer, user),
            }
            let level_event = match e {
                PanelError::BadSecret => "IPC_UNAUTHORIZED",
                PanelError::Status(503) => "PANEL_BUSY",
                _ => "PANEL_UNREACHABLE",
            };
            tracing::error!(event = level_event, error = %e);
            return Err("503 Service Unavailable");
        }
    };
    match verdict.verdict {
        AuthVerdict::Allow { limits } => {
            proxy.throttle().succeeded(peer, user);
            match password {
                Some(p) => proxy.node.remember_verdict(user, p, limits, verdict.connections_elsewhere, now),
                None => tracing::info!(event = "AUTH_LITE_SUCCESS"),
            }
            Ok((limits, verdict.connections_elsewhere))
        }
        AuthVerdict::Deny { reason } => {
            let event = match (reason, password) {
                (DenyReason::BadCredentials | DenyReason::NoSuchUser, Some(_)) => "AUTH_FAILED",
                (_, None) => "AUTH_LITE_FAILED",
                _ => "AUTH_REFUSED",
            };
            // Paused, expired...: the credentials were right, so no failure is counted.
            if reason.status_line() != "401 Unauthorized" {
                proxy.throttle().succeeded(peer, user);
            }
            tracing::warn!(event, ?reason);
            Err(reason.status_line())
        }
    }
}

/// The first refusal of a block at warn, the rest at debug: a flood must not flood the
/// journal too.
fn log_throttled(t: Throttled) {
    let retry_after_secs = t.retry_after.as_secs_f32().ceil() as u64;
    if t.first {
        tracing::warn!(event = "AUTH_THROTTLED", by = t.scope.as_str(), retry_after_secs);
    } else {
        tracing::debug!(event = "AUTH_THROTTLED", by = t.scope.as_str(), retry_after_secs);
    }
}
