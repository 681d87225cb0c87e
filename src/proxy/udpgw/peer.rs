//! Who is on the other end of a loopback connection: the owner uid of the peer's socket, from
//! `/proc/net/tcp` (or `tcp6`), and whether that uid is a tunnel account (primary or
//! supplementary group [`TUNNEL_GROUP`]). sshd opens a customer's `direct-tcpip` channel
//! from the session process, which runs as the customer, so the uid names the tunnel user.

use crate::system::users::TUNNEL_GROUP;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The uid owning the socket whose local address is `peer` and remote address `ours`, in a
/// `/proc/net/tcp{,6}` listing. Pure.
pub fn owner_uid(listing: &str, peer: SocketAddr, ours: SocketAddr) -> Option<u32> {
    listing.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (local, remote, uid) = (fields.get(1)?, fields.get(2)?, fields.get(7)?);
        (same(parse_addr(local)?, peer) && same(parse_addr(remote)?, ours)).then(|| uid.parse().ok())?
    })
}

/// Equal, counting an IPv4-mapped IPv6 address as its IPv4 address.
fn same(a: SocketAddr, b: SocketAddr) -> bool {
    let plain = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    a.port() == b.port() && plain(a.ip()) == plain(b.ip())
}

/// `0100007F:1C84` (IPv4) or 32 hex digits `:port` (IPv6): each 32-bit word as the kernel
/// stores it, printed as a native-endian number.
fn parse_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| Some(u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?.to_ne_bytes());
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The uid that owns the client end of an accepted loopback connection (blocking: reads
/// procfs).
pub fn peer_uid(peer: SocketAddr, ours: SocketAddr) -> Option<u32> {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .find_map(|listing| owner_uid(&listing, peer, ours))
}

/// Why a connection is not a tunnel user's.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotATunnelUser {
    #[error("no socket owner found for the peer")]
    NoOwner,
    #[error("uid {0} has no account")]
    NoAccount(u32),
    #[error("uid {uid} ({name}) is not in group {TUNNEL_GROUP}")]
    NotInGroup { uid: u32, name: String },
}

/// The account name of `uid` if it is a tunnel account (blocking: the account database).
pub fn tunnel_account(uid: u32) -> Result<String, NotATunnelUser> {
    use nix::unistd::{Group, Uid, User};
    let user = User::from_uid(Uid::from_raw(uid)).ok().flatten().ok_or(NotATunnelUser::NoAccount(uid))?;
    let group = Group::from_name(TUNNEL_GROUP).ok().flatten();
    let member = group.is_some_and(|g| g.gid == user.gid || g.mem.contains(&user.name));
    if member { Ok(user.name) } else { Err(NotATunnelUser::NotInGroup { uid, name: user.name }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1C84 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0
   1: 0100007F:D2F0 0100007F:1C84 01 00000000:00000000 00:00000000 00000000  1001        0 200 1 0 20 4 30 10 -1
   2: 0100007F:1C84 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 300 1 0 20 4 30 10 -1
";

    #[test]
    fn the_peer_sockets_owner_is_found_not_our_own_end() {
        let (peer, ours) = ("127.0.0.1:54000".parse().unwrap(), "127.0.0.1:7300".parse().unwrap());
        assert_eq!(owner_uid(TCP, peer, ours), Some(1001));
        assert_eq!(owner_uid(TCP, "127.0.0.1:54001".parse().unwrap(), ours), None);
    }

    #[test]
    fn ipv6_and_mapped_addresses_parse() {
        let tcp6 = "header\n   0: 0000000000000000FFFF00000100007F:D2F0 0000000000000000FFFF00000100007F:1C84 01 0:0 0:0 0  1002 0 1\n   1: 00000000000000000000000001000000:D2F1 00000000000000000000000001000000:1C84 01 0:0 0:0 0  1003 0 1\n";
        let ours: SocketAddr = "127.0.0.1:7300".parse().unwrap();
        assert_eq!(owner_uid(tcp6, "127.0.0.1:54000".parse().unwrap(), ours), Some(1002));
        assert_eq!(
            owner_uid(tcp6, "[::1]:54001".parse().unwrap(), "[::1]:7300".parse().unwrap()),
            Some(1003)
        );
    }

    #[test]
    fn garbage_listings_find_nobody() {
        let ours: SocketAddr = "127.0.0.1:7300".parse().unwrap();
        for listing in ["", "x\n0: zz:yy", "x\n 0: 0100007F:D2F0 0100007F:1C84 01 a b c notanumber"] {
            assert_eq!(owner_uid(listing, "127.0.0.1:54000".parse().unwrap(), ours), None);
        }
    }
}
