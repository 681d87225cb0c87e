//! Reading the host's CPU, memory and listening ports from `/proc` text. The parsers are
//! pure; `sample_*` functions do the reading.

pub use crate::host_probe::{listening_ports, parse_listening};

/// (busy, total) jiffies from the first line of `/proc/stat`. Pure.
pub fn parse_cpu(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    if v.len() < 4 {
        return None;
    }
    let total: u64 = v.iter().sum();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// (total, available) bytes from `/proc/meminfo`. Pure.
pub fn parse_mem(meminfo: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        meminfo.lines().find_map(|l| l.strip_prefix(name)?.split_whitespace().next()?.parse::<u64>().ok())
    };
    Some((field("MemTotal:")? * 1024, field("MemAvailable:")? * 1024))
}

/// CPU use in percent over a short interval.
pub async fn sample_cpu() -> Option<f64> {
    let read = || std::fs::read_to_string("/proc/stat").ok().and_then(|s| parse_cpu(&s));
    let (b1, t1) = read()?;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(250)).await;
    let (b2, t2) = read()?;
    let dt = t2.saturating_sub(t1);
    (dt > 0).then(|| (b2.saturating_sub(b1)) as f64 * 100.0 / dt as f64)
}

pub fn sample_mem() -> Option<(u64, u64)> {
    parse_mem(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

/// (total, available) bytes of the root file system.
pub fn sample_disk() -> Option<(u64, u64)> {
    let s = nix::sys::statvfs::statvfs("/").ok()?;
    let frag = s.fragment_size() as u64;
    Some((s.blocks() as u64 * frag, s.blocks_available() as u64 * frag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn proc_text_parses() {
        assert_eq!(parse_cpu("cpu  10 0 10 70 10 0 0 0 0 0\ncpu0 1"), Some((20, 100)));
        assert_eq!(parse_cpu("garbage"), None);
        let mem = "MemTotal:       2000 kB\nMemFree: 5 kB\nMemAvailable:   500 kB\n";
        assert_eq!(parse_mem(mem), Some((2_048_000, 512_000)));
        let tcp = "  sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A 0\n   1: 0100007F:0016 0100007F:9C40 01 0\n";
        assert_eq!(parse_listening(tcp), HashSet::from([8080]));
    }
}
