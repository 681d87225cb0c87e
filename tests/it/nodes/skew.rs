//! Clock skew between hosts: a node whose clock is three days behind the panel's (the proxy
//! runs with Debian's libfaketime preloaded, its monotonic clock left alone so timers
//! behave). The panel's clock
//! decides: the node still enrols and connects over pinned TLS, its traffic lands on the
//! panel's today in the user's and the node's history, and no expiry moves.

use super::{TlsPanel, enrol, node_dir, stderr};
use crate::helpers::net::{EchoServer, connect, noise, read_exact, read_head, upgrade_head};
use crate::helpers::{BIN, wait_for};
use serde_json::{Value, json};
use std::io::Write;
use std::process::Command;
use std::time::Duration;

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// The days of a history answer that carried bytes.
fn days_with_bytes(history: &Value) -> Vec<String> {
    let days = history["days"].as_array().unwrap();
    days.iter()
        .filter(|d| d["up_bytes"].as_u64().unwrap_or(0) + d["down_bytes"].as_u64().unwrap_or(0) > 0)
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_node_three_days_behind_counts_on_the_panels_day_and_moves_no_expiry() {
    if !std::path::Path::new(LIBFAKETIME).exists() {
        assert!(!crate::helpers::tools_required(), "{LIBFAKETIME} is missing (apt install faketime)");
        return;
    }
    let echo = EchoServer::start();
    let tls = TlsPanel::start(json!({}));
    assert_eq!(tls.panel.create_user("skewed", "pw-skew-1", json!({ "days": 2 })).status, 201);
    let before = tls.panel.api("GET", "/api/users/skewed", None).json;
    let node = node_dir("edge-skew", "127.0.0.2", echo.addr.port());
    let out = enrol(&node, &tls.https, &tls.token("edge-skew", "1h"));
    assert!(out.status.success(), "{}", stderr(&out));
    // Preloaded into the proxy itself (the `faketime` wrapper would stay its parent, and
    // stopping the wrapper would leave the proxy running).
    let mut behind = Command::new(BIN);
    behind.env("LD_PRELOAD", LIBFAKETIME).env("FAKETIME", "-3d").env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    behind.arg("proxy");
    let proxy = node.start_proxy_command(behind);
    tls.panel.wait_for_log(&["NODE_CONNECTED", "node=edge-skew-"]);
    // The preload works: the node says it started three days before the panel's now.
    let nodes = tls.panel.api("GET", "/api/nodes", None).json;
    let edge = nodes["nodes"].as_array().unwrap().iter().find(|n| n["name"] == "edge-skew").cloned().unwrap();
    let behind_by = wss_panel::domain::now_unix() - edge["started_at"].as_i64().expect("started_at");
    assert!(
        (3 * 86_400 - 60..=3 * 86_400 + 60).contains(&behind_by),
        "the node's clock is {behind_by} s behind"
    );

    let mut s = connect(proxy.http);
    s.write_all(upgrade_head("skewed", "pw-skew-1").as_bytes()).unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 101"), "the skewed node refused a valid user");
    let data = noise(100_000, 3);
    s.write_all(&data).unwrap();
    assert_eq!(read_exact(&mut s, data.len()), data);
    drop(s);
    let used = || tls.panel.api("GET", "/api/users/skewed", None).json["used_bytes"].as_u64().unwrap();
    assert!(wait_for(Duration::from_secs(10), || (used() == 200_000).then_some(())).is_some(), "{}", used());

    // The panel's today is the last day of its history answers.
    let history = tls.panel.api("GET", "/api/users/skewed/traffic", None).json;
    let today = history["days"].as_array().unwrap().last().unwrap()["date"].as_str().unwrap().to_owned();
    assert_eq!(days_with_bytes(&history), std::slice::from_ref(&today), "{history}");
    let node_history = tls.panel.api("GET", "/api/nodes/edge-skew/history", None).json;
    assert_eq!(days_with_bytes(&node_history), [today], "{node_history}");
    let after = tls.panel.api("GET", "/api/users/skewed", None).json;
    assert_eq!(after["expires_on"], before["expires_on"]);
    assert_eq!(after["status"], json!("active"));
}
