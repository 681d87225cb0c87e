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

fn open_tunnel(addr: std::net::SocketAddr) -> std::net::TcpStream {
    crate::helpers::net::open_tunnel(addr, "tun", "pw-tun-1")
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

/// Streams through a new tunnel while sampling the panel's live rate of `tun` (KiB/s up plus
/// down) every 200 ms, until the rate satisfied `seen` for `span` (the fuse decider ran on
/// those rates meanwhile). Fails if the tunnel closes first or `seen` never holds in 20 s.
fn stream_while_the_panel_sees(
    panel: &crate::helpers::Panel,
    proxy: std::net::SocketAddr,
    span: Duration,
    seen: impl Fn(f64) -> bool,
) -> Vec<f64> {
    let s = open_tunnel(proxy);
    let (stop, closed_early) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let mut w = s.try_clone().unwrap();
    let flag = stop.clone();
    let writer = std::thread::spawn(move || {
        let chunk = noise(64 * 1024, 3);
        while !flag.load(Ordering::Relaxed) && w.write_all(&chunk).is_ok() {}
    });
    let mut r = s.try_clone().unwrap();
    let (flag, closed) = (stop.clone(), closed_early.clone());
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while matches!(r.read(&mut buf), Ok(n) if n > 0) {}
        closed.store(!flag.load(Ordering::SeqCst), Ordering::SeqCst);
    });
    let (mut samples, mut first, deadline) = (Vec::new(), None, Instant::now() + Duration::from_secs(20));
    while first.is_none_or(|t: Instant| t.elapsed() < span) {
        assert!(Instant::now() < deadline, "the panel never saw the expected rate: {samples:?}");
        assert!(!closed_early.load(Ordering::SeqCst), "the tunnel was closed; rates seen: {samples:?}");
        let live = panel.api("GET", "/api/live", None).json;
        let rate = live["users"]["tun"]["up"].as_f64().unwrap_or(0.0)
            + live["users"]["tun"]["down"].as_f64().unwrap_or(0.0);
        samples.push(rate);
        if seen(rate) {
            first.get_or_insert_with(Instant::now);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!closed_early.load(Ordering::SeqCst), "the tunnel was closed; rates seen: {samples:?}");
    assert_eq!(status(panel), "active", "rates seen: {samples:?}");
    stop.store(true, Ordering::SeqCst);
    let _ = s.shutdown(std::net::Shutdown::Both);
    writer.join().unwrap();
    reader.join().unwrap();
    samples
}

