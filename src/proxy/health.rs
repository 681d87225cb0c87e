//! The node's own health for the panel's Nodes view ([`NodeHealth`] in every report): its
//! upstream sshd and its UDPGW port listening, read from `/proc/net/tcp` (never by connecting:
//! an sshd logs every probe), and its TLS certificate's days left. Read at most every
//! [`HEALTH_RECHECK`]; the reports in between repeat the last reading.

use crate::host_probe::{days_left, listening_ports, not_after};
use crate::wire::NodeHealth;
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How old a reading may be before the next report reads `/proc` and the certificate again
/// (`/proc/net/tcp` lists every socket: with thousands of tunnels it is not free).
pub const HEALTH_RECHECK: Duration = Duration::from_secs(10);

/// What to check: the upstream sshd, UDPGW (port 0: off), the certificate of the TLS port.
pub struct HealthProbe {
    pub sshd: (IpAddr, u16),
    pub udpgw_port: u16,
    pub cert: Option<PathBuf>,
    last: Mutex<Option<(Instant, NodeHealth)>>,
}

/// The health from what was read. Pure. An sshd on another host is not checked.
pub fn assess(
    listening: &HashSet<u16>,
    sshd: (IpAddr, u16),
    udpgw_port: u16,
    cert_not_after: Option<i64>,
    now_unix: i64,
) -> NodeHealth {
    let here = sshd.0.is_loopback() || sshd.0.is_unspecified();
    NodeHealth {
        sshd_port: sshd.1,
        sshd_listening: here.then(|| listening.contains(&sshd.1)),
        udpgw_port,
        udpgw_listening: (udpgw_port != 0).then(|| listening.contains(&udpgw_port)),
        cert_days_left: cert_not_after.map(|t| days_left(t, now_unix)),
    }
}

impl HealthProbe {
    pub fn new(sshd: (IpAddr, u16), udpgw_port: u16, cert: Option<PathBuf>) -> Self {
        HealthProbe { sshd, udpgw_port, cert, last: Mutex::new(None) }
    }

    /// The latest reading, read again when older than [`HEALTH_RECHECK`].
    pub fn current(&self, now: Instant) -> NodeHealth {
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, health)) = last.as_ref()
            && now.duration_since(*at) < HEALTH_RECHECK
        {
            return health.clone();
        }
        let cert =
            self.cert.as_ref().and_then(|p| std::fs::read(p).ok()).and_then(|pem| not_after(&pem).ok());
        let health = assess(&listening_ports(), self.sshd, self.udpgw_port, cert, crate::domain::now_unix());
        *last = Some((now, health.clone()));
        health
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn health_says_what_listens_and_skips_what_it_cannot_see() {
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let listening = HashSet::from([22, 7300]);
        let h = assess(&listening, (local, 22), 7300, Some(86_400 * 30), 0);
        assert_eq!(
            (h.sshd_listening, h.udpgw_listening, h.cert_days_left),
            (Some(true), Some(true), Some(30))
        );
        let h = assess(&HashSet::from([7300]), (local, 22), 0, None, 0);
        assert_eq!((h.sshd_listening, h.udpgw_listening, h.cert_days_left), (Some(false), None, None));
        let remote = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5));
        assert_eq!(assess(&listening, (remote, 22), 7300, None, 0).sshd_listening, None);
    }

    #[test]
    fn a_reading_is_reused_until_it_is_old() {
        let probe = HealthProbe::new((IpAddr::V4(Ipv4Addr::LOCALHOST), 1), 0, None);
        let t0 = Instant::now();
        let first = probe.current(t0);
        *probe.last.lock().unwrap() = Some((t0, NodeHealth { sshd_port: 9, ..first.clone() }));
        assert_eq!(probe.current(t0 + HEALTH_RECHECK / 2).sshd_port, 9, "read again too soon");
        assert_eq!(probe.current(t0 + HEALTH_RECHECK).sshd_port, 1);
    }
}
