//! The panel `kill -9`ed with 1,000 established tunnels: none drops, each keeps carrying
//! bytes through the outage, handshakes during it follow the documented rule (a user whose
//! verdict the proxy has cached gets in, one it has never seen gets 503), and after the
//! restart every byte is counted exactly once.

use super::{raise_nofile_limit, size};
use crate::helpers::net::{EchoServer, connect, noise, read_exact, read_head, upgrade_head};
use crate::helpers::{PanelDir, wait_for};
use serde_json::json;
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

const USER: &str = "outage";
const PASSWORD: &str = "pw-outage-1";
const CHUNK: usize = 1024;

/// One echo round on every tunnel; panics naming the first that fails.
fn round(tunnels: &mut [TcpStream], seed: u64) -> u64 {
    for (i, s) in tunnels.iter_mut().enumerate() {
        let data = noise(CHUNK, seed + i as u64);
        s.write_all(&data).unwrap_or_else(|e| panic!("tunnel {i} dropped: {e}"));
        let mut back = vec![0; CHUNK];
        std::io::Read::read_exact(s, &mut back)
            .unwrap_or_else(|e| panic!("tunnel {i} (round {seed}) gave no echo: {e}"));
        assert_eq!(back, data, "tunnel {i}");
    }
    (tunnels.len() * CHUNK) as u64
}

/// An upgrade; after a 101 the client speaks first, as an SSH client does, with its
/// identification line (the proxy drops blank lines an app's payload leaves before it, so
/// the first bytes must not be arbitrary), and reads its echo.
fn open(addr: std::net::SocketAddr, user: &str, password: &str) -> (String, TcpStream) {
    let mut s = connect(addr);
    s.write_all(upgrade_head(user, password).as_bytes()).unwrap();
    let head = read_head(&mut s);
    let line = head.lines().next().unwrap_or_default().to_owned();
    if line.contains("101") {
        s.write_all(IDENT).unwrap();
        assert_eq!(read_exact(&mut s, IDENT.len()), IDENT);
    }
    (line, s)
}

const IDENT: &[u8] = b"SSH-2.0-OpenSSH_9.2p1\r\n";

#[test]
fn a_panel_kill_with_a_thousand_tunnels_drops_none_and_counts_every_byte_once() {
    raise_nofile_limit();
    let count = size(1_000, 1_000);
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let mut panel = dir.start();
    assert_eq!(panel.create_user(USER, PASSWORD, json!({})).status, 201);
    assert_eq!(panel.create_user("neverseen", "pw-never-1", json!({})).status, 201);
    let proxy = dir.start_proxy();

    let opened = Instant::now();
    let mut tunnels: Vec<TcpStream> = (0..count)
        .map(|i| {
            let (line, s) = open(proxy.http, USER, PASSWORD);
            assert!(line.contains("101"), "tunnel {i}: {line}");
            s
        })
        .collect();
    let opening = opened.elapsed();
    let reached = wait_for(Duration::from_secs(10), || (echo.connections() == count).then_some(()));
    assert!(reached.is_some(), "sshd got {} of {count} connections", echo.connections());
    let mut moved = (count + 1) as u64 * IDENT.len() as u64 + round(&mut tunnels, 0);
    assert!(
        wait_for(Duration::from_secs(10), || (panel.metric("wss_tunnels") == count.to_string())
            .then_some(()))
        .is_some()
    );

    panel.kill9();
    // During the outage: every tunnel still carries bytes; a cached user gets in, a user the
    // proxy has never seen gets 503.
    moved += round(&mut tunnels, 10_000);
    let (line, mut extra) = open(proxy.http, USER, PASSWORD);
    assert!(line.contains("101"), "a cached user during the outage: {line}");
    let data = noise(CHUNK, 7);
    extra.write_all(&data).unwrap();
    assert_eq!(read_exact(&mut extra, CHUNK), data);
    moved += CHUNK as u64;
    let (line, _) = open(proxy.http, "neverseen", "pw-never-1");
    assert!(line.contains("503"), "an unknown user during the outage: {line}");

    panel = dir.start();
    moved += round(&mut tunnels, 20_000);
    drop(extra);
    drop(tunnels);
    let expected = 2 * moved;
    let used = || panel.api("GET", &format!("/api/users/{USER}"), None).json["used_bytes"].as_u64().unwrap();
    assert!(
        wait_for(Duration::from_secs(30), || (used() == expected).then_some(())).is_some(),
        "store has {}, the tunnels moved {expected}",
        used()
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(used(), expected, "nothing counted twice later");
    eprintln!(
        "PANEL_OUTAGE tunnels={count} opened_in={:.1}s dropped=0 bytes={expected}",
        opening.as_secs_f64()
    );
}
