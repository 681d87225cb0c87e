//! The proxy facing the internet: auth failures throttled before the panel is asked, caps on
//! connections that have not authenticated, and client text escaped in the logs. Real panel
//! and proxy processes; other 127.0.0.0/8 source addresses stand for other clients.

use crate::helpers::net::*;
use crate::helpers::{PanelDir, wait_for};
use serde_json::json;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wss_panel::proxy::throttle::{PER_IP, PER_USER};

struct Rig {
    _echo: EchoServer,
    _dir: PanelDir,
    panel: crate::helpers::Panel,
    proxy: crate::helpers::ProxyProcess,
}

/// Panel + proxy with users `tun` / `pw-tun-1` and `other` / `pw-other-1`.
fn rig(config: serde_json::Value) -> Rig {
    let echo = EchoServer::start();
    let mut config = config;
    config["internal_forward_port"] = json!(echo.addr.port());
    let dir = PanelDir::new(config);
    let panel = dir.start();
    assert_eq!(panel.create_user("tun", "pw-tun-1", json!({})).status, 201);
    assert_eq!(panel.create_user("other", "pw-other-1", json!({})).status, 201);
    let proxy = dir.start_proxy();
    Rig { _echo: echo, _dir: dir, panel, proxy }
}

/// A client connection from source address `src` (any 127/8 address is local).
fn connect_from(src: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::from((src, 0)).into())?;
    socket.connect(&to.into())?;
    let stream = TcpStream::from(socket);
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    Ok(stream)
}

/// Status line of the proxy's answer to `payload` sent from `src`.
fn status_from(src: [u8; 4], to: SocketAddr, payload: &str) -> String {
    let mut s = connect_from(src, to).unwrap();
    s.write_all(payload.as_bytes()).unwrap();
    read_head(&mut s).lines().next().unwrap_or_default().to_owned()
}

const OK: &str = "HTTP/1.1 101 Switching Protocols";
const WRONG: &str = "HTTP/1.1 401 Unauthorized";
const THROTTLED: &str = "HTTP/1.1 429 Too Many Requests";

/// The panel's `/metrics` text, read as Prometheus would.
fn panel_metrics_text(panel: &crate::helpers::Panel) -> String {
    let mut resp = crate::helpers::agent()
        .get(&format!("{}/metrics", panel.url))
        .header("authorization", &format!("Bearer {}", panel.metrics_token()))
        .call()
        .unwrap();
    resp.body_mut().read_to_string().unwrap()
}

