//! The UDPGW's limits in config.json (`udpgw_*` keys beside the original `udpgw_port`):
//! defaults, ranges and plain-English errors. No I/O.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The optional keys as written on disk (fields of `RawConfig`).
#[derive(Clone, Debug, Default)]
pub struct RawUdpgw {
    /// TCP clients served at once (default 1024; badvpn's default is 3).
    pub udpgw_max_clients: Option<u32>,
    /// UDP flows per client; the least recently used closes first (default 16).
    pub udpgw_max_flows_per_client: Option<u32>,
    /// UDP flows per tunnel user across all of its clients (default 64, 0 = no cap).
    pub udpgw_max_flows_per_user: Option<u32>,
    /// A flow with no datagram either way for this long closes (default 60).
    pub udpgw_flow_idle_secs: Option<u64>,
    /// A client that sends nothing (not even a KEEPALIVE) for this long is closed (default 20).
    pub udpgw_client_timeout_secs: Option<u64>,
    /// The largest datagram a client may send (default 65,520, as badvpn's `--udp-mtu`).
    pub udpgw_udp_mtu: Option<u32>,
    /// Where DNS-flagged queries find the resolver (default /etc/resolv.conf).
    pub udpgw_resolv_conf: Option<PathBuf>,
    /// UDP services on this host's own addresses that tunnel users may reach (default none;
    /// port 0 = every port of that address). DNS-flagged queries always reach the resolver.
    pub udpgw_allow_local: Option<Vec<SocketAddr>>,
}

/// Validated UDPGW settings; `port` 0 = off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpgwConfig {
    pub port: u16,
    pub max_clients: u32,
    pub max_flows_per_client: u32,
    pub max_flows_per_user: u32,
    pub flow_idle: Duration,
    pub client_timeout: Duration,
    pub udp_mtu: usize,
    pub resolv_conf: PathBuf,
    pub allow_local: Vec<SocketAddr>,
}

impl RawUdpgw {
    pub fn validate(&self, port: u16) -> Result<UdpgwConfig, String> {
        let within = |name: &str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(format!("{name} {v} is out of range {lo}..={hi}"))
            }
        };
        let max_clients =
            within("udpgw_max_clients", self.udpgw_max_clients.unwrap_or(1024).into(), 1, 100_000)?;
        let per_client = within(
            "udpgw_max_flows_per_client",
            self.udpgw_max_flows_per_client.unwrap_or(16).into(),
            1,
            1024,
        )?;
        let per_user = within(
            "udpgw_max_flows_per_user",
            self.udpgw_max_flows_per_user.unwrap_or(64).into(),
            0,
            100_000,
        )?;
        let idle = within("udpgw_flow_idle_secs", self.udpgw_flow_idle_secs.unwrap_or(60), 1, 3600)?;
        let silence =
            within("udpgw_client_timeout_secs", self.udpgw_client_timeout_secs.unwrap_or(20), 1, 3600)?;
        let mtu = within("udpgw_udp_mtu", self.udpgw_udp_mtu.unwrap_or(65_520).into(), 512, 65_520)?;
        Ok(UdpgwConfig {
            port,
            max_clients: max_clients as u32,
            max_flows_per_client: per_client as u32,
            max_flows_per_user: per_user as u32,
            flow_idle: Duration::from_secs(idle),
            client_timeout: Duration::from_secs(silence),
            udp_mtu: mtu as usize,
            resolv_conf: self.udpgw_resolv_conf.clone().unwrap_or_else(|| "/etc/resolv.conf".into()),
            allow_local: self.udpgw_allow_local.clone().unwrap_or_default(),
        })
    }
}

impl UdpgwConfig {
    /// Descriptors the UDPGW may hold at its caps: one per client and one per flow.
    pub fn max_descriptors(&self) -> u64 {
        u64::from(self.max_clients) * (1 + u64::from(self.max_flows_per_client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_apps_and_badvpn() {
        let c = RawUdpgw::default().validate(7300).unwrap();
        assert_eq!(
            (c.port, c.max_clients, c.max_flows_per_client, c.max_flows_per_user),
            (7300, 1024, 16, 64)
        );
        assert_eq!((c.client_timeout, c.udp_mtu), (Duration::from_secs(20), 65_520));
        assert_eq!(c.max_descriptors(), 1024 * 17);
    }

    #[test]
    fn out_of_range_limits_are_refused_by_name() {
        let raw = RawUdpgw { udpgw_max_flows_per_client: Some(0), ..Default::default() };
        assert!(raw.validate(7300).unwrap_err().contains("udpgw_max_flows_per_client 0"));
        let raw = RawUdpgw { udpgw_udp_mtu: Some(100), ..Default::default() };
        assert!(raw.validate(7300).unwrap_err().contains("udpgw_udp_mtu"));
    }
}
