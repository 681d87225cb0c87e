//! The Nodes view's API: a display name validated like a username and unique among nodes,
//! the install line a token comes with, this host's own proxy listed as `local`, each
//! node's traffic counted once under its own name (two enrolled proxies on 127.0.0.2 and
//! 127.0.0.3), its live numbers and history, and a revoke from the API ending that node's
//! connection only. Across a `kill -9` of the panel each node's total stays exact (whether a
//! batch resent after it was applied counts once is the registry's unit test: here the ack
//! usually beats the next report, so that path is not reliably taken).

use super::TlsPanel;
use super::two_nodes::enrolled_proxy;
use crate::helpers::net::{EchoServer, connect, noise, read_exact, read_head, upgrade_head};
use crate::helpers::{Panel, PanelDir, wait_for};
use serde_json::{Value, json};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

fn node(tls: &TlsPanel, name: &str) -> Value {
    let listed = tls.panel.api("GET", "/api/nodes", None).json;
    let found = listed["nodes"].as_array().unwrap().iter().find(|n| n["name"] == name).cloned();
    found.unwrap_or_else(|| panic!("{name} not listed: {listed}"))
}

fn rename(tls: &TlsPanel, name: &str, body: Value) -> u16 {
    tls.panel.api("PUT", &format!("/api/nodes/{name}"), Some(body)).status
}

#[test]
fn a_node_display_name_is_validated_like_a_username_unique_and_audited() {
    let tls = TlsPanel::start(json!({}));
    let made = tls.panel.api("POST", "/api/nodes/tokens", Some(json!({ "name": "edge-a" })));
    assert_eq!(made.status, 200, "{}", made.json);
    let token = made.json["token"].as_str().unwrap();
    let port = tls.https.rsplit(':').next().unwrap();
    let install = format!("install.sh --node --panel https://127.0.0.1:{port} --token {token}");
    assert_eq!(made.json["install"], install.as_str(), "the line names the TLS listener");
    tls.token("edge-b", "1h");

    for bad in ["", "Paris", "paris 1", "1paris", "a/b", "../x", &"p".repeat(33)] {
        assert_eq!(rename(&tls, "edge-a", json!({ "name": bad })), 400, "{bad:?} accepted");
    }
    assert_eq!(rename(&tls, "edge-a", json!({ "label": "paris" })), 400, "unknown field");
    assert_eq!(rename(&tls, "nowhere", json!({ "name": "paris" })), 404);
    assert_eq!(rename(&tls, "edge-a", json!({ "name": "edge-b" })), 409, "another node's name");
    assert_eq!(rename(&tls, "edge-a", json!({ "name": "paris-1" })), 200);
    assert_eq!(rename(&tls, "edge-b", json!({ "name": "paris-1" })), 409, "another node's label");
    let a = node(&tls, "edge-a");
    assert_eq!((a["label"].as_str(), a["display_name"].as_str()), (Some("paris-1"), Some("paris-1")));
    assert_eq!(a["state"], "pending");
    assert_eq!(node(&tls, "edge-b")["display_name"], "edge-b");
    // Its own name again clears the label.
    assert_eq!(rename(&tls, "edge-a", json!({ "name": "edge-a" })), 200);
    assert_eq!(node(&tls, "edge-a")["label"], Value::Null);
    let audit = tls.panel.api("GET", "/api/audit?limit=20", None).json.to_string();
    assert!(audit.contains("NODE_RENAMED") && audit.contains("display name paris-1"), "{audit}");
    // The same from the CLI.
    let out = tls.panel.cli(&["node", "rename", "edge-b", "berlin"], "");
    assert!(out.status.success(), "{}", super::stderr(&out));
    let out = tls.panel.cli(&["node", "list"], "");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.lines().any(|l| l.starts_with("edge-b ") && l.ends_with("(berlin)")), "{listed}");
    assert!(!tls.panel.cli(&["node", "rename", "edge-b", "Not Valid"], "").status.success());

    // This host's own proxy (internal secret over loopback) is a row too, and can be named.
    let _local = tls.dir.start_proxy();
    let local = wait_for(Duration::from_secs(10), || {
        let listed = tls.panel.api("GET", "/api/nodes", None).json;
        let nodes = listed["nodes"].as_array().unwrap().clone();
        nodes.into_iter().find(|n| n["state"] == "local" && n["connected"] == true)
    });
    let local = local.expect("the loopback proxy is listed");
    let name = local["name"].as_str().unwrap();
    assert_eq!(rename(&tls, name, json!({ "name": "home" })), 200);
    assert_eq!(node(&tls, name)["display_name"], "home");
}

/// Opens a tunnel for `user` and pushes `n` bytes each way through it.
pub(super) fn carry(proxy: SocketAddr, user: &str, n: usize) -> TcpStream {
    let mut s = connect(proxy);
    s.write_all(upgrade_head(user, "pw-tun-1").as_bytes()).unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 101"));
    s.write_all(&noise(n, 7)).unwrap();
    read_exact(&mut s, n);
    s
}

pub(super) fn used(tls: &TlsPanel, user: &str) -> u64 {
    tls.panel.api("GET", &format!("/api/users/{user}"), None).json["used_bytes"].as_u64().unwrap()
}

fn today(n: &Value) -> u64 {
    n["today_up_bytes"].as_u64().unwrap() + n["today_down_bytes"].as_u64().unwrap()
}