/// The sum of a metric's samples (all label sets).
fn panel_metric(panel: &crate::helpers::Panel, name: &str) -> u64 {
    panel_metrics_text(panel)
        .lines()
        .filter(|l| l.starts_with(&format!("{name} ")) || l.starts_with(&format!("{name}{{")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Tunnel auth answers the panel has given so far (`wss_auth_total`, all results).
fn panel_auth_total(panel: &crate::helpers::Panel) -> u64 {
    panel_metric(panel, "wss_auth_total")
}

#[test]
fn after_ten_wrong_passwords_from_one_address_the_next_is_throttled_before_the_panel() {
    let r = rig(json!({}));
    let (attacker, neighbour) = ([127, 0, 0, 2], [127, 0, 0, 3]);
    for i in 0..PER_IP.free {
        assert_eq!(status_from(attacker, r.proxy.http, &upgrade_head("tun", &format!("guess-{i}"))), WRONG);
    }
    let asked = panel_auth_total(&r.panel);
    assert!(asked >= u64::from(PER_IP.free), "the free guesses reached the panel: {asked}");
    assert_eq!(status_from(attacker, r.proxy.http, &upgrade_head("tun", "guess-x")), THROTTLED);
    // Not cached yet, so even the right password waits out the block from that address.
    assert_eq!(status_from(attacker, r.proxy.http, &upgrade_head("tun", "pw-tun-1")), THROTTLED);
    r.proxy.wait_for_log(&["AUTH_THROTTLED", "by=\"ip\"", "tun"]);
    assert_eq!(panel_auth_total(&r.panel), asked, "throttled attempts never reached the panel");
    let counted = wait_for(Duration::from_secs(5), || {
        (panel_metric(&r.panel, "wss_auth_throttled_total") == 2).then_some(())
    });
    assert!(counted.is_some(), "both throttled attempts are counted in /metrics");
    // Another address gets through, the same name included.
    assert_eq!(status_from(neighbour, r.proxy.http, &upgrade_head("tun", "pw-tun-1")), OK);
    // Now the verdict is cached at the proxy: it needs neither the panel nor the throttle.
    assert_eq!(status_from(attacker, r.proxy.http, &upgrade_head("tun", "pw-tun-1")), OK);
}

#[test]
fn a_name_guessed_from_many_addresses_is_throttled_and_other_names_still_get_in() {
    let r = rig(json!({}));
    // Four guesses per address stay under the per-address limit; the name collects them all.
    for i in 0..PER_USER.free {
        let src = [127, 0, 1, 1 + (i / 4) as u8];
        assert_eq!(status_from(src, r.proxy.http, &upgrade_head("tun", &format!("guess-{i}"))), WRONG);
    }
    let fresh = [127, 0, 2, 1];
    let asked = panel_auth_total(&r.panel);
    assert_eq!(status_from(fresh, r.proxy.http, &upgrade_head("tun", "guess-x")), THROTTLED);
    r.proxy.wait_for_log(&["AUTH_THROTTLED", "by=\"user\""]);
    assert_eq!(panel_auth_total(&r.panel), asked);
    assert_eq!(status_from(fresh, r.proxy.http, &upgrade_head("other", "pw-other-1")), OK);
}

#[test]
fn a_cached_user_gets_in_during_a_flood_of_wrong_passwords() {
    let r = rig(json!({}));
    let user = [127, 0, 0, 9];
    assert_eq!(status_from(user, r.proxy.http, &upgrade_head("tun", "pw-tun-1")), OK);
    // The first tunnel records the user's first use, a change of the user. Whatever the panel
    // sends the proxy for it arrives before this barrier (a hosts reload on the same socket):
    // it must not drop the cached verdict, or the flood's name lock would refuse "tun".
    let first_use = wait_for(Duration::from_secs(10), || {
        r.panel.api("GET", "/api/users/tun", None).json["first_used_at"].as_i64()
    });
    assert!(first_use.is_some(), "the first tunnel was not recorded");
    let barrier = "barrier.example.net";
    assert_eq!(
        r.panel.api("PUT", "/api/hosts", Some(json!({ "hosts": ["tunnel.example", barrier] }))).status,
        200
    );
    r.proxy.wait_for_log(&["IPC_COMMAND", barrier]);
    let log = r.proxy.log.lock().unwrap().join("\n");
    assert!(
        !log.contains("UpdateLimits"),
        "the first use sent the proxy an update (dropping the cached verdict)"
    );
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let http = r.proxy.http;
    // Ten flooding addresses, each with its own name guesses, until told to stop (bounded).
    let flood: Vec<_> = (0..10u8)
        .map(|i| {
            let (stop, sent) = (stop.clone(), sent.clone());
            std::thread::spawn(move || {
                let mut throttled = 0u32;
                for n in 0..2_000u32 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let name = if n % 2 == 0 { "tun".to_owned() } else { format!("ghost{i}") };
                    if status_from([127, 0, 3, 1 + i], http, &upgrade_head(&name, "nope")) == THROTTLED {
                        throttled += 1;
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                throttled
            })
        })
        .collect();
    assert!(
        wait_for(Duration::from_secs(10), || (sent.load(Ordering::Relaxed) > 300).then_some(())).is_some()
    );
    for _ in 0..20 {
        let started = Instant::now();
        assert_eq!(status_from(user, http, &upgrade_head("tun", "pw-tun-1")), OK);
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    let throttled: u32 = flood.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(throttled > 0, "the flood was throttled");
}

/// Resident memory of `pid`, bytes.
fn rss_bytes(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = text.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap();
    kib.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap() * 1024
}

/// A head that never ends, 16 KiB less a byte: tiny header lines, or long ones.
fn endless_head(tiny: bool) -> Vec<u8> {
    let max = wss_panel::proxy::handshake::MAX_HEAD_BYTES - 1;
    let line: &[u8] = if tiny { b"a:\r\n" } else { &[b"X-Pad: ".as_slice(), &[b'p'; 150], b"\r\n"].concat() };
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    while head.len() < max {
        head.extend_from_slice(line);
    }
    head.truncate(max);
    head
}

/// The open-files soft limit raised to the hard one, for thousands of sockets.
fn raise_nofile_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
}

/// The proxy's RSS may grow by this much over its idle size while 2,000 slow connections
/// with maximal heads come from one address: 128 of them are held (16 KiB head, 4 KiB read
/// buffer, at most 100 header entries each), the rest are refused at accept.
const RSS_GROWTH_BOUND: u64 = 48 << 20;

#[test]
fn two_thousand_slow_maximal_heads_from_one_address_keep_rss_bounded_and_others_get_in() {
    raise_nofile_limit();
    let r = rig(json!({}));
    let pid = r.proxy.child.id();
    let idle = rss_bytes(pid);
    let peak = Arc::new(AtomicU64::new(idle));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_bytes(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let heads = [endless_head(true), endless_head(false)];
    let mut held = Vec::new();
    let started = Instant::now();
    for i in 0..2_000 {
        if let Ok(mut s) = connect_from([127, 0, 0, 20], r.proxy.http) {
            // Refused connections may be reset while we write: that is the point.
            let _ = s.write_all(&heads[i % 2]);
            held.push(s);
        }
        if peak.load(Ordering::Relaxed) > idle + RSS_GROWTH_BOUND
            || started.elapsed() > Duration::from_secs(60)
        {
            break;
        }
    }
    let opened = held.len();
    // A normal client from another address opens a tunnel while those are held.
    let t = Instant::now();
    assert_eq!(status_from([127, 0, 0, 21], r.proxy.http, &upgrade_head("tun", "pw-tun-1")), OK);
    let normal = t.elapsed();
    peak.fetch_max(rss_bytes(pid), Ordering::Relaxed);
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let growth = peak.load(Ordering::Relaxed).saturating_sub(idle);
    assert_eq!(opened, 2_000, "all connections were tried (stopped early: RSS grew {} MiB)", growth >> 20);
    assert!(growth <= RSS_GROWTH_BOUND, "RSS grew {} MiB (idle {} MiB)", growth >> 20, idle >> 20);
    // Generous: a loaded CI machine; blocked would mean no answer (read timeout 20 s).
    assert!(normal < Duration::from_secs(8), "the normal client waited {normal:?}");
    drop(held);
}

#[test]
fn at_the_global_cap_the_oldest_unauthenticated_connection_is_shed() {
    let r = rig(json!({ "preauth_global": 8, "preauth_per_ip": 8 }));
    // Eight idle clients that have sent a dummy head (so they are surely admitted, in order).
    let mut idle: Vec<TcpStream> = (0..8u8)
        .map(|i| {
            let mut s = connect_from([127, 0, 4, 1 + i], r.proxy.http).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
            assert!(read_head(&mut s).starts_with("HTTP/1.1 200"));
            s
        })
        .collect();
    assert_eq!(status_from([127, 0, 5, 1], r.proxy.http, &upgrade_head("tun", "pw-tun-1")), OK);
    assert!(closed_within(&mut idle[0], Duration::from_secs(5)), "the oldest was shed");
    // The rest are still served.
    for s in &mut idle[1..] {
        s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert!(read_head(s).starts_with("HTTP/1.1 200"));
    }
}

#[test]
fn a_connection_over_the_per_address_cap_is_closed_and_another_address_is_not() {
    let r = rig(json!({ "preauth_per_ip": 3 }));
    let mut held: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = connect_from([127, 0, 6, 1], r.proxy.http).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
            assert!(read_head(&mut s).starts_with("HTTP/1.1 200"));
            s
        })
        .collect();
    let mut fourth = connect_from([127, 0, 6, 1], r.proxy.http).unwrap();
    assert!(closed_within(&mut fourth, Duration::from_secs(5)), "over the cap: closed at accept");
    // The operator sees it in /metrics: the proxy's next report carries its guard counters.
    let counted = wait_for(Duration::from_secs(5), || {
        let (refused, pending) = (
            panel_metric(&r.panel, "wss_preauth_refused_total"),
            panel_metric(&r.panel, "wss_preauth_connections"),
        );
        (refused == 1 && pending == 3).then_some(())
    });
    assert!(counted.is_some(), "wss_preauth_refused_total 1 and wss_preauth_connections 3 in /metrics");
    assert_eq!(status_from([127, 0, 6, 2], r.proxy.http, &upgrade_head("tun", "pw-tun-1")), OK);
    held.pop();
    // A slot freed: the address may connect again (the close reaches the proxy first).
    let reopened = wait_for(Duration::from_secs(5), || {
        (status_from([127, 0, 6, 1], r.proxy.http, &upgrade_head("tun", "pw-tun-1")) == OK).then_some(())
    });
    assert!(reopened.is_some());
}

#[test]
fn a_head_with_too_many_header_lines_gets_400() {
    let r = rig(json!({ "max_header_lines": 10 }));
    let head = format!("GET / HTTP/1.1\r\n{}Upgrade: websocket\r\n\r\n", "X: y\r\n".repeat(10));
    assert_eq!(status_from([127, 0, 7, 1], r.proxy.http, &head), "HTTP/1.1 400 Bad Request");
    r.proxy.wait_for_log(&["BAD_HANDSHAKE", "more than 10 header lines"]);
}

#[test]
fn a_newline_in_a_username_never_starts_a_log_line() {
    let r = rig(json!({}));
    let forged = "FORGED_EVENT user=root";
    assert_eq!(
        status_from([127, 0, 8, 1], r.proxy.http, &upgrade_head(&format!("evil\n{forged}"), "x")),
        WRONG
    );
    let line = r.proxy.wait_for_log(&["AUTH_FAILED", "evil\\n"]);
    assert!(line.contains(forged), "the name is logged, escaped: {line}");
    // The panel's own answer to a proxy escapes the name too.
    let verdict = r.panel.proxy_auth(&format!("evil2\n{forged}"), Some("x"));
    assert_eq!(verdict["verdict"], "deny", "{verdict}");
    r.panel.wait_for_log(&["PANEL_AUTH_DENIED", "evil2\\n"]);
    for (who, log) in [("proxy", &r.proxy.log), ("panel", &r.panel.log)] {
        let log = log.lock().unwrap();
        let forged_lines: Vec<&String> = log.iter().filter(|l| l.starts_with("FORGED")).collect();
        assert!(forged_lines.is_empty(), "{who} log has a forged line: {forged_lines:?}");
    }
}
