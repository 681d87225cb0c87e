//! How a connection ended badly, and whose doing it was (as pingora's `ErrorSource`): the
//! client, the upstream sshd, the panel, a limit we enforce, or this proxy itself. The side
//! decides the log level of `CONN_CLOSED`, so a journal at `info` is not flooded by clients
//! that hang up while our own and sshd's failures stand out at `warn`.

/// Who is to blame for a connection's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client: hung up, sent garbage, too slow, wrong password, paused account.
    Client,
    /// The upstream sshd: refused, timed out.
    Upstream,
    /// The panel: unreachable, busy, or refused our secret.
    Panel,
    /// A limit doing its job: connection cap, quota, auth throttle, pre-auth shedding.
    Limit,
    /// This proxy itself.
    Proxy,
}

impl Side {
    /// Stable lower-case name for the log's `side` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Upstream => "upstream",
            Side::Panel => "panel",
            Side::Limit => "limit",
            Side::Proxy => "proxy",
        }
    }

    /// Client faults are routine (debug); a limit at work already logged its own event
    /// (`PREAUTH_SHED`, `REJECTED_CONCURRENCY`...), and under a flood a second line per
    /// connection would only bury the journal (debug); ours, sshd's and the panel's
    /// failures need an operator (warn).
    pub fn level(self) -> tracing::Level {
        match self {
            Side::Client | Side::Limit => tracing::Level::DEBUG,
            Side::Upstream | Side::Panel | Side::Proxy => tracing::Level::WARN,
        }
    }

    /// Whose doing a refusal with this status line is.
    pub fn of_status(status: &str) -> Side {
        let code = status.split_ascii_whitespace().next().unwrap_or("");
        match code {
            "429" => Side::Limit,
            "403" if status.ends_with("Quota Exceeded") || status.ends_with("Fused") => Side::Limit,
            "400" | "401" | "403" | "407" => Side::Client,
            "502" | "504" => Side::Upstream,
            "503" => Side::Panel,
            _ => Side::Proxy,
        }
    }
}

/// Why a connection ended without a tunnel, or how a tunnel broke.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Something failed on `side`: logged as `CONN_CLOSED` at that side's level.
    #[error("{}: {what}", side.as_str())]
    Failed { side: Side, what: String },
    /// Answered with `status` and closed. The event that decided it (`REJECTED_HOST`,
    /// `AUTH_FAILED`, `BAD_HANDSHAKE`...) has its own line already, so nothing more is logged.
    #[error("refused with {status}")]
    Refused { status: &'static str },
}

impl SessionError {
    pub fn client(what: impl Into<String>) -> Self {
        SessionError::Failed { side: Side::Client, what: what.into() }
    }

    pub fn side(&self) -> Side {
        match self {
            SessionError::Failed { side, .. } => *side,
            SessionError::Refused { status } => Side::of_status(status),
        }
    }

    /// The `CONN_CLOSED` line, at the level of the side that failed; none for a refusal.
    pub fn log(&self) {
        let SessionError::Failed { side, what } = self else {
            return;
        };
        let side = side.as_str();
        match self.side().level() {
            tracing::Level::DEBUG => tracing::debug!(event = "CONN_CLOSED", side, error = %what),
            _ => tracing::warn!(event = "CONN_CLOSED", side, error = %what),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn each_refusal_status_is_blamed_on_its_side() {
        let cases = [
            ("400 Bad Request", Side::Client),
            ("401 Unauthorized", Side::Client),
            ("403 Forbidden", Side::Client),
            ("403 Paused", Side::Client),
            ("403 Expired", Side::Client),
            ("403 Quota Exceeded", Side::Limit),
            ("403 Fused", Side::Limit),
            ("429 Too Many Connections", Side::Limit),
            ("429 Too Many Requests", Side::Limit),
            ("502 Bad Gateway", Side::Upstream),
            ("503 Service Unavailable", Side::Panel),
            ("500 Internal Server Error", Side::Proxy),
            ("", Side::Proxy),
        ];
        for (status, side) in cases {
            assert_eq!(Side::of_status(status), side, "{status:?}");
        }
        for reason in [
            crate::wire::DenyReason::BadCredentials,
            crate::wire::DenyReason::Paused,
            crate::wire::DenyReason::Exceeded,
            crate::wire::DenyReason::Fused,
        ] {
            assert_ne!(Side::of_status(reason.status_line()), Side::Proxy, "{reason:?} is known");
        }
    }

    #[test]
    fn client_faults_and_limits_are_quiet_and_ours_upstreams_and_the_panels_are_loud() {
        assert_eq!(Side::Client.level(), Level::DEBUG);
        assert_eq!(Side::Limit.level(), Level::DEBUG);
        for side in [Side::Upstream, Side::Panel, Side::Proxy] {
            assert_eq!(side.level(), Level::WARN, "{side:?}");
        }
    }

    #[test]
    fn an_error_names_its_side() {
        let e = SessionError::client("closed during the handshake");
        assert_eq!(e.side(), Side::Client);
        assert_eq!(e.to_string(), "client: closed during the handshake");
        let e = SessionError::Failed { side: Side::Upstream, what: "reset".into() };
        assert_eq!(e.to_string(), "upstream: reset");
        assert_eq!(SessionError::Refused { status: "502 Bad Gateway" }.side(), Side::Upstream);
    }
}
