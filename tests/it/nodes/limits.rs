//! `max_connections` across nodes: a user allowed 2 gets 429 on the third wherever it
//! lands, and once a tunnel closes on one node a new one opens on the other within 3 s
//! (a node's cached verdict never holds a count of the other nodes' tunnels).

use crate::helpers::net::{EchoServer, status_of, upgrade_head};
use crate::helpers::{PanelDir, wait_for};
use serde_json::json;
use std::time::{Duration, Instant};

fn open(addr: std::net::SocketAddr) -> std::net::TcpStream {
    crate::helpers::net::open_tunnel(addr, "tun", "pw-tun-1")
}

#[test]
fn max_connections_holds_across_two_nodes_and_a_freed_slot_opens_within_3_s() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    assert_eq!(panel.create_user("tun", "pw-tun-1", json!({ "max_connections": 2 })).status, 201);
    let (p1, p2) = (dir.start_proxy(), dir.start_proxy());
    panel.wait_for_log(&["NODE_CONNECTED"]);
    let live_conns =
        || panel.api("GET", "/api/live", None).json["users"]["tun"]["conns"].as_u64().unwrap_or(0);
    let a = open(p1.http);
    // The panel knows of the first before the second asks (reports come once a second).
    assert!(wait_for(Duration::from_secs(5), || (live_conns() == 1).then_some(())).is_some());
    let b = open(p2.http);
    assert!(wait_for(Duration::from_secs(5), || (live_conns() == 2).then_some(())).is_some());
    for proxy in [&p1, &p2] {
        let third = status_of(proxy.http, &upgrade_head("tun", "pw-tun-1"));
        assert_eq!(third, "HTTP/1.1 429 Too Many Connections", "{}", proxy.http);
    }
    // Close the one on node 2: node 1, which just refused (and cached a verdict), lets the
    // user in again within 3 s.
    drop(b);
    let closed = Instant::now();
    let reopened = wait_for(Duration::from_secs(10), || {
        status_of(p1.http, &upgrade_head("tun", "pw-tun-1")).contains("101").then(Instant::now)
    });
    let took = reopened.expect("node 1 kept refusing after a slot freed on node 2") - closed;
    assert!(took < Duration::from_secs(3), "a freed slot took {took:?} to be usable on another node");
    drop(a);
}
