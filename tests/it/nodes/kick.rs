//! The panel's commands reach every node: a kick and a pause close the user's tunnels on
//! both proxies. A node that vanishes (stopped, not closed) stops counting within 10 s while
//! the other keeps counting.

use crate::helpers::net::{EchoServer, closed_within};
use crate::helpers::{PanelDir, wait_for};
use serde_json::json;
use std::time::{Duration, Instant};

fn open(addr: std::net::SocketAddr) -> std::net::TcpStream {
    crate::helpers::net::open_tunnel(addr, "tun", "pw-tun-1")
}

#[test]
fn kick_and_pause_close_tunnels_on_both_nodes_and_a_vanished_node_stops_counting() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    assert_eq!(panel.create_user("tun", "pw-tun-1", json!({})).status, 201);
    let (p1, p2) = (dir.start_proxy(), dir.start_proxy());
    let nodes = || panel.api("GET", "/api/live", None).json["nodes"].as_array().map_or(0, Vec::len);
    assert!(wait_for(Duration::from_secs(10), || (nodes() == 2).then_some(())).is_some());

    let (mut a, mut b) = (open(p1.http), open(p2.http));
    assert_eq!(panel.api("POST", "/api/users/tun/kick", None).status, 200);
    assert!(closed_within(&mut a, Duration::from_secs(3)), "kick missed node 1");
    assert!(closed_within(&mut b, Duration::from_secs(3)), "kick missed node 2");

    let (mut a, mut b) = (open(p1.http), open(p2.http));
    assert_eq!(panel.api("POST", "/api/users/tun/pause", None).status, 200);
    assert!(closed_within(&mut a, Duration::from_secs(3)), "pause missed node 1");
    assert!(closed_within(&mut b, Duration::from_secs(3)), "pause missed node 2");
    assert_eq!(panel.api("POST", "/api/users/tun/resume", None).status, 200);

    let (_a, _b) = (open(p1.http), open(p2.http));
    let conns = || panel.api("GET", "/api/live", None).json["users"]["tun"]["conns"].as_u64().unwrap_or(0);
    assert!(wait_for(Duration::from_secs(5), || (conns() == 2).then_some(())).is_some());
    let pid = p2.child.id().to_string();
    let signal = |sig: &str| std::process::Command::new("kill").args([sig, &pid]).status().unwrap();
    signal("-STOP");
    let stopped = Instant::now();
    let dropped = wait_for(Duration::from_secs(15), || (conns() == 1 && nodes() == 1).then(Instant::now));
    signal("-CONT");
    let took = dropped.expect("a vanished node kept counting") - stopped;
    assert!(took < Duration::from_secs(10), "a vanished node counted for {took:?}");
}
