//! File descriptors running out: the proxy and the panel each run under
//! `prlimit --nofile=256:256` while 1,000 connections wait for them. Neither may panic or
//! spin on `accept` (< 10% of a core while saturated, from `/proc/PID/stat`), and each
//! must serve a new client within 1 s after the connections go away. The panel caps its
//! connections below its fd limit, so it stops accepting instead of meeting `EMFILE`; so
//! does the proxy (two fds per tunnel).

use super::{PASSWORD, Rig, USER, cpu_time, size};
use crate::helpers::net::upgrade_head;
use crate::helpers::{BIN, PanelDir};
use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

const LIMIT: &str = "--nofile=256:256";
/// How long CPU use is sampled while saturated.
const SAMPLE: Duration = Duration::from_secs(3);

/// `count` idle connections to `to`; the kernel queues those the process cannot accept.
fn flood(to: SocketAddr, count: usize) -> Vec<TcpStream> {
    (0..count).map(|_| TcpStream::connect(to).unwrap()).collect()
}

/// Share of one core the process used over `SAMPLE`.
fn core_share(pid: u32) -> f64 {
    let (cpu0, t0) = (cpu_time(pid), Instant::now());
    std::thread::sleep(SAMPLE);
    (cpu_time(pid) - cpu0).as_secs_f64() / t0.elapsed().as_secs_f64()
}

#[test]
fn the_proxy_out_of_fds_neither_spins_nor_panics_and_recovers_within_a_second() {
    super::raise_nofile_limit();
    let count = size(1_000, 1_000);
    let mut rig = Rig::start(
        json!({ "handshake_timeout_secs": 60, "preauth_per_ip": 2000, "preauth_global": 4096 }),
        &["prlimit", LIMIT],
    );
    let pid = rig.proxy_pid();
    let conns = flood(rig.proxy.http, count);
    // Saturated: the proxy holds as many connections as its cap allows (two fds per tunnel
    // and a reserve stay free, so it never reaches EMFILE).
    let line = rig.proxy.wait_for_log(&["PROXY_LISTENING"]);
    let cap: usize = line.split("connections=").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((16..128).contains(&cap), "cap {cap} at 256 fds");
    let full =
        crate::helpers::wait_for(Duration::from_secs(10), || (super::open_fds(pid) >= cap).then_some(()));
    assert!(full.is_some(), "the proxy never filled its {cap} connections: {}", super::open_fds(pid));
    let share = core_share(pid);
    let failures = rig.proxy.log.lock().unwrap().iter().filter(|l| l.contains("ACCEPT_FAILED")).count();
    drop(conns);
    let freed = Instant::now();
    let mut s = crate::helpers::net::connect(rig.proxy.http);
    s.write_all(upgrade_head(USER, PASSWORD).as_bytes()).unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    let recovered = freed.elapsed();
    eprintln!(
        "proxy fds: {count} connections at 256 fds: {:.1}% of a core, {failures} ACCEPT_FAILED lines; \
         a tunnel {recovered:?} after they went",
        share * 100.0
    );
    assert_eq!(&head, b"HTTP/1.1 101");
    rig.assert_no_panic();
    assert_eq!(failures, 0, "the cap keeps accept from failing");
    assert!(share < 0.10, "the accept loop used {:.1}% of a core", share * 100.0);
    assert!(recovered <= Duration::from_secs(1), "a new tunnel took {recovered:?}");
}

#[test]
fn the_panel_out_of_fds_neither_spins_nor_panics_and_recovers_within_a_second() {
    let count = size(1_000, 1_000);
    let dir = PanelDir::new(json!({}));
    let stderr = dir.dir.path().join("panel.stderr");
    let mut command = Command::new("prlimit");
    command.args([LIMIT, BIN, "panel"]).stderr(std::fs::File::create(&stderr).unwrap());
    let mut panel = dir.start_panel_command(command, &[]);
    let pid = panel.child.id();
    let to: SocketAddr = panel.url.trim_start_matches("http://").parse().unwrap();
    let quiet = Instant::now();
    assert_eq!(panel.api("GET", "/api/users", None).status, 200);
    let quiet = quiet.elapsed();
    let conns = flood(to, count);
    // Saturated: the panel holds as many connections as its cap allows (it keeps fds in
    // reserve for the store and the root helper, so it never reaches EMFILE).
    let line = panel.wait_for_log(&["PANEL_LISTENING"]);
    let cap: usize = line.split("connections=").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((64..256).contains(&cap), "cap {cap} at 256 fds");
    let full =
        crate::helpers::wait_for(Duration::from_secs(10), || (super::open_fds(pid) >= cap).then_some(()));
    assert!(full.is_some(), "the panel never filled its {cap} connections: {}", super::open_fds(pid));
    let share = core_share(pid);
    drop(conns);
    let freed = Instant::now();
    let reply = panel.api("GET", "/api/users", None);
    let recovered = freed.elapsed();
    eprintln!(
        "panel fds: {count} connections at 256 fds: {:.1}% of a core; an API call {recovered:?} after they \
         went ({quiet:?} before)",
        share * 100.0
    );
    assert_eq!(reply.status, 200);
    assert!(panel.child.try_wait().unwrap().is_none(), "the panel exited");
    let text = std::fs::read_to_string(&stderr).unwrap();
    assert!(!text.contains("panicked"), "the panel panicked:\n{text}");
    assert!(share < 0.10, "the panel used {:.1}% of a core", share * 100.0);
    assert!(recovered <= Duration::from_secs(1), "an API call took {recovered:?}");
}
