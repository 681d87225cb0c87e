//! Addresses the payload side deals with: the configured public address's checks, and the
//! SNI finder's policy of which resolved addresses it may connect to (public unicast only,
//! so an admin's browser cannot be used to probe this host's loopback or the LAN). No I/O.

use crate::store::settings::PublicAddress;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A DNS name (letters, digits, `-`, dots; labels 1..=63; at most 253) or an IP literal.
pub fn is_host(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok() || is_dns_name(host)
}

pub fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// What is wrong with a public address the admin typed, in words; `Ok` changes nothing.
pub fn check_public(addr: &PublicAddress) -> Result<(), String> {
    if !addr.host.is_empty() && !is_host(&addr.host) {
        return Err("host: a DNS name or an IP address (no port, no scheme)".into());
    }
    if !addr.sni.is_empty() && !is_dns_name(&addr.sni) {
        return Err("sni: a DNS name".into());
    }
    let ports = [
        ("wss_port", addr.wss_port),
        ("wss_tls_port", addr.wss_tls_port),
        ("stunnel_port", addr.stunnel_port),
        ("udpgw_port", addr.udpgw_port),
    ];
    match ports.iter().find(|(_, p)| *p == 0) {
        Some((name, _)) => Err(format!("{name}: 1 to 65535")),
        None => Ok(()),
    }
}

/// `host` as it goes into `host:port`: IPv6 literals bracketed.
pub fn host_port(host: &str, port: u16) -> String {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => format!("[{host}]:{port}"),
        _ => format!("{host}:{port}"),
    }
}

/// True for globally routable unicast addresses: the only ones the SNI finder connects to.
/// Refused: unspecified, loopback, private (RFC 1918, ULA), link-local, CGNAT (100.64/10),
/// multicast, broadcast, documentation, benchmarking, reserved (240/4), 0/8, and IPv6
/// forms that embed an IPv4 address (mapped, NAT64 well-known prefix, 6to4) judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return is_public_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || s[0..6] == [0, 0, 0, 0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_unicast_addresses_pass() {
        let refused = [
            "127.0.0.1",
            "127.9.9.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "239.1.1.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "198.18.0.1",
            "192.0.0.8",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "::127.0.0.1",
            "fec0::1",
        ];
        for ip in refused {
            assert!(!is_public(ip.parse().unwrap()), "{ip} must be refused");
        }
        let allowed = [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ];
        for ip in allowed {
            assert!(is_public(ip.parse().unwrap()), "{ip} must pass");
        }
    }

    #[test]
    fn public_address_checks_name_the_field() {
        let ok = PublicAddress {
            host: "vpn.example.com".into(),
            sni: "cdn.example.net".into(),
            ..Default::default()
        };
        assert_eq!(check_public(&ok), Ok(()));
        assert!(check_public(&PublicAddress { host: "2001:db8::5".into(), ..Default::default() }).is_ok());
        for host in ["http://x", "a b", "x:80", "-a.com", &"a".repeat(64)] {
            let bad = PublicAddress { host: host.into(), ..Default::default() };
            assert!(check_public(&bad).unwrap_err().starts_with("host:"), "{host}");
        }
        let bad = PublicAddress { sni: "1.2.3.4:5".into(), ..Default::default() };
        assert!(check_public(&bad).unwrap_err().starts_with("sni:"));
        let bad = PublicAddress { udpgw_port: 0, ..Default::default() };
        assert_eq!(check_public(&bad), Err("udpgw_port: 1 to 65535".into()));
        assert_eq!(host_port("::1", 80), "[::1]:80");
        assert_eq!(host_port("a.b", 80), "a.b:80");
    }
}
