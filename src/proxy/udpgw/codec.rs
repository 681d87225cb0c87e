//! The badvpn UDPGW wire format, both directions. No I/O.
//!
//! A TCP client sends frames: a 2-byte little-endian length, then that many payload bytes.
//! Payload: flags (1 byte), conid (2 bytes, little-endian), then — unless the frame is a
//! KEEPALIVE — the destination (IPv4: 4 address bytes + 2 port bytes, IPv6: 16 + 2, network
//! byte order; [`IPV6`] says which) and the datagram. Replies use the same layout with the
//! address the client asked for. Decoding is incremental: [`decode`] says `Partial` until a
//! whole frame is buffered, and refuses a length over the limit as soon as it is read.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub const KEEPALIVE: u8 = 0x01;
pub const REBIND: u8 = 0x02;
pub const DNS: u8 = 0x04;
pub const IPV6: u8 = 0x08;

/// Flags and conid.
pub const HEADER_LEN: usize = 3;
/// The largest address part (IPv6 address and port).
pub const MAX_ADDR_LEN: usize = 18;
/// badvpn's default `--udp-mtu`: the largest datagram a client may send.
pub const DEFAULT_UDP_MTU: usize = 65_520;

/// The largest payload a client may frame for datagrams up to `udp_mtu` bytes.
pub fn max_payload(udp_mtu: usize) -> usize {
    HEADER_LEN + MAX_ADDR_LEN + udp_mtu
}

/// Whether a whole frame is buffered yet ("need more bytes" is not an error).
#[derive(Debug, PartialEq, Eq)]
pub enum Status<T> {
    Partial,
    /// The frame and how many buffered bytes it used.
    Complete(T, usize),
}

/// What a client asked for in one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// Resets the client's silence timer; any address or data is ignored.
    Keepalive {
        conid: u16,
    },
    Datagram(Datagram<'a>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram<'a> {
    pub conid: u16,
    /// Close the flow's socket and open a new one.
    pub rebind: bool,
    /// Send to the host's resolver instead of `dest`.
    pub dns: bool,
    pub dest: SocketAddr,
    pub data: &'a [u8],
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {len} bytes is over the limit of {max}")]
    Oversize { len: usize, max: usize },
    #[error("frame of {len} bytes is too short for its header")]
    Truncated { len: usize },
    #[error("unknown flags {0:#04x}")]
    UnknownFlags(u8),
}

/// Decodes the first frame of `buf`; payloads over `max_payload` bytes are an error.
pub fn decode(buf: &[u8], max_payload: usize) -> Result<Status<Request<'_>>, FrameError> {
    let Some(prefix) = buf.get(..2) else { return Ok(Status::Partial) };
    let len = usize::from(u16::from_le_bytes([prefix[0], prefix[1]]));
    if len > max_payload {
        return Err(FrameError::Oversize { len, max: max_payload });
    }
    let Some(payload) = buf.get(2..2 + len) else { return Ok(Status::Partial) };
    Ok(Status::Complete(parse_payload(payload)?, 2 + len))
}

fn parse_payload(p: &[u8]) -> Result<Request<'_>, FrameError> {
    let truncated = || FrameError::Truncated { len: p.len() };
    let (head, rest) = p.split_first_chunk::<HEADER_LEN>().ok_or_else(truncated)?;
    let [flags, c0, c1] = *head;
    let conid = u16::from_le_bytes([c0, c1]);
    if flags & !(KEEPALIVE | REBIND | DNS | IPV6) != 0 {
        return Err(FrameError::UnknownFlags(flags));
    }
    if flags & KEEPALIVE != 0 {
        return Ok(Request::Keepalive { conid });
    }
    let (dest, data) = if flags & IPV6 != 0 {
        let (a, data) = rest.split_first_chunk::<18>().ok_or_else(truncated)?;
        let ip: [u8; 16] = a[..16].try_into().map_err(|_| truncated())?;
        (SocketAddr::new(Ipv6Addr::from(ip).into(), u16::from_be_bytes([a[16], a[17]])), data)
    } else {
        let (a, data) = rest.split_first_chunk::<6>().ok_or_else(truncated)?;
        let ip = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
        (SocketAddr::new(ip.into(), u16::from_be_bytes([a[4], a[5]])), data)
    };
    Ok(Request::Datagram(Datagram { conid, rebind: flags & REBIND != 0, dns: flags & DNS != 0, dest, data }))
}

/// Appends one frame: `flags` (IPV6 is added for an IPv6 `addr`), `conid`, `addr`, `data`.
/// Used for replies, and by test and benchmark clients for requests. `None` when the frame
/// would not fit its 16-bit length.
pub fn encode(flags: u8, conid: u16, addr: SocketAddr, data: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let addr_len = if addr.is_ipv6() { 18 } else { 6 };
    let len = u16::try_from(HEADER_LEN + addr_len + data.len()).ok()?;
    out.reserve(2 + usize::from(len));
    out.extend_from_slice(&len.to_le_bytes());
    match addr.ip() {
        IpAddr::V4(ip) => {
            out.push(flags & !IPV6);
            out.extend_from_slice(&conid.to_le_bytes());
            out.extend_from_slice(&ip.octets());
        }
        IpAddr::V6(ip) => {
            out.push(flags | IPV6);
            out.extend_from_slice(&conid.to_le_bytes());
            out.extend_from_slice(&ip.octets());
        }
    }
    out.extend_from_slice(&addr.port().to_be_bytes());
    out.extend_from_slice(data);
    Some(())
}

/// A KEEPALIVE frame as the apps send it: flags and conid only.
pub fn encode_keepalive(conid: u16, out: &mut Vec<u8>) {
    out.extend_from_slice(&3u16.to_le_bytes());
    out.push(KEEPALIVE);
    out.extend_from_slice(&conid.to_le_bytes());
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
