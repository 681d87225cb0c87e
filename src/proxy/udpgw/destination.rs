//! Which destinations a tunnel user's datagrams may go to. The UDPGW sends from the proxy's
//! own account, so the kernel rule that keeps tunnel accounts off this host's own addresses
//! (`system/tunnel_guard`, by group) does not see them: without this check a customer could
//! reach every UDP service on this host's loopback (a local DNS cache's control port, metrics
//! agents, game servers bound to 127.0.0.1). So a datagram to one of this host's addresses is
//! refused unless the operator listed it (`udpgw_allow_local`; port 0 = every port); DNS-
//! flagged queries go to the configured resolver and are not checked here.

use std::net::{IpAddr, SocketAddr, UdpSocket};

/// Whether `ip` is one of this host's addresses: the kernel lets a socket bind only to a
/// local address, so one bind answers for loopback, unspecified, every interface's address
/// and the IPv4-mapped forms alike, with no interface list to keep current.
pub fn is_this_host(ip: IpAddr) -> bool {
    let ip = canonical(ip);
    ip.is_loopback() || ip.is_unspecified() || UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

/// Whether the operator allowed `dest` on this host (`allow`: addresses, port 0 = any port).
pub fn allowed_locally(dest: SocketAddr, allow: &[SocketAddr]) -> bool {
    let ip = canonical(dest.ip());
    allow.iter().any(|a| canonical(a.ip()) == ip && (a.port() == 0 || a.port() == dest.port()))
}

/// Why a datagram to `dest` is refused, or `None` if it may go.
pub fn refusal(dest: SocketAddr, allow: &[SocketAddr]) -> Option<&'static str> {
    (is_this_host(dest.ip()) && !allowed_locally(dest, allow)).then_some("this host's own address")
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_unspecified_and_mapped_forms_are_this_host() {
        for a in ["127.0.0.1:53", "127.1.2.3:9", "0.0.0.0:1", "[::1]:53", "[::]:5", "[::ffff:127.0.0.1]:53"] {
            assert_eq!(refusal(addr(a), &[]), Some("this host's own address"), "{a}");
        }
    }

    #[test]
    fn other_hosts_go_through() {
        for a in ["1.1.1.1:53", "8.8.8.8:443", "[2001:4860:4860::8888]:53", "192.0.2.7:3478"] {
            assert_eq!(refusal(addr(a), &[]), None, "{a}");
        }
    }

    #[test]
    fn the_operators_list_opens_exactly_what_it_names() {
        let allow = [addr("127.0.0.1:5353"), addr("[::1]:0")];
        assert_eq!(refusal(addr("127.0.0.1:5353"), &allow), None);
        assert_eq!(refusal(addr("[::ffff:127.0.0.1]:5353"), &allow), None);
        assert!(refusal(addr("127.0.0.1:5354"), &allow).is_some());
        assert!(refusal(addr("127.0.0.2:5353"), &allow).is_some());
        assert_eq!(refusal(addr("[::1]:9"), &allow), None, "port 0 = every port");
    }
}
