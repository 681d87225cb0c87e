//! What the host's `/proc/net/tcp` and a PEM certificate say, for both processes: the
//! panel's system status and port checks (`web::host_metrics`, `web::cert_expiry`) and a
//! node's own health report (`proxy::health`). The parsers are pure; `listening_ports` reads.

use std::collections::HashSet;

/// Local ports in state LISTEN from `/proc/net/tcp` or `tcp6`. Pure.
pub fn parse_listening(table: &str) -> HashSet<u16> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let port = cols.get(1)?.rsplit(':').next()?;
            (cols.get(3) == Some(&"0A")).then(|| u16::from_str_radix(port, 16).ok()).flatten()
        })
        .collect()
}

/// Every port in state LISTEN on this host (IPv4 and IPv6), from `/proc/net/tcp{,6}`.
pub fn listening_ports() -> HashSet<u16> {
    let mut ports = HashSet::new();
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(f) {
            ports.extend(parse_listening(&text));
        }
    }
    ports
}

/// notAfter of the first certificate in PEM text, in unix seconds. No I/O.
pub fn not_after(pem: &[u8]) -> Result<i64, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).map_err(|e| e.to_string())?;
    let cert = pem.parse_x509().map_err(|e| e.to_string())?;
    Ok(cert.validity().not_after.timestamp())
}

/// Whole days left at `now` (rounded down: 4 days 23 hours is 4); negative once expired.
pub fn days_left(not_after: i64, now: i64) -> i64 {
    (not_after - now).div_euclid(86_400)
}
