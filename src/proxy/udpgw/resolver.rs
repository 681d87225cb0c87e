//! Where DNS-flagged datagrams go: the first `nameserver` of the host's resolv.conf
//! (IPv4 or IPv6, port 53). The file is read when a DNS flow opens, so a changed resolver
//! applies to new flows without a restart.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

pub const DNS_PORT: u16 = 53;

/// The first usable `nameserver` line (a scoped `fe80::1%eth0` is skipped). Pure.
pub fn first_nameserver(resolv_conf: &str) -> Option<SocketAddr> {
    resolv_conf
        .lines()
        .filter_map(|line| line.trim().strip_prefix("nameserver"))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, DNS_PORT))
        .next()
}

/// Reads `path` and picks the resolver; `None` when unreadable or without a nameserver.
pub fn resolver(path: &Path) -> Option<SocketAddr> {
    first_nameserver(&std::fs::read_to_string(path).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_parsable_nameserver_wins() {
        let conf =
            "# generated\nsearch example.net\nnameserver fe80::1%eth0\nnameserver ::1\nnameserver 1.1.1.1\n";
        assert_eq!(first_nameserver(conf), Some("[::1]:53".parse().unwrap()));
        assert_eq!(first_nameserver("nameserver 127.0.0.53 # stub"), Some("127.0.0.53:53".parse().unwrap()));
        assert_eq!(first_nameserver("options edns0\n"), None);
    }
}
