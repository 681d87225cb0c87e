//! The panel's live half end to end: fuse, quota, expiry by the scheduler, with the real
//! panel and proxy processes and streaming tunnels.

use crate::helpers::net::*;
use crate::helpers::{PanelDir, wait_for};
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn open_tunnel(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = connect(addr);
    s.write_all(upgrade_head("tun", "pw-tun-1").as_bytes()).unwrap();
    let head = read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    s
}

/// Streams through the echo until the tunnel closes or `limit` passes; answers when it
/// closed (None if it never did).
fn stream_until_closed(s: TcpStream, limit: Duration) -> Option<Instant> {
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = noise(64 * 1024, 3);
        while !flag.load(Ordering::Relaxed) && w.write_all(&chunk).is_ok() {}
    });
    let mut r = s;
    r.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let deadline = Instant::now() + limit;
    let mut buf = vec![0u8; 64 * 1024];
    let closed = loop {
        match r.read(&mut buf) {
            Ok(0) => break Some(Instant::now()),
            Err(e)
                if e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::TimedOut =>
            {
                break Some(Instant::now());
            }
            _ if Instant::now() > deadline => break None,
            _ => {}
        }
    };
    done.store(true, Ordering::Relaxed);
    let _ = r.shutdown(std::net::Shutdown::Both);
    writer.join().unwrap();
    closed
}

fn status(panel: &crate::helpers::Panel) -> String {
    panel.api("GET", "/api/users/tun", None).json["status"].as_str().unwrap().to_owned()
}

#[test]
fn a_user_over_the_fuse_threshold_is_fused_within_two_seconds_and_kicked() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    panel.create_user("tun", "pw-tun-1", json!({}));
    assert_eq!(panel.api("PUT", "/api/settings", Some(json!({"fuse_threshold_kbps": 2048}))).status, 200);
    let proxy = dir.start_proxy();
    let started = Instant::now();
    let closed = stream_until_closed(open_tunnel(proxy.http), Duration::from_secs(10));
    let closed = closed.expect("the fuse closed the tunnel").duration_since(started);
    // One report interval plus one aggregation tick, with scheduling slack.
    assert!(closed < Duration::from_millis(2500), "closed after {closed:?}");
    assert_eq!(status(&panel), "fused");
    panel.wait_for_log(&["USER_FUSED", "tun"]);
    assert_eq!(status_of(proxy.http, &upgrade_head("tun", "pw-tun-1")), "HTTP/1.1 403 Fused");
    let audit = panel.api("GET", "/api/audit?limit=5", None).json.to_string();
    assert!(audit.contains("USER_FUSED"), "{audit}");
    // Only an admin lifts it.
    assert_eq!(panel.api("POST", "/api/users/tun/resume", None).json["status"], "active");
}

#[test]
fn below_the_threshold_or_with_the_fuse_off_nobody_is_fused() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    panel.create_user("tun", "pw-tun-1", json!({ "rate_kbps": 64 }));
    panel.api("PUT", "/api/settings", Some(json!({"fuse_threshold_kbps": 1024})));
    let proxy = dir.start_proxy();
    assert!(stream_until_closed(open_tunnel(proxy.http), Duration::from_secs(3)).is_none());
    assert_eq!(status(&panel), "active");
}

#[test]
fn quota_below_usage_makes_the_user_exceeded_closes_the_tunnel_and_reset_lets_them_back() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    panel.create_user("tun", "pw-tun-1", json!({}));
    let proxy = dir.start_proxy();
    let mut s = open_tunnel(proxy.http);
    s.write_all(&noise(100_000, 1)).unwrap();
    read_exact(&mut s, 100_000);
    let used = wait_for(Duration::from_secs(10), || {
        let u = panel.api("GET", "/api/users/tun", None).json["used_bytes"].as_u64().unwrap();
        (u > 0).then_some(u)
    })
    .expect("traffic reached the store");
    let reply = panel.api("PATCH", "/api/users/tun", Some(json!({"quota_bytes": used / 2})));
    assert_eq!(reply.json["status"], "exceeded");
    assert!(closed_within(&mut s, Duration::from_secs(2)), "the tunnel was closed");
    assert_eq!(status_of(proxy.http, &upgrade_head("tun", "pw-tun-1")), "HTTP/1.1 403 Quota Exceeded");
    assert_eq!(panel.api("POST", "/api/users/tun/reset-traffic", None).json["status"], "active");
    assert_eq!(status_of(proxy.http, &upgrade_head("tun", "pw-tun-1")), "HTTP/1.1 101 Switching Protocols");
}

#[test]
fn traffic_that_crosses_the_quota_closes_the_tunnel() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    panel.create_user("tun", "pw-tun-1", json!({ "quota_bytes": 4 << 20 }));
    let proxy = dir.start_proxy();
    let closed = stream_until_closed(open_tunnel(proxy.http), Duration::from_secs(10));
    assert!(closed.is_some(), "the tunnel was closed once over quota");
    assert_eq!(status(&panel), "exceeded");
}

#[test]
fn the_scheduler_expires_users_as_days_pass_and_kicks_their_tunnels() {
    let echo = EchoServer::start();
    let dir =
        PanelDir::new(json!({ "internal_forward_port": echo.addr.port(), "maintenance_interval_secs": 1 }));
    let mut panel = dir.start();
    panel.create_user("tun", "pw-tun-1", json!({ "days": 1 }));
    let proxy = dir.start_proxy();
    let mut s = open_tunnel(proxy.http);
    s.write_all(b"SSH-2.0-x\r\n").unwrap();
    read_exact(&mut s, 11);
    // Two days later, as far as the panel can tell.
    panel.kill9();
    let panel = dir.start_with_env(&[("WSS_PANEL_CLOCK_OFFSET_SECS", "172800")]);
    panel.wait_for_log(&["SYNC", "changed=1"]);
    assert!(closed_within(&mut s, Duration::from_secs(5)), "the expired user's tunnel was closed");
    assert_eq!(status(&panel), "expired");
    // Renewed: active again, by the next sync at the latest.
    assert_eq!(panel.api("POST", "/api/users/tun/renew", Some(json!({"days": 30}))).json["status"], "active");
    assert_eq!(status_of(proxy.http, &upgrade_head("tun", "pw-tun-1")), "HTTP/1.1 101 Switching Protocols");
}
