//! Parse-don't-validate for the privileged helper's arguments: account names (the registry's
//! rule, [`Username::parse`]), IP addresses and networks to ban, the four services the helper
//! may touch, and log line counts. Both sides parse with this code: the panel before it sends
//! a [`super::SystemCommand`], the root helper again when it receives one. No I/O.
//!
//! Ban targets, chosen on purpose:
//! - IPv4 prefixes /8 to /32 and IPv6 prefixes /32 to /128. Anything wider (including
//!   `0.0.0.0/0` and `::/0`) is refused: one ban must not be able to cut off a continent,
//!   every customer, or the admin.
//! - Host bits must be zero (`10.1.2.3/8` is refused, not silently widened to `10.0.0.0/8`).
//! - Nothing that covers loopback (`127.0.0.0/8`, `::1`) or the unspecified address
//!   (`0.0.0.0/8`, `::/32` ...): banning them breaks the proxy's own sshd connection.
//! - IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is refused: write the IPv4 address.
//! - The admin's own session address is the panel's check ([`ban_target`]); the helper cannot
//!   know it.

use crate::domain::{DomainError, Password, Username};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Narrowest allowed IPv4 prefix length (widest network).
pub const MIN_V4_PREFIX: u8 = 8;
/// Narrowest allowed IPv6 prefix length (widest network).
pub const MIN_V6_PREFIX: u8 = 32;
/// Most journal lines one `logs` call returns.
pub const MAX_LOG_LINES: u16 = 1000;
/// Longest piece of a refused argument quoted back in an error message.
const QUOTE_MAX_CHARS: usize = 40;

/// An argument the helper refuses. Messages are one line (arguments are quoted with escapes)
/// and name the rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    #[error("username {0}: {1}")]
    Username(String, DomainError),
    #[error("address {0}: {1}")]
    Net(String, &'static str),
    #[error("service {0}: expected one of wss, wss_panel, stunnel@wss, sshd_stunnel")]
    Service(String),
    #[error("line count {0}: expected a whole number from 1 to {MAX_LOG_LINES}")]
    Lines(String),
    #[error("port {0}: expected a whole number from 0 to 65535")]
    Port(String),
    #[error("password: {0}")]
    Password(DomainError),
    #[error("helper path {0}: expected an absolute path of letters, digits, '/', '.', '_', '-'")]
    HelperPath(String),
    #[error("{0}")]
    Account(String),
    #[error("ports: {0}")]
    Ports(String),
}

/// `raw` quoted for an error message: escaped (no newline can split the message) and cut.
pub fn quote(raw: &str) -> String {
    let cut: String = raw.chars().take(QUOTE_MAX_CHARS).collect();
    let ellipsis = if cut.len() < raw.len() { "..." } else { "" };
    format!("{cut:?}{ellipsis}")
}

/// An account name by the registry's rule (shape and reserved names).
pub fn username(raw: &str) -> Result<Username, ArgError> {
    Username::parse(raw).map_err(|e| ArgError::Username(quote(raw), e))
}

/// A password by the registry's rule: no control characters (`\n`, `\r`, `\0`) and no `:`,
/// which could add a line or a field to what `chpasswd` reads.
pub fn password(raw: &str) -> Result<Password, ArgError> {
    Password::parse(raw).map_err(ArgError::Password)
}

