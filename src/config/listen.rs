//! Where the processes listen: the default address (dual-stack where the kernel has IPv6)
//! and the check that configured ports are in range and distinct. No I/O but one `/proc` look.

use std::net::IpAddr;
use std::path::Path;

/// The default listening address of the panel and the proxy: `::`, which on Linux (with the
/// default `net.ipv6.bindv6only = 0`) takes IPv4 and IPv6 alike; `0.0.0.0` on a kernel
/// without IPv6 (booted with `ipv6.disable=1`), where `::` cannot be bound. `panel_bind` and
/// `wss_bind` in config.json override it.
pub fn any_address() -> IpAddr {
    if Path::new("/proc/net/if_inet6").exists() {
        IpAddr::from(std::net::Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::from([0, 0, 0, 0])
    }
}

/// Each port within 0..=65535 (0 = any free port, for tests and `up`); non-zero ports
/// distinct.
pub(super) fn check_ports<const N: usize>(ports: &[(&str, i64); N]) -> Result<[u16; N], String> {
    let mut out = [0u16; N];
    for (i, (name, port)) in ports.iter().enumerate() {
        out[i] = u16::try_from(*port)
            .map_err(|_| format!("{name} {port} is out of range; a port is 1 to 65535"))?;
        if *port == 0 {
            continue;
        }
        if let Some((other, _)) = ports[..i].iter().find(|(_, p)| p == port) {
            return Err(format!("{name} and {other} are both {port}; each port must be different"));
        }
    }
    Ok(out)
}