#[test]
fn each_node_counts_its_traffic_once_and_a_revoke_ends_only_its_connection() {
    let echo = EchoServer::start();
    let tls = TlsPanel::start(json!({}));
    for user in ["tuna", "tunb"] {
        assert_eq!(tls.panel.create_user(user, "pw-tun-1", json!({})).status, 201);
    }
    let (_node_a, proxy_a) = enrolled_proxy(&tls, "edge-a", "127.0.0.2", &echo);
    let (_node_b, proxy_b) = enrolled_proxy(&tls, "edge-b", "127.0.0.3", &echo);
    let _a = carry(proxy_a.http, "tuna", 10_000);
    let _b = carry(proxy_b.http, "tunb", 30_000);
    let stored = wait_for(Duration::from_secs(10), || {
        (used(&tls, "tuna") >= 20_000 && used(&tls, "tunb") >= 60_000).then_some(())
    });
    assert!(stored.is_some(), "the traffic never reached the store");
    // Reports keep coming every second, resending what is not yet acknowledged: the node
    // totals match the users' (each user used one node) and stay so.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_secs(1));
        let (a, b) = (node(&tls, "edge-a"), node(&tls, "edge-b"));
        assert_eq!(today(&a), used(&tls, "tuna"), "{a}");
        assert_eq!(today(&b), used(&tls, "tunb"), "{b}");
    }
    let a = node(&tls, "edge-a");
    assert_eq!(
        (a["connected"].as_bool(), a["tunnels"].as_u64(), a["online_users"].as_u64()),
        (Some(true), Some(1), Some(1))
    );
    assert_eq!((a["release"].as_str(), a["protocol"].as_u64()), (Some(env!("CARGO_PKG_VERSION")), Some(2)));
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((wall - 120..=wall).contains(&a["started_at"].as_i64().unwrap()), "{a}");
    let history = tls.panel.api("GET", "/api/nodes/edge-b/history", None).json;
    let days = history["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let last = days.last().unwrap();
    assert_eq!(last["up_bytes"].as_u64().unwrap() + last["down_bytes"].as_u64().unwrap(), used(&tls, "tunb"));

    let revoked = tls.panel.api("POST", "/api/nodes/edge-a/revoke", None);
    assert_eq!(revoked.status, 200, "{}", revoked.json);
    tls.panel.wait_for_log(&["NODE_REFUSED", "node=edge-a-", "revoked"]);
    let cut = wait_for(Duration::from_secs(5), || {
        let (a, b) = (node(&tls, "edge-a"), node(&tls, "edge-b"));
        (a["connected"] == false
            && a["state"] == "revoked"
            && a["last_seen"].is_i64()
            && b["connected"] == true)
            .then_some(())
    });
    assert!(cut.is_some(), "{} {}", node(&tls, "edge-a"), node(&tls, "edge-b"));
    proxy_a.wait_for_log(&["IPC_WSC", "Unauthorized"]);
    let log = proxy_b.log.lock().unwrap().join("\n");
    assert!(!log.contains("Unauthorized"), "{log}");
}

fn listed_today(panel: &Panel, name: &str) -> Option<u64> {
    let listed = panel.api("GET", "/api/nodes", None).json;
    listed["nodes"].as_array()?.iter().find(|n| n["name"] == name).map(today)
}

#[test]
fn after_a_panel_kill_9_each_nodes_resent_batches_count_once() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let mut panel = dir.start();
    assert_eq!(panel.create_user("tun", "pw-tun-1", json!({})).status, 201);
    // Two proxies of this host under their own names (loopback, the internal secret).
    let node = |name: &str| {
        PanelDir::new(
            json!({ "node_name": name, "panel_url": panel.url, "internal_forward_port": echo.addr.port() }),
        )
    };
    let (n1, n2) = (node("n1"), node("n2"));
    let (p1, p2) = (n1.start_proxy(), n2.start_proxy());
    panel.wait_for_log(&["NODE_CONNECTED", "node=n1-"]);
    panel.wait_for_log(&["NODE_CONNECTED", "node=n2-"]);
    let mut a = carry(p1.http, "tun", 10_000);
    let _b = carry(p2.http, "tun", 30_000);
    let used = |p: &Panel| p.api("GET", "/api/users/tun", None).json["used_bytes"].as_u64().unwrap();
    // Killed while the nodes hold batches the panel may have stored but not acknowledged.
    assert!(wait_for(Duration::from_secs(10), || (used(&panel) > 0).then_some(())).is_some());
    panel.kill9();
    a.write_all(&noise(5_000, 9)).unwrap();
    read_exact(&mut a, 5_000);
    let panel = dir.start();
    let all = wait_for(Duration::from_secs(30), || {
        let (u, t1, t2) = (used(&panel), listed_today(&panel, "n1")?, listed_today(&panel, "n2")?);
        (u >= 90_000 && t1 + t2 == u).then_some((u, t1, t2))
    });
    let (total, t1, t2) = all.expect("the traffic reached the store");
    // Further reports (resending until acknowledged) change nothing: checked after the store
    // took six more (three a node), not after a pause that a slow run would pass.
    let taken = || panel.metric("wss_stats_reports_settled_total").parse::<u64>().unwrap();
    let mark = taken();
    let more = wait_for(Duration::from_secs(15), || (taken() >= mark + 6).then_some(()));
    assert!(more.is_some(), "the store took no further reports ({} after {mark})", taken());
    let now = (used(&panel), listed_today(&panel, "n1").unwrap(), listed_today(&panel, "n2").unwrap());
    assert_eq!(now, (total, t1, t2));
    assert_eq!((t1, t2), (30_000, 60_000), "n1 carried 15,000 bytes each way, n2 30,000");
}