/// An address or network that may be banned (see the module doc for the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(raw: &str) -> Result<Self, ArgError> {
        let refuse = |why| ArgError::Net(quote(raw), why);
        let (addr_part, prefix_part) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let addr: IpAddr = addr_part.parse().map_err(|_| refuse("not an IPv4 or IPv6 address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_part {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| refuse("prefix out of range"))?
            }
            Some(_) => return Err(refuse("prefix must be a number after '/'")),
        };
        let net = IpNet { addr, prefix };
        net.check().map_err(refuse)?;
        Ok(net)
    }

    fn check(&self) -> Result<(), &'static str> {
        let (min, max) = if self.addr.is_ipv4() { (MIN_V4_PREFIX, 32) } else { (MIN_V6_PREFIX, 128) };
        if let IpAddr::V6(v6) = self.addr
            && v6.to_ipv4_mapped().is_some()
        {
            return Err("IPv4-mapped IPv6 address: write the IPv4 address");
        }
        if self.prefix > max {
            return Err("prefix longer than the address");
        }
        if self.prefix < min {
            return Err("network too wide: at least /8 for IPv4 and /32 for IPv6");
        }
        if mask(self.addr, self.prefix) != self.addr {
            return Err("host bits set after the prefix: give the network address");
        }
        let (loopback, unspecified) = match self.addr {
            IpAddr::V4(_) => (IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            IpAddr::V6(_) => (IpAddr::V6(Ipv6Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        };
        if self.addr.is_loopback() || self.contains(loopback) {
            return Err("covers loopback");
        }
        if self.contains(unspecified) {
            return Err("covers the unspecified address");
        }
        Ok(())
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }

    /// Is `ip` inside this network? (Different families never match.)
    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.prefix) == self.addr
    }

    /// Always `address/prefix`, even for one host (what iptables wants).
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.addr, self.prefix)
    }
}

/// Canonical form: a single host without its prefix, a network as `address/prefix`.
impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == host {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4) & u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

/// What the panel bans: a valid [`IpNet`] that does not cover the admin's own session
/// address, so an admin cannot lock themselves out.
pub fn ban_target(raw: &str, admin_ip: IpAddr) -> Result<IpNet, ArgError> {
    let net = IpNet::parse(raw)?;
    if net.contains(admin_ip) {
        return Err(ArgError::Net(quote(raw), "covers your own session address"));
    }
    Ok(net)
}

/// The services the helper may restart or read logs of; nothing else. Exactly the units
/// install.sh starts (its `SERVICES`; a test holds the two lists together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Wss,
    WssPanel,
    /// Debian's `stunnel@.service` template run on `/etc/stunnel/wss.conf`; never the SysV
    /// `stunnel4`, which install.sh leaves alone.
    StunnelWss,
    SshdStunnel,
}

impl Service {
    pub const ALL: [Service; 4] =
        [Service::Wss, Service::WssPanel, Service::StunnelWss, Service::SshdStunnel];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Wss => "wss",
            Service::WssPanel => "wss_panel",
            Service::StunnelWss => "stunnel@wss",
            Service::SshdStunnel => "sshd_stunnel",
        }
    }

    /// The systemd unit name.
    pub fn unit(self) -> String {
        format!("{}.service", self.as_str())
    }

    pub fn parse(raw: &str) -> Result<Self, ArgError> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw).ok_or_else(|| ArgError::Service(quote(raw)))
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many journal lines to show: 1 to [`MAX_LOG_LINES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLines(u16);

impl LogLines {
    pub fn new(n: u16) -> Result<Self, ArgError> {
        if (1..=MAX_LOG_LINES).contains(&n) { Ok(Self(n)) } else { Err(ArgError::Lines(n.to_string())) }
    }

    /// Digits only: no sign, no spaces, no exponent.
    pub fn parse(raw: &str) -> Result<Self, ArgError> {
        let refuse = || ArgError::Lines(quote(raw));
        if raw.is_empty() || raw.len() > 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        raw.parse().map_err(|_| refuse()).and_then(Self::new)
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// A TCP port: digits only (no sign, no spaces), 0 to 65535.
pub fn port(raw: &str) -> Result<u16, ArgError> {
    let refuse = || ArgError::Port(quote(raw));
    if raw.is_empty() || raw.len() > 5 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse());
    }
    raw.parse().map_err(|_| refuse())
}

/// A port something listens on: as [`port`], and never 0.
pub fn listen_port(raw: &str) -> Result<u16, ArgError> {
    match port(raw)? {
        0 => Err(ArgError::Port(quote(raw))),
        p => Ok(p),
    }
}

/// A path safe to put in a sudoers rule unquoted: absolute, and only characters sudoers
/// gives no meaning to.
pub fn helper_path(raw: &str) -> Result<&str, ArgError> {
    let plain = raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
    if raw.starts_with('/') && raw.len() <= 256 && plain && !raw.contains("/../") {
        Ok(raw)
    } else {
        Err(ArgError::HelperPath(quote(raw)))
    }
}

#[cfg(test)]
mod tests;