#[test]
fn below_the_threshold_or_with_the_fuse_off_nobody_is_fused() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    panel.create_user("tun", "pw-tun-1", json!({ "rate_kbps": 64 }));
    let put = panel.api("PUT", "/api/settings", Some(json!({"fuse_threshold_kbps": 1024})));
    assert_eq!((put.status, &put.json["fuse_threshold_kbps"]), (200, &json!(1024)));
    let proxy = dir.start_proxy();
    // Below: the panel sees the limited rate (64 KiB/s each way) for three seconds of ticks.
    stream_while_the_panel_sees(&panel, proxy.http, Duration::from_secs(3), |r| r > 32.0 && r < 1024.0);
    // Off: unlimited, the panel sees a rate that would trip a 1024 KiB/s fuse, and no fuse.
    let off = panel.api("PUT", "/api/settings", Some(json!({"fuse_threshold_kbps": 0})));
    assert_eq!((off.status, &off.json["fuse_threshold_kbps"]), (200, &json!(0)));
    assert_eq!(panel.api("PATCH", "/api/users/tun", Some(json!({"rate_kbps": 0}))).status, 200);
    stream_while_the_panel_sees(&panel, proxy.http, Duration::from_secs(3), |r| r > 2048.0);
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
fn the_scheduler_tick_expires_a_user_when_the_day_turns_and_kicks_within_three_seconds() {
    // The panel's clock reads `LEAD` before a UTC midnight: its start-up sync finds the user
    // active, so only a later tick (every second here) can expire them once the day turns.
    const LEAD: u64 = 10;
    let echo = EchoServer::start();
    let dir =
        PanelDir::new(json!({ "internal_forward_port": echo.addr.port(), "maintenance_interval_secs": 1 }));
    let real = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let midnight = (real.as_secs() / 86_400 + 2) * 86_400;
    let offset = midnight - LEAD - real.as_secs();
    // When the panel's day turns, on this process's monotonic clock.
    let turn = Instant::now() + Duration::from_secs(LEAD) - Duration::from_nanos(real.subsec_nanos().into());
    let panel = dir.start_with_env(&[("WSS_PANEL_CLOCK_OFFSET_SECS", &offset.to_string())]);
    let last_day = wss_panel::domain::format_day((midnight / 86_400) as i32);
    let created = panel.create_user("tun", "pw-tun-1", json!({ "expires_on": last_day }));
    assert_eq!((created.status, &created.json["status"]), (201, &json!("active")), "{:?}", created.json);
    let proxy = dir.start_proxy();
    let mut s = open_tunnel(proxy.http);
    s.write_all(b"SSH-2.0-x\r\n").unwrap();
    read_exact(&mut s, 11);
    assert!(
        Instant::now() < turn,
        "set-up took longer than {LEAD} s: the day turned before the tunnel was up"
    );
    let mark = panel.log.lock().unwrap().len();
    assert!(closed_within(&mut s, turn + Duration::from_secs(6) - Instant::now()), "the tunnel stayed open");
    let closed = Instant::now();
    assert!(closed >= turn, "closed {:?} before the day turned", turn - closed);
    assert!(closed - turn < Duration::from_secs(3), "closed {:?} after the day turned", closed - turn);
    assert_eq!(status(&panel), "expired");
    crate::helpers::wait_log(&panel.log, mark, &["USER_STATUS", "tun", "to=expired"]);
    // Renewed: active again, by the next sync at the latest.
    assert_eq!(panel.api("POST", "/api/users/tun/renew", Some(json!({"days": 30}))).json["status"], "active");
    assert_eq!(status_of(proxy.http, &upgrade_head("tun", "pw-tun-1")), "HTTP/1.1 101 Switching Protocols");
}

/// Issue 12 §4: an expiry takes effect at the moment it passes (a timer for it), not at the
/// scheduler's next 60 s tick. The panel's clock is set `LEAD` before a UTC midnight, the end
/// of the user's last day.
#[test]
fn an_expiry_closes_the_tunnel_within_two_seconds_of_passing() {
    const LEAD: u64 = 15;
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let real = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let started = Instant::now();
    let secs = real.as_secs();
    let offset = (86_400 - secs % 86_400) as i64 - LEAD as i64;
    // The panel reads whole seconds: its midnight is the real second `secs + LEAD`.
    let moment = started + Duration::from_secs(LEAD) - Duration::from_nanos(real.subsec_nanos().into());
    let panel = dir.start_with_env(&[(wss_panel::domain::CLOCK_OFFSET_ENV, &offset.to_string())]);
    let created = panel.create_user("tun", "pw-tun-1", json!({ "days": 1 }));
    assert_eq!(created.json["status"], "active", "{:?}", created.json);
    let proxy = dir.start_proxy();
    let mut s = open_tunnel(proxy.http);
    s.write_all(b"SSH-2.0-x\r\n").unwrap();
    read_exact(&mut s, 11);
    assert!(Instant::now() + Duration::from_secs(1) < moment, "the setup took longer than {LEAD} s");

    let deadline = moment + Duration::from_secs(2);
    assert!(closed_within(&mut s, deadline - Instant::now()), "the tunnel outlived the expiry by 2 s");
    assert!(Instant::now() + Duration::from_millis(200) >= moment, "closed before the expiry passed");
    assert_eq!(status(&panel), "expired");
    panel.wait_for_log(&["USER_STATUS", "to=expired"]);
}
